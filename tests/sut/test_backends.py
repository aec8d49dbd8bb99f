"""PostgreSQL and Redis modes, against throwaway local servers started by the tests.

Outside CI (env CI unset) these tests skip when the server binaries are missing; in CI a
missing binary is a failure.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.sut.conftest import ApiFactory, free_port, random_address
from tests.sut.probes import order_body

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def require_binary(path: str | None, what: str) -> str:
    if path and Path(path).exists():
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI but was not found")
    pytest.skip(f"{what} not installed (set CI=1 to make this a failure)")


def _stop_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 20) -> None:
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"port {port} not listening after {timeout_s}s")


@pytest.fixture
def redis_server() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    binary = require_binary(shutil.which("redis-server"), "redis-server")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_port(port, proc)
        yield port, proc
    finally:
        _stop_group(proc, signal.SIGTERM)


@pytest.fixture
def postgres_server() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    require_binary(str(PG_BIN / "initdb"), "PostgreSQL (initdb)")
    as_postgres: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="sut-pg-"))
    if os.geteuid() == 0:  # initdb refuses to run as root
        entry = pwd.getpwnam("postgres")
        os.chown(workdir, entry.pw_uid, entry.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    proc: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run([*as_postgres, str(PG_BIN / "initdb"), "-D", str(workdir / "data"), "-A", "trust",
                        "-U", "postgres", "--no-sync", "-E", "UTF8"], check=True, capture_output=True, timeout=60)
        proc = subprocess.Popen(
            [*as_postgres, str(PG_BIN / "postgres"), "-D", str(workdir / "data"), "-p", str(port),
             "-k", str(workdir), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        _wait_port(port, proc)
        yield port, proc
    finally:
        if proc is not None:
            _stop_group(proc, signal.SIGINT)  # fast shutdown
        shutil.rmtree(workdir, ignore_errors=True)


def test_postgresql_mode(api_factory: ApiFactory, postgres_server: tuple[int, subprocess.Popen[bytes]]) -> None:
    port, proc = postgres_server
    dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    api = api_factory.start(env={"DATABASE_URL": dsn, "DB_POOL_SIZE": "4", "DB_MAX_OVERFLOW": "4",
                                 "DB_POOL_TIMEOUT_S": "2"})
    with api.client() as client:
        database = client.get("/ready").json()["components"]["database"]
    assert database["status"] == "up" and database["dialect"] == "postgresql"

    key, body = uuid.uuid4().hex, order_body()

    def post(_: int) -> httpx.Response:
        with api.client(headers={"Idempotency-Key": key}) as client:
            return client.post("/v1/orders", json=body)

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(post, range(8)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["order_id"] for r in responses}) == 1
    with psycopg.connect(dsn) as conn:
        count = conn.execute("SELECT COUNT(*) FROM orders WHERE idempotency_key = %s", (key,)).fetchone()
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert count == (1,) and versions == ["0001", "0002"]

    _stop_group(proc, signal.SIGINT)
    with api.client() as client:
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.json()["components"]["database"]["status"] == "down"
        assert client.get("/health").status_code == 200


def test_redis_mode_and_degradation(api_factory: ApiFactory,
                                    redis_server: tuple[int, subprocess.Popen[bytes]]) -> None:
    port, proc = redis_server
    api = api_factory.start(env={"REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    address = random_address()
    assert api.portfolio(address).json()["source"] == "primary"
    assert api.portfolio(address).json()["source"] == "cache"
    with api.client() as client:
        assert client.get("/ready").json()["components"]["cache"] == {"status": "up", "backend": "redis"}
    _stop_group(proc, signal.SIGTERM)
    degraded = api.portfolio(address)
    assert degraded.status_code == 200 and degraded.json()["source"] == "primary"
    with api.client() as client:
        ready = client.get("/ready")
        assert ready.status_code == 200 and ready.json()["components"]["cache"]["status"] == "degraded"
        errors = [line for line in client.get("/metrics").text.splitlines()
                  if line.startswith("cache_errors_total ")]
    assert errors and float(errors[0].split()[1]) >= 1
