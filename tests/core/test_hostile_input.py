"""Hostile or absurd input files: every one ends in exit 2 with file:line, never a traceback, a hang or
a memory blow-up. Each case runs the real ``harness`` command in a subprocess held to an address-space
limit (a generous guard, not the goal: time and peak RSS are measured in ``bench/inputs.py``)."""

from __future__ import annotations

import re
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HARNESS = str(Path(sys.executable).parent / "harness")
ADDRESS_SPACE = 1 << 30  # the harness validating a normal checklist needs about a third of this

CHECKLIST = """\
checklist:
  id: demo
  title: Demo
sections:
  - id: s
    title: S
    items:
      - id: health
        title: Health answers
        severity: high
        check: {type: http, path: /health}
"""

BILLION_LAUGHS = "\n".join([
    'x0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    *(f"x{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)),
]) + "\n"

HOSTILE = {
    "billion-laughs": BILLION_LAUGHS,
    "recursive-alias": "x: &loop [1, *loop]\n",
    "self-merge": "x: &self\n  a: 1\n  <<: *self\n",
    "deep-flow": "x: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep-mapping": "x: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
    "nul-byte": "x: 1\ny: \"a\x00b\"\n",
    "huge-integer": "x: " + "7" * 5000 + "\n",
    "bad-date": "x: 2024-13-45\n",
}


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def harness(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HARNESS, *map(str, args)], capture_output=True, text=True, timeout=120,
                          preexec_fn=_limited, env=env, check=False)


def assert_located(done: subprocess.CompletedProcess[str], path: Path) -> None:
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == 2, (done.returncode, done.stderr[-3000:])
    assert re.search(re.escape(str(path)) + r":\d+", done.stderr), done.stderr[-3000:]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_bytes(text.encode())
    return path


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_checklist_is_refused_with_its_line(tmp_path, case):
    body = CHECKLIST.replace("  title: Demo\n", "  title: Demo\n  description: see below\n")
    path = write(tmp_path, "c.yaml", body + HOSTILE[case])
    assert_located(harness("validate", path), path)


@pytest.mark.parametrize("case", ["billion-laughs", "recursive-alias", "deep-flow", "nul-byte"])
@pytest.mark.parametrize("kind", ["target", "attestations", "waivers", "sensitivity"])
def test_every_document_the_harness_reads_is_guarded(tmp_path, kind, case):
    checklist = write(tmp_path, "c.yaml", CHECKLIST)
    hostile = write(tmp_path, f"{kind}.yaml", HOSTILE[case])
    args: list[str | Path] = ["audit", checklist, "--out", tmp_path / "out", "--quiet", f"--{kind}", hostile]
    if kind == "sensitivity":
        args = ["sensitivity", checklist, "--expectations", hostile, "--out", tmp_path / "out"]
    assert_located(harness(*args), hostile)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").glob("demo-*")), "nothing ran"


def test_an_alias_used_a_few_times_is_fine(tmp_path):
    path = write(tmp_path, "c.yaml", textwrap.dedent("""\
        checklist: {id: demo, title: Demo}
        sections:
          - id: s
            title: S
            items:
              - {id: a, title: A, severity: high, check: &probe {type: http, path: /health, expect: {status: 200}}}
              - {id: b, title: B, severity: high, check: *probe}
              - {id: c, title: C, severity: high, check: {<<: *probe, path: /ready}}
        """))
    done = harness("validate", path)
    assert done.returncode == 0, done.stderr


