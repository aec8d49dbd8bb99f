"""What counts as a secret, and the redacting log pump of started processes (issue item 16).

The processes are real: a child that prints secrets in pieces, and a harness process killed with
SIGKILL while its child keeps logging.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from readiness_harness.contract.redaction import REDACTED, env_value_is_secret, redact_text
from readiness_harness.placeholders import Placeholders
from readiness_harness.process import ManagedProcess

SECRET = "S3cr3t-Value-0123456789"


@pytest.mark.parametrize(("name", "value", "secret"), [
    ("REGION", "eu-west", False),  # short, and not named like a secret
    ("DEBUG", "1", False),
    ("AUTH_ENABLED", "true", False),  # named like a secret, but a boolean word
    ("API_TOKEN", "abc", False),  # too short to redact anywhere
    ("API_KEY", "k3y9", True),
    ("UPSTREAM_NAME", "payments-eu-1", True),  # long values are redacted whatever the name
    ("SERVICE_URL", "http://127.0.0.1:8080", False),  # but not a URL (its password would be),
    ("DATA_DIR", "/var/lib/service/data", False),  # a path
    ("TIMEOUT_MS", "150000000", False),  # or a number
    ("DATABASE_PASSWORD", "/weird/but/secret", True),  # unless the name says it is a secret
])
def test_which_env_values_are_secrets(name: str, value: str, secret: bool) -> None:
    assert env_value_is_secret(name, value) is secret
    placeholders = Placeholders(environ={name: value})
    placeholders.expand(f"{{env.{name}}}")
    assert (value in placeholders.secret_values) is secret


def test_url_passwords_handed_out_or_expanded_are_secrets() -> None:
    placeholders = Placeholders(environ={"CACHE_URL": "redis://cache:env-url-pw@cache:6379/0"})
    placeholders.put("dep.db.url", "postgresql://app:p%40ss-w0rd@127.0.0.1:5432/app")
    placeholders.expand("redis://cache:literal-pw@cache:6379/0")
    placeholders.expand("{env.CACHE_URL}")
    assert {"p%40ss-w0rd", "p@ss-w0rd", "literal-pw", "env-url-pw"} <= placeholders.secret_values
    assert "redis://cache:env-url-pw@cache:6379/0" not in placeholders.secret_values
    text = "dsn postgresql://someone:never-seen-pw@db/x and p@ss-w0rd"
    assert redact_text(text, placeholders.secret_values) == (
        f"dsn postgresql://someone:{REDACTED}@db/x and {REDACTED}")


def _process(tmp_path: Path, script: str) -> ManagedProcess:
    return ManagedProcess("leaky", command=[sys.executable, "-c", textwrap.dedent(script)], env=dict(os.environ),
                          cwd=tmp_path, log_path=tmp_path / "logs" / "leaky.log", grace_s=2,
                          secrets=lambda: {SECRET})


def test_secrets_split_between_writes_and_in_endless_lines_are_redacted(tmp_path: Path) -> None:
    process = _process(tmp_path, f"""
        import sys, time
        out = sys.stdout
        half = len({SECRET!r}) // 2
        out.write("start " + {SECRET!r}[:half]); out.flush(); time.sleep(0.2)
        out.write({SECRET!r}[half:] + " end\\n"); out.flush()
        out.write(("x" * 50_000 + {SECRET!r}) * 6); out.flush(); time.sleep(0.2)
        out.write("tail without newline " + {SECRET!r})
        """)
    process.start()
    deadline = time.monotonic() + 20
    while process.alive and time.monotonic() < deadline:
        time.sleep(0.05)
    process.stop(grace_s=1)
    log = process.log_path.read_text(encoding="utf-8")
    assert SECRET not in log and SECRET[:12] not in log and SECRET[-12:] not in log
    assert log.startswith(f"start {REDACTED} end\n")
    assert log.count(REDACTED) == 8 and log.count("x") == 300_000, "nothing lost or repeated between reads"
    assert log.endswith(f"tail without newline {REDACTED}")


HARNESS = """
import os, sys, time
from pathlib import Path
from readiness_harness.process import ManagedProcess
child = "import sys, time\\nwhile True:\\n    print('key=' + sys.argv[1], flush=True)\\n    time.sleep(0.01)"
process = ManagedProcess("chatty", command=[sys.executable, "-c", child, sys.argv[2]], env=dict(os.environ),
                         cwd=Path.cwd(), log_path=Path(sys.argv[1]), secrets=lambda: {sys.argv[2]})
process.start()
print(process.pid, flush=True)
time.sleep(600)
"""


def test_a_harness_killed_mid_run_leaves_no_unredacted_log(tmp_path: Path) -> None:
    log = tmp_path / "chatty.log"
    harness = subprocess.Popen([sys.executable, "-c", HARNESS, str(log), SECRET], stdout=subprocess.PIPE, text=True)
    child = int(harness.stdout.readline()) if harness.stdout else 0
    try:
        deadline = time.monotonic() + 20
        while (not log.exists() or log.read_text().count("\n") < 20) and time.monotonic() < deadline:
            time.sleep(0.05)
        harness.send_signal(signal.SIGKILL)
        harness.wait(10)
        time.sleep(0.3)  # the child is still alive; its writes now go nowhere
    finally:
        if harness.poll() is None:
            harness.kill()
        if child:
            with contextlib.suppress(ProcessLookupError):  # it may have ended on its broken pipe
                os.killpg(child, signal.SIGKILL)
    text = log.read_text(encoding="utf-8")
    assert text.count(f"key={REDACTED}") >= 20 and SECRET not in text
