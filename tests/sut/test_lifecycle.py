"""Start-up validation, the defect listing, restarts and migrations, SIGTERM handling."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from readiness_harness.checks.secrets_scan import SecretsScanParams, run_secrets_scan
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.status import Status
from readiness_harness.environment import AuditEnvironment
from readiness_harness.provision import external_target
from readiness_harness.system_under_test.defects import REGISTRY
from tests.sut.conftest import PYTHON, REPO_ROOT, Api, ApiFactory, base_env, random_address
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


def _first_connect(api: Api, timeout_s: float = 20.0) -> None:
    """Return as soon as the API's port accepts a TCP connection."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert api.proc.poll() is None, api.log_text()[-2000:]
        try:
            socket.create_connection(("127.0.0.1", api.port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.001)
    raise AssertionError(f"port {api.port} not open after {timeout_s} s")


def test_start_up_files_exist_before_the_port_accepts_connections(api_factory: ApiFactory) -> None:
    """Whoever reaches the service may rely on what it writes at start-up: a secret scan that runs
    once the service answers must find the hardcoded_secret credentials, a TLS client its CA."""
    api = api_factory.start(defects=("hardcoded_secret",), tls=True, wait=False)
    _first_connect(api)
    assert api.tls_dir is not None
    assert AWS_ACCESS_KEY.search((api.data_dir / "config" / "credentials.env").read_text())
    for name in ("ca.pem", "cert.pem", "key.pem"):
        assert (api.tls_dir / name).stat().st_size > 0
    scanned = asyncio.run(run_secrets_scan(SecretsScanParams(paths=[str(api.data_dir)], exclude_plugins=[
        "KeywordDetector"]), CheckContext(audit=AuditEnvironment(target=external_target(api.url), run_dir=api.data_dir,
                                                               checklist_dir=REPO_ROOT), item_id="s", timeout_s=30)))
    assert scanned.status == Status.FAILED and "credentials.env:1 (AWS Access Key)" in scanned.message


def test_in_memory_idempotency_keys_duplicate_an_order_replayed_after_a_restart(api_factory: ApiFactory) -> None:
    api = api_factory.start(defects=("idempotency_in_memory",))
    body = {"chain": "base", "address": random_address(), "side": "buy", "asset": "ETH", "amount": "2"}
    key = uuid.uuid4().hex

    def post(_: int) -> httpx.Response:
        with api.client(headers={"Idempotency-Key": key}) as client:
            return client.post("/v1/orders", json=body)

    with ThreadPoolExecutor(max_workers=6) as pool:
        same_life = list(pool.map(post, range(6)))
    assert len({r.json()["order_id"] for r in same_life}) == 1  # within one process life, one order
    api.restart()
    replay = post(0)
    assert replay.status_code == 201 and "Idempotent-Replayed" not in replay.headers
    assert replay.json()["order_id"] != same_life[0].json()["order_id"]
    with sqlite3.connect(api.data_dir / "wallet-api.db") as conn:
        stored = conn.execute("SELECT COUNT(*), COUNT(idempotency_key) FROM orders WHERE address = ?",
                              (body["address"],)).fetchone()
    assert stored == (2, 0)  # two orders for one key, and no key in the database
