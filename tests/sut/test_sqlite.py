"""SQLite under concurrent writes: WAL, synchronous=NORMAL, a busy timeout, and one writer at a time."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from readiness_harness.system_under_test.config import Settings, load_settings
from readiness_harness.system_under_test.db import OrderRepository, WriteBusy, WriteGate, create_db_engine
from readiness_harness.system_under_test.dbcalls import DatabaseCalls
from readiness_harness.system_under_test.errors import DatabaseUnavailable
from readiness_harness.system_under_test.migrations import apply_migrations
from tests.sut.conftest import ApiFactory, random_address
from tests.sut.probes import order_body


def sqlite_settings(tmp_path: Path, busy_timeout_s: str) -> Settings:
    return load_settings({"API_KEYS": "free:" + "a" * 64, "UPSTREAM_PRIMARY_URL": "http://127.0.0.1:1",
                          "DATA_DIR": str(tmp_path / "data"), "DB_BUSY_TIMEOUT_S": busy_timeout_s})


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """The service's engine on a fresh file; SQLite itself gives up on a lock after 1 ms."""
    engine = create_db_engine(sqlite_settings(tmp_path, "0.001"))
    apply_migrations(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def order_row(n: int) -> dict[str, object]:
    return {"id": str(uuid.uuid4()), "client_id": "c", "idempotency_key": f"k-{n}", "request_hash": "h",
            "chain": "ethereum", "address": random_address(), "side": "buy", "asset": "USDC", "amount": "1",
            "status_code": 201, "response_body": "{}", "created_at": "2026-01-01T00:00:00+00:00"}


def test_connections_use_wal_normal_sync_and_the_busy_timeout(tmp_path: Path) -> None:
    engine = create_db_engine(sqlite_settings(tmp_path, "2.5"))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar_one() == 1  # NORMAL
            assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 2500
    finally:
        engine.dispose()


def test_concurrent_writers_queue_at_the_gate_instead_of_failing(engine: Engine) -> None:
    orders = OrderRepository(engine, writes=WriteGate(engine, timeout_s=30))
    with ThreadPoolExecutor(max_workers=8) as pool:
        inserted = list(pool.map(orders.insert, (order_row(n) for n in range(200))))
    assert inserted == [True] * 200
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM orders")).scalar_one() == 200


def test_no_turn_at_the_gate_within_the_timeout_is_busy(engine: Engine) -> None:
    gate = WriteGate(engine, timeout_s=0.05)
    orders = OrderRepository(engine, writes=gate)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gate.begin():
            holding.set()
            release.wait(timeout=10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        with pytest.raises(WriteBusy):
            orders.insert(order_row(1))
        with pytest.raises(DatabaseUnavailable) as info:
            asyncio.run(DatabaseCalls(timeout_s=5).run(orders.insert, order_row(2)))
        assert info.value.cause == "busy"
    finally:
        release.set()
        holder.join(timeout=10)
    assert orders.insert(order_row(3)), "the gate serves again once the writer is done"


def test_concurrent_orders_and_report_jobs_see_no_database_errors(api_factory: ApiFactory) -> None:
    api = api_factory.start()

    def write(n: int) -> int:
        with api.client(headers={"Idempotency-Key": uuid.uuid4().hex}) as client:
            if n % 3 == 0:
                report = {"chain": "ethereum", "addresses": [random_address()]}
                return client.post("/v1/reports", json=report).status_code
            return client.post("/v1/orders", json=order_body()).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(write, range(120)))
    assert sorted(set(statuses)) == [201, 202], statuses
