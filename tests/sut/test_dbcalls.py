"""DatabaseCalls and the classification of database failures, in process against SQLite files."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.pool import QueuePool

from readiness_harness.system_under_test.config import load_settings
from readiness_harness.system_under_test.db import postgresql_connect_args
from readiness_harness.system_under_test.dbcalls import (
    DATABASE_ERRORS,
    DatabaseCalls,
    database_error_handler,
    unavailable_cause,
)
from readiness_harness.system_under_test.errors import DatabaseUnavailable, ErrorCode


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A one-connection pool that gives up after 0.1 s, on a file whose lock waits 0.05 s."""
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", poolclass=QueuePool, pool_size=1,
                           max_overflow=0, pool_timeout=0.1, connect_args={"timeout": 0.05})
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v INTEGER)"))
    try:
        yield engine
    finally:
        engine.dispose()


def run(calls: DatabaseCalls, func: Callable[..., Any], *args: Any) -> Any:
    return asyncio.run(calls.run(func, *args))


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM t")).scalar_one())


def insert(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))


def test_a_call_within_its_deadline_returns_its_value(engine: Engine) -> None:
    assert run(DatabaseCalls(timeout_s=5), count, engine) == 0


def test_a_call_past_its_deadline_is_answered_503_at_the_deadline() -> None:
    started = time.monotonic()
    with pytest.raises(DatabaseUnavailable) as info:
        run(DatabaseCalls(timeout_s=0.1, retry_after_s=3), time.sleep, 0.5)
    assert time.monotonic() - started < 0.4
    error = info.value
    assert (error.status_code, error.code, error.cause) == (503, ErrorCode.DATABASE_UNAVAILABLE, "timeout")
    assert error.headers == {"Retry-After": "3"} and error.details == {"cause": "timeout", "retry_after_s": 3}


def test_no_free_pooled_connection_is_pool_exhausted(engine: Engine) -> None:
    with engine.connect(), pytest.raises(DatabaseUnavailable) as info:  # holding the only connection
        run(DatabaseCalls(timeout_s=5), count, engine)
    assert info.value.cause == "pool_exhausted"
    assert run(DatabaseCalls(timeout_s=5), count, engine) == 0, "the pool serves again once a connection is back"


def test_a_locked_sqlite_file_is_busy(engine: Engine, tmp_path: Path) -> None:
    other = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", connect_args={"timeout": 5, "isolation_level": None})
    try:
        with other.connect() as holder:
            holder.exec_driver_sql("BEGIN EXCLUSIVE")
            with pytest.raises(DatabaseUnavailable) as info:
                run(DatabaseCalls(timeout_s=5), insert, engine)
            holder.exec_driver_sql("ROLLBACK")
    finally:
        other.dispose()
    assert info.value.cause == "busy"


def test_a_malformed_query_is_a_bug_not_an_outage(engine: Engine) -> None:
    def malformed() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELEC 1"))

    with pytest.raises(OperationalError) as info:  # re-raised untranslated: the app answers 500
        run(DatabaseCalls(timeout_s=5), malformed)
    assert unavailable_cause(info.value) is None
    assert unavailable_cause(ValueError("not a database error")) is None


def test_postgresql_connections_carry_the_configured_timeouts() -> None:
    settings = load_settings({"API_KEYS": "free:" + "a" * 64, "UPSTREAM_PRIMARY_URL": "http://127.0.0.1:1",
                              "DB_CONNECT_TIMEOUT_S": "4", "DB_STATEMENT_TIMEOUT_MS": "1500"})
    args = postgresql_connect_args(settings)
    assert args["connect_timeout"] == 4 and args["options"] == "-c statement_timeout=1500"


def test_the_handler_answers_link_failures_503_and_leaves_bugs_to_the_500_path() -> None:
    app = FastAPI()
    for error in DATABASE_ERRORS:
        app.add_exception_handler(error, database_error_handler)

    @app.get("/refused")
    def refused() -> None:
        raise OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused"))

    @app.get("/duplicate")
    def duplicate() -> None:
        raise IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate key"))

    async def get_both() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/refused"), await client.get("/duplicate")

    refused_response, duplicate_response = asyncio.run(get_both())
    assert refused_response.status_code == 503 and refused_response.headers["Retry-After"] == "2"
    assert refused_response.json()["error"]["code"] == "DATABASE_UNAVAILABLE"
    assert refused_response.json()["error"]["details"]["cause"] == "connection"
    assert duplicate_response.status_code == 500
