"""PostgreSQL and Redis modes, against throwaway local servers started by the tests.

A lost or slow database link is answered 503 DATABASE_UNAVAILABLE, fast, never 500; the slow
link is made by the embedded Toxiproxy (or a toxiproxy-server binary on PATH).

Outside CI (env CI unset) these tests skip when the server binaries are missing; in CI a
missing binary is a failure.
"""

from __future__ import annotations

import asyncio
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
from sqlalchemy import text

from readiness_harness.chaos.provider import start_toxiproxy
from readiness_harness.system_under_test.config import load_settings
from readiness_harness.system_under_test.db import create_db_engine
from readiness_harness.system_under_test.dbcalls import DatabaseCalls
from readiness_harness.system_under_test.errors import DatabaseUnavailable
from tests.sut.conftest import Api, ApiFactory, Upstreams, free_port, random_address
from tests.sut.probes import order_body
from tests.sut.test_coalescing import assert_misses_coalesced

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


def test_redis_mode_coalesces_concurrent_misses(api_factory: ApiFactory, upstreams: Upstreams,
                                                redis_server: tuple[int, subprocess.Popen[bytes]]) -> None:
    port, _ = redis_server
    assert_misses_coalesced(api_factory.start(env={"REDIS_URL": f"redis://127.0.0.1:{port}/0"}), upstreams)


@pytest.fixture
def toxiproxy() -> Iterator[httpx.Client]:
    """A client of a fresh Toxiproxy's API (never one named by TOXIPROXY_URL)."""
    env = {k: v for k, v in os.environ.items() if k != "TOXIPROXY_URL"}
    with start_toxiproxy(env=env) as server, httpx.Client(base_url=server.url, timeout=5, trust_env=False) as api:
        yield api


def place_order(api: Api) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    with api.client(headers={"Idempotency-Key": uuid.uuid4().hex}) as client:
        response = client.post("/v1/orders", json=order_body())
    return response, time.monotonic() - started


def assert_database_unavailable(response: httpx.Response, *causes: str) -> None:
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "DATABASE_UNAVAILABLE" and error["details"]["cause"] in causes, error
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert response.headers["Retry-After"] == "2"


def test_postgresql_outage_answers_503_database_unavailable(
        api_factory: ApiFactory, postgres_server: tuple[int, subprocess.Popen[bytes]]) -> None:
    port, proc = postgres_server
    api = api_factory.start(env={"DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/postgres",
                                 "DB_POOL_TIMEOUT_S": "1", "DB_CALL_TIMEOUT_S": "2"})
    address = random_address()
    assert api.portfolio(address).status_code == 200  # cached from here on
    created, _ = place_order(api)
    assert created.status_code == 201, created.text

    _stop_group(proc, signal.SIGINT)
    write, elapsed = place_order(api)
    with api.client() as client:
        read = client.get(f"/v1/orders/{created.json()['order_id']}")
        job = client.get(f"/v1/jobs/{uuid.uuid4()}")
        report = client.post("/v1/reports", json={"chain": "ethereum", "addresses": [address]})
        health = client.get("/health")
    for response in (write, read, job, report):
        assert_database_unavailable(response, "connection")
    assert elapsed < 2.0, f"a write took {elapsed:.2f} s with the database refusing connections"
    assert health.status_code == 200, "liveness must not depend on the database"
    assert api.portfolio(address).json()["source"] == "cache"
    assert "unhandled exception" not in api.log_text()


def test_slow_database_link_fails_fast_and_the_pool_recovers(
        api_factory: ApiFactory, postgres_server: tuple[int, subprocess.Popen[bytes]],
        toxiproxy: httpx.Client) -> None:
    port, _ = postgres_server
    proxy = toxiproxy.post("/proxies", json={"name": "db", "listen": "127.0.0.1:0", "upstream": f"127.0.0.1:{port}"})
    proxy.raise_for_status()
    api = api_factory.start(env={"DATABASE_URL": f"postgresql://postgres@{proxy.json()['listen']}/postgres",
                                 "DB_POOL_SIZE": "2", "DB_MAX_OVERFLOW": "0", "DB_POOL_TIMEOUT_S": "1",
                                 "DB_CONNECT_TIMEOUT_S": "2", "DB_CALL_TIMEOUT_S": "1"})
    assert place_order(api)[0].status_code == 201

    toxiproxy.post("/proxies/db/toxics", json={"name": "slow", "type": "latency", "stream": "downstream",
                                               "attributes": {"latency": 5000}}).raise_for_status()
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:  # three times the pool's connections
            results = list(pool.map(lambda _: place_order(api), range(6)))
    finally:
        toxiproxy.delete("/proxies/db/toxics/slow").raise_for_status()
    for response, elapsed in results:
        assert_database_unavailable(response, "timeout", "pool_exhausted")
        # at most the pool's 1 s wait plus the 1 s call timeout, with 1 s of slack for a busy machine:
        # far below the 5 s the link now takes, which a write without timeouts would wait for
        assert elapsed < 3.0, f"a write took {elapsed:.2f} s with a 1 s pool wait and a 1 s database call timeout"

    deadline = time.monotonic() + 15
    while (recovered := place_order(api)[0]).status_code != 201 and time.monotonic() < deadline:
        time.sleep(0.25)
    assert recovered.status_code == 201, f"the pool did not recover without a restart: {recovered.text}"


def test_statement_timeout_is_set_on_postgresql_connections(
        postgres_server: tuple[int, subprocess.Popen[bytes]]) -> None:
    port, _ = postgres_server
    settings = load_settings({"API_KEYS": "free:" + "a" * 64, "UPSTREAM_PRIMARY_URL": "http://127.0.0.1:1",
                              "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/postgres",
                              "DB_STATEMENT_TIMEOUT_MS": "200"})
    engine = create_db_engine(settings)

    def sleep_in_the_database() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(2)"))

    started = time.monotonic()
    try:
        with pytest.raises(DatabaseUnavailable) as info:
            asyncio.run(DatabaseCalls(timeout_s=5).run(sleep_in_the_database))
    finally:
        engine.dispose()
    assert info.value.cause == "timeout" and time.monotonic() - started < 1.5
