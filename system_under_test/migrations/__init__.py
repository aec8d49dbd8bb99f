"""Versioned schema migrations: plain SQL files applied in order, recorded in schema_migrations.

Files are named ``NNNN_description.sql``; each runs in its own transaction together with the
row that records it, so a failed migration leaves nothing half-applied. The SQL is kept to the
subset SQLite and PostgreSQL share. On PostgreSQL an advisory lock serialises concurrent
start-ups of several replicas.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

_FILENAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_ADVISORY_LOCK_ID = 0x5EED_0001


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    def statements(self) -> list[str]:
        without_comments = "\n".join(
            line for line in self.sql.splitlines() if not line.lstrip().startswith("--"))
        return [stmt.strip() for stmt in without_comments.split(";") if stmt.strip()]


def discover() -> list[Migration]:
    found = []
    for entry in resources.files(__package__).iterdir():
        match = _FILENAME.match(entry.name)
        if match:
            found.append(Migration(match.group(1), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions in {versions}")
    return found


def _applied(conn: Connection) -> set[str]:
    conn.execute(text(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version VARCHAR(16) PRIMARY KEY, name VARCHAR(128) NOT NULL, applied_at VARCHAR(32) NOT NULL)"))
    return {row[0] for row in conn.execute(text("SELECT version FROM schema_migrations"))}


def apply_migrations(engine: Engine) -> list[str]:
    """Apply pending migrations; return the versions applied now."""
    applied_now: list[str] = []
    is_postgres = engine.dialect.name == "postgresql"
    with engine.connect() as lock_conn:
        if is_postgres:
            lock_conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
            lock_conn.commit()
        try:
            with engine.begin() as conn:
                done = _applied(conn)
            for migration in discover():
                if migration.version in done:
                    continue
                with engine.begin() as conn:
                    for statement in migration.statements():
                        conn.execute(text(statement))
                    conn.execute(
                        text("INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, :n, :t)"),
                        {"v": migration.version, "n": migration.name, "t": datetime.now(UTC).isoformat()},
                    )
                applied_now.append(migration.version)
                log.info("migration applied", extra={"version": migration.version, "migration": migration.name})
        finally:
            if is_postgres:
                lock_conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _ADVISORY_LOCK_ID})
                lock_conn.commit()
    return applied_now
