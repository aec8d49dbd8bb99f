"""The local provider starts real PostgreSQL and Redis servers and leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
import redis

from readiness_harness.contract.errors import TargetError
from readiness_harness.dependencies.local import start_postgres, start_redis
from readiness_harness.dependencies.models import DependencySpec
from tests.dependencies.conftest import listening, needs_postgres, needs_redis, processes_mentioning


@needs_postgres
def test_postgres_starts_with_its_database_and_is_gone_after_stop():
    db = start_postgres(DependencySpec(name="db", kind="postgresql", database="wallet"))
    data_dir = db.details["data_dir"]
    try:
        assert db.host == "127.0.0.1" and listening(db.port)
        with psycopg.connect(db.url(), connect_timeout=5) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("wallet",)
            conn.execute("CREATE TABLE t (id int)")
        assert processes_mentioning(data_dir), "postgres should run from its temporary directory"
        assert db.pid in processes_mentioning(data_dir), "the postmaster's pid goes to the audit's ledger"
        assert db.version.startswith(("13", "14", "15", "16", "17"))
    finally:
        db.stop()
    assert not processes_mentioning(data_dir)
    assert not Path(data_dir).exists()
    assert not listening(db.port)
    db.stop()  # idempotent


@needs_redis
def test_redis_starts_without_persistence_and_is_gone_after_stop():
    cache = start_redis(DependencySpec(name="cache", kind="redis"))
    data_dir = cache.details["data_dir"]
    try:
        client = redis.Redis.from_url(cache.url(), socket_timeout=5)
        with client:
            assert client.ping()
            assert client.config_get("save") == {"save": ""}
            assert client.config_get("appendonly") == {"appendonly": "no"}
            assert client.config_get("bind")["bind"] == "127.0.0.1"
    finally:
        cache.stop()
    assert cache.pid is not None
    assert not processes_mentioning(f"--dir {data_dir}")
    assert not Path(data_dir).exists()
    assert not listening(cache.port)


def test_missing_postgres_binaries_are_a_target_error_naming_the_dependency(tmp_path):
    with pytest.raises(TargetError, match="dependency 'db': local PostgreSQL did not start"):
        start_postgres(DependencySpec(name="db", kind="postgresql"), environ={"PG_BIN_DIR": str(tmp_path)})
