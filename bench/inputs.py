"""How the harness answers hostile input files: wall time and peak RSS of ``harness validate`` on a
billion-laughs checklist, deep nesting, and a 20 MB checklist with 190,000 bad items.

Goals (issue 15): the alias bomb is refused (exit 2) in < 2 s with < 200 MB; the big file's answer
is a bounded list of problems. ``python -m bench.inputs`` prints the figures; ``make bench`` calls
:func:`run`. Measured, never asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HARNESS = str(Path(sys.executable).parent / "harness")
HEADER = "checklist:\n  id: big\n  title: Big\nsections:\n  - id: s\n    title: S\n    items:\n"


def billion_laughs() -> str:
    lines = ['checklist: {id: bomb, title: Bomb}', 'x0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", '
             '"lol", "lol", "lol"]']
    lines += [f"x{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)]
    return "\n".join(lines) + "\nsections: []\n"


def bad_items(count: int) -> str:
    return HEADER + "".join(f"      - id: item-{i}\n        title: Item {i}\n        severity: hihg\n"
                            f"        check: {{type: http, paht: /x}}\n" for i in range(count))


def measure(path: Path, *extra: str) -> dict[str, Any]:
    """Wall time, peak RSS (of the harness process alone, from wait4) and exit code."""
    started = time.monotonic()
    process = subprocess.Popen([HARNESS, "validate", str(path), *extra], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    assert process.stderr is not None
    stderr = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return {"exit": process.returncode, "seconds": round(time.monotonic() - started, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "stderr_lines": len(stderr.splitlines()),
            "size_mb": round(path.stat().st_size / 1e6, 2)}


def run(items: int = 190_000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-inputs-") as scratch:
        folder = Path(scratch)
        files = {"billion_laughs": billion_laughs(), "deep_nesting_5000": "x: " + "[" * 5000 + "]" * 5000 + "\n",
                 f"bad_items_{items}": bad_items(items)}
        out: dict[str, Any] = {}
        for name, text in files.items():
            path = folder / f"{name}.yaml"
            path.write_text(text)
            out[name] = measure(path, "--max-file-mb", "64")
        out["goal"] = "alias bomb: exit 2 in < 2 s with < 200 MB peak RSS"
        return out


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 190_000), indent=2))
