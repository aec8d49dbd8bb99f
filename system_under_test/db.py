"""Database engine (SQLite by default, PostgreSQL via psycopg 3) and the queries the API runs.

All queries are parameterised. Pool settings and timeouts are explicit and come from the
configuration: a pool timeout, a pre-ping on checkout (so the pool heals when a lost link comes
back), and on PostgreSQL a connect timeout and a server-side statement timeout.
The functions here are synchronous; the async routes call them through
:class:`system_under_test.dbcalls.DatabaseCalls`, which adds a deadline per call.

SQLite is set up for concurrent requests: WAL journal (readers never block the writer, nor the
writer the readers), ``synchronous=NORMAL`` (no fsync per commit in WAL mode; a power cut may
lose the last commits, never corrupt the file), and a busy timeout (DB_BUSY_TIMEOUT_S). SQLite
admits one writer at a time; writers that find it busy sleep and poll with a growing back-off,
which makes write latency erratic and, on a loaded host, can exhaust the busy timeout
("database is locked").
:class:`WriteGate` therefore queues this process's write transactions on a lock, which hands
the database from one writer to the next without polling. On PostgreSQL it does nothing.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from readiness_harness.system_under_test.config import Settings


def create_db_engine(settings: Settings) -> Engine:
    url = make_url(settings.resolved_database_url)
    pool_args: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout_s,
        "pool_recycle": settings.db_pool_recycle_s,
        "pool_pre_ping": True,
    }
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
        return create_engine(url, connect_args=postgresql_connect_args(settings), **pool_args)
    if url.get_backend_name() != "sqlite":
        raise ValueError(f"DATABASE_URL: unsupported database '{url.get_backend_name()}'")
    if url.database and url.database != ":memory:":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": settings.db_busy_timeout_s,
                                              "check_same_thread": False}, **pool_args)
    _make_sqlite_transactional(engine)
    return engine


def postgresql_connect_args(settings: Settings) -> dict[str, Any]:
    """Bound the connection handshake (client side) and every statement (server side)."""
    return {
        "connect_timeout": settings.db_connect_timeout_s,
        "options": f"-c statement_timeout={settings.db_statement_timeout_ms}",
        "application_name": "wallet-api",
    }


def _make_sqlite_transactional(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (DDL included);
    WAL journal and synchronous=NORMAL on every connection."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


class WriteBusy(Exception):
    """This process's SQLite write lock was not free within the busy timeout."""


class WriteGate:
    """Where write transactions begin: one at a time per process on SQLite, freely on PostgreSQL.

    The lock is taken before a pooled connection is checked out, so queued writers hold no
    connection while they wait. Share one gate between every repository of an engine.
    """

    def __init__(self, engine: Engine, *, timeout_s: float) -> None:
        self._engine = engine
        self._timeout_s = timeout_s
        self._lock = threading.Lock() if engine.dialect.name == "sqlite" else None

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        if self._lock is None:
            with self._engine.begin() as conn:
                yield conn
            return
        if not self._lock.acquire(timeout=self._timeout_s):
            raise WriteBusy(f"no turn to write within {self._timeout_s} s")
        try:
            with self._engine.begin() as conn:
                yield conn
        finally:
            self._lock.release()


def ping(engine: Engine) -> float:
    """Run a query that touches the schema; return its latency in ms (raises when unusable)."""
    started = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(text("SELECT COUNT(*) FROM schema_migrations")).scalar_one()
    return (time.perf_counter() - started) * 1000


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]
    request_hash: str


class OrderRepository:
    def __init__(self, engine: Engine, *, writes: WriteGate) -> None:
        self._engine = engine
        self._writes = writes

    def insert(self, row: dict[str, Any]) -> bool:
        """Insert an order; False when (client_id, idempotency_key) already exists."""
        try:
            with self._writes.begin() as conn:
                conn.execute(text(
                    "INSERT INTO orders (id, client_id, idempotency_key, request_hash, chain, address, side,"
                    " asset, amount, status_code, response_body, created_at) VALUES (:id, :client_id,"
                    " :idempotency_key, :request_hash, :chain, :address, :side, :asset, :amount,"
                    " :status_code, :response_body, :created_at)"), row)
        except IntegrityError:
            return False
        return True

    def find_by_key(self, client_id: str, idempotency_key: str) -> StoredResponse | None:
        with self._engine.connect() as conn:
            row = conn.execute(text(
                "SELECT status_code, response_body, request_hash FROM orders"
                " WHERE client_id = :client_id AND idempotency_key = :key"),
                {"client_id": client_id, "key": idempotency_key}).first()
        if row is None:
            return None
        return StoredResponse(row.status_code, json.loads(row.response_body), row.request_hash)

    def get(self, client_id: str, order_id: str) -> dict[str, Any] | None:
        with self._engine.connect() as conn:
            row = conn.execute(text(
                "SELECT response_body FROM orders WHERE id = :id AND client_id = :client_id"),
                {"id": order_id, "client_id": client_id}).first()
        return None if row is None else dict(json.loads(row.response_body))


class JobRepository:
    _COLUMNS = "id, client_id, kind, status, params, result, error, request_id, created_at, updated_at"

    def __init__(self, engine: Engine, *, writes: WriteGate) -> None:
        self._engine = engine
        self._writes = writes

    def insert(self, row: dict[str, Any]) -> None:
        with self._writes.begin() as conn:
            conn.execute(text(
                f"INSERT INTO jobs ({self._COLUMNS}) VALUES (:id, :client_id, :kind, :status, :params,"
                " :result, :error, :request_id, :created_at, :updated_at)"), row)

    def update(self, job_id: str, *, status: str, updated_at: str,
               result: str | None = None, error: str | None = None) -> None:
        with self._writes.begin() as conn:
            conn.execute(text(
                "UPDATE jobs SET status = :status, result = :result, error = :error, updated_at = :updated_at"
                " WHERE id = :id"),
                {"id": job_id, "status": status, "result": result, "error": error, "updated_at": updated_at})

    def get(self, job_id: str, client_id: str | None = None) -> dict[str, Any] | None:
        query = f"SELECT {self._COLUMNS} FROM jobs WHERE id = :id"
        params = {"id": job_id}
        if client_id is not None:
            query += " AND client_id = :client_id"
            params["client_id"] = client_id
        with self._engine.connect() as conn:
            row = conn.execute(text(query), params).mappings().first()
        return None if row is None else dict(row)

    def unfinished(self) -> list[str]:
        with self._engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT id FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at"))
            return [row[0] for row in rows]