NUMBERS = {
    "nan timeout": ("check: {type: http, path: /health}", "check: {type: http, path: /health, timeout: .nan}"),
    "infinite timeout": ("check: {type: http, path: /health}", "check: {type: http, path: /health, timeout: .inf}"),
    "boolean timeout": ("check: {type: http, path: /health}", "check: {type: http, path: /health, timeout: true}"),
    "endless timeout": ("check: {type: http, path: /health}", "check: {type: http, path: /health, timeout: 1e12}"),
    "string exclusive": ("check: {type: http, path: /health}", "check: {type: http, path: /health, exclusive: 1}"),
    "endless default": ("  title: Demo\n", "  title: Demo\n  default_timeout: 1e12\n"),
    "boolean concurrency": ("  title: Demo\n", "  title: Demo\n  concurrency: true\n"),
    "nan as text in params": ("check: {type: http, path: /health}",
                              "check: {type: http, path: /health, expect: {max_latency_ms: 'nan'}}"),
    "endless shutdown wait": ("check: {type: http, path: /health}", "check: {type: shutdown, exit_within_s: 1e9}"),
}


@pytest.mark.parametrize("case", sorted(NUMBERS))
def test_numbers_out_of_bounds_are_refused(tmp_path, case):
    old, new = NUMBERS[case]
    path = write(tmp_path, "c.yaml", CHECKLIST.replace(old, new))
    assert_located(harness("validate", path), path)


TARGET = """\
name: t
base_url: "http://127.0.0.1:{port.web}"
processes:
  - name: web
    command: ["true"]
    ready: {url: "{base_url}/health", timeout_s: 10}
    stop: {signal: SIGTERM, grace_s: 2}
"""


@pytest.mark.parametrize("old,new", [
    ("timeout_s: 10", "timeout_s: 1e12"), ("timeout_s: 10", "timeout_s: .nan"),
    ("timeout_s: 10", "timeout_s: 10, interval_s: 0"), ("signal: SIGTERM", "signal: NSIG"),
    ("signal: SIGTERM", "signal: SIG_IGN"), ("grace_s: 2", "grace_s: 1e9"),
    ("timeout_s: 10", "timeout_s: 10, status: [99999]"),
])
def test_target_numbers_and_signals_are_bounded(tmp_path, old, new):
    checklist = write(tmp_path, "c.yaml", CHECKLIST)
    target = write(tmp_path, "t.yaml", TARGET.replace(old, new))
    done = harness("audit", checklist, "--target", target, "--out", tmp_path / "out", "--quiet")
    assert_located(done, target)


@pytest.mark.parametrize("value", ["-1", "0", "100000", "x"])
def test_concurrency_flag_is_checked(tmp_path, value):
    checklist = write(tmp_path, "c.yaml", CHECKLIST)
    done = harness("audit", checklist, "--base-url", "http://127.0.0.1:9", "--concurrency", value,
                   "--out", tmp_path / "out")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "--concurrency" in done.stderr


def test_an_endless_file_is_refused_by_size(tmp_path):
    done = harness("validate", "/dev/zero")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert "larger than" in done.stderr and "--max-file-mb" in done.stderr


def test_the_size_limit_is_configurable(tmp_path):
    padding = "# padding\n" * 130_000  # about 1.3 MB of comments
    path = write(tmp_path, "c.yaml", CHECKLIST + padding)
    refused = harness("validate", path, "--max-file-mb", "1")
    assert refused.returncode == 2 and "larger than 1 MB" in refused.stderr, refused.stderr
    assert harness("validate", path, "--max-file-mb", "2").returncode == 0


def test_many_problems_are_cut_after_a_few_hundred(tmp_path):
    items = "".join(f"      - id: item-{i}\n        title: Item {i}\n        severity: hihg\n"
                    f"        check: {{type: http, paht: /x}}\n" for i in range(3000))
    path = write(tmp_path, "c.yaml", CHECKLIST.split("      - id: health")[0] + items)
    done = harness("validate", path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    listed = [line for line in done.stderr.splitlines() if line.startswith(f"  {path}:")]
    assert 100 <= len(listed) <= 500, len(listed)
    more = re.search(r"and (\d+) more problem", done.stderr)
    assert more and len(listed) + int(more.group(1)) == 6000, done.stderr[-500:]
