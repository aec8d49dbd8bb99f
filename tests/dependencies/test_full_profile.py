"""The full profile: the reference service on PostgreSQL and Redis (local provider), reached through
fault proxies named after each dependency, and how it behaves when those links fail.

One provisioning serves the module; every fault is rolled back in a ``finally`` (see support.py).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import redis

from tests.dependencies.conftest import needs_postgres, needs_redis
from tests.dependencies.support import FULL_TARGET, Provisioned

pytestmark = [needs_postgres, needs_redis, pytest.mark.slow]

WALLET = "/v1/wallets/ethereum/0x52908400098527886e0f7030069857d2e4169ee7/portfolio"


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provisioned]:
    target = Provisioned.from_file(FULL_TARGET, tmp_path_factory.mktemp("full-logs"))
    try:
        yield target
    finally:
        target.close()


def order(full: Provisioned) -> tuple[int, dict]:
    response = full.http.post("/v1/orders", headers={"Idempotency-Key": uuid.uuid4().hex}, json={
        "chain": "ethereum", "address": WALLET.split("/")[4], "side": "buy", "asset": "ETH", "amount": "1.5"})
    return response.status_code, response.json()


def ready(full: Provisioned) -> tuple[int, dict]:
    response = full.http.get("/ready")
    return response.status_code, response.json()


def test_ready_reports_postgresql_and_redis_through_their_proxies(full):
    placeholders = full.running.placeholders
    assert full.running.proxy is not None and {"db", "cache"} <= set(full.running.proxy.names)
    assert placeholders.get("dep.db.url") == f"postgresql://postgres@{placeholders.get('proxy.db')}/wallet"
    assert placeholders.get("dep.cache.url") == f"redis://{placeholders.get('proxy.cache')}/0"
    assert placeholders.get("dep.db.port") != str(full.running.dependencies.running[0].port)
    status, body = ready(full)
    assert status == 200, body
    assert body["components"]["database"]["status"] == "up"
    assert body["components"]["database"]["dialect"] == "postgresql"
    assert body["components"]["cache"] == {"status": "up", "backend": "redis"}
    status, created = order(full)
    assert status == 201, created
    with psycopg.connect(placeholders.get("dep.db.direct_url") or "", connect_timeout=5) as conn:
        rows = conn.execute("SELECT count(*) FROM orders WHERE id = %s", (created["order_id"],)).fetchone()
    assert rows == (1,)
    assert full.http.get(WALLET).status_code == 200
    with redis.Redis.from_url(placeholders.get("dep.cache.direct_url") or "", socket_timeout=5) as client:
        assert client.dbsize() >= 1, "the portfolio read should be cached in Redis"


def test_database_link_down_fails_readiness_and_writes_cleanly_then_recovers(full):
    assert full.http.get(WALLET).status_code == 200  # warm the cache
    with full.link_down("db"):
        status, body = ready(full)
        assert status == 503
        assert body["components"]["database"]["status"] == "down"
        assert full.http.get(WALLET).status_code == 200, "a cached read must not need the database"
    full.wait_for(lambda: ready(full)[0] == 200, timeout_s=10)
    assert order(full)[0] == 201, "writes work again without a restart"


def test_writes_fail_with_a_clear_error_code_while_the_database_link_is_down(full):
    with full.link_down("db"):
        status, error = order(full)
    assert 500 < status < 600 or status == 503, error
    assert error["error"]["code"] not in {"INTERNAL", None}, error


def test_slow_database_link_fails_readiness_fast_and_the_pool_recovers(full):
    with full.latency("db", 3000):
        started = time.monotonic()
        status, body = ready(full)
        elapsed = time.monotonic() - started
        assert status == 503 and body["components"]["database"]["status"] == "down", body
        assert elapsed < 2.8, f"/ready took {elapsed:.2f} s with a 3 s database latency"
    full.wait_for(lambda: ready(full)[0] == 200, timeout_s=15)
    assert order(full)[0] == 201


def test_redis_down_degrades_the_cache_and_keeps_serving(full):
    with full.link_down("cache"):
        status, body = ready(full)
        assert status == 200, body
        assert body["components"]["cache"]["status"] == "degraded"
        statuses = [full.http.get(WALLET).status_code for _ in range(5)]
        assert statuses == [200] * 5
    full.wait_for(lambda: ready(full)[1]["components"]["cache"]["status"] == "up")


def test_defects_make_the_dependency_scenarios_fail(full):
    try:
        full.restart_api("ready_ignores_db")
        with full.link_down("db"):
            assert ready(full)[0] == 200, "with ready_ignores_db, /ready must miss the database outage"
        full.restart_api("no_cache_fallback")
        with full.link_down("cache"):
            assert full.http.get(WALLET).status_code >= 500
    finally:
        full.restart_api("")
    assert ready(full)[0] == 200
