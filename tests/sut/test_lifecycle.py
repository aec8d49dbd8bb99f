"""Start-up validation, the defect listing, restarts and migrations, SIGTERM handling."""

from __future__ import annotations

import subprocess

from readiness_harness.system_under_test.defects import REGISTRY
from tests.sut.conftest import PYTHON, REPO_ROOT, ApiFactory, base_env, random_address
from tests.sut.probes import AWS_ACCESS_KEY


def run_service(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "readiness_harness.system_under_test", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=30)


def test_list_defects() -> None:
    result = run_service("--list-defects", env=base_env())
    assert result.returncode == 0
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert listed == list(REGISTRY)


def test_missing_or_invalid_configuration_stops_start_up() -> None:
    missing = run_service("--port", "1", env=base_env())
    assert missing.returncode == 2 and "API_KEYS" in missing.stderr
    bad_defect = run_service("--port", "1", env=base_env() | {
        "API_KEYS": "free:" + "a" * 64, "UPSTREAM_PRIMARY_URL": "http://127.0.0.1:1", "SUT_DEFECTS": "no_cahce"})
    assert bad_defect.returncode == 2
    assert "SUT_DEFECTS" in bad_defect.stderr and "no_cahce" in bad_defect.stderr


def test_restart_keeps_data_and_applies_no_migration_twice(api_factory: ApiFactory) -> None:
    api = api_factory.start()
    with api.client(headers={"Idempotency-Key": "restart-1"}) as client:
        first = client.post("/v1/orders", json={"chain": "base", "address": random_address(), "side": "sell",
                                                "asset": "USDC", "amount": "1"})
    api.proc.terminate()
    assert api.proc.wait(timeout=10) is not None
    again = api_factory.start(env={"API_KEYS": api.env["API_KEYS"], "DATA_DIR": str(api.data_dir)})
    again.keys = api.keys
    with again.client(headers={"Idempotency-Key": "restart-1"}) as client:
        replay = client.post("/v1/orders", json={k: first.json()[k] for k in ("chain", "address", "side",
                                                                              "asset", "amount")})
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert '"migrations_applied":[]' in again.log_text()


def test_hardcoded_secret_is_baked_into_configuration_only_with_the_defect(api_factory: ApiFactory) -> None:
    clean = api_factory.start()
    assert not (clean.data_dir / "config").exists()
    flawed = api_factory.start(defects=("hardcoded_secret",))
    credentials = flawed.data_dir / "config" / "credentials.env"
    assert AWS_ACCESS_KEY.search(credentials.read_text())
    assert "hardcoded_secret defect" in flawed.log_text()
    assert not AWS_ACCESS_KEY.search(flawed.log_text()), "the log names the file, never the credential"
