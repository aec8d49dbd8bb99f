"""Database calls made while serving a request: each under a deadline, failures of the database 503.

The engine bounds what it can: the pool timeout, the connect timeout and, on PostgreSQL, the
server-side statement timeout (see db.py). None of them bounds a slow network link, where every
round trip, the pool's pre-ping included, waits on the wire. :meth:`DatabaseCalls.run` therefore
runs each call in a worker thread under a deadline (DB_CALL_TIMEOUT_S). When the deadline passes
the request is answered at once and the thread is abandoned: it finishes or fails on its own,
bounded by the same timeouts, and gives its connection back to the pool. A write abandoned after
it was sent may still commit; the client's retry with the same Idempotency-Key replays it.

Translated at this boundary into :class:`~system_under_test.errors.DatabaseUnavailable`
(503 DATABASE_UNAVAILABLE with Retry-After), with ``details.cause``::

    the call's deadline passed                                  timeout
    statement_timeout cancelled the statement (SQLSTATE 57014)  timeout
    sqlalchemy.exc.TimeoutError: no pooled connection in time   pool_exhausted
    connection refused, lost or invalidated (OperationalError,
    InterfaceError, any DBAPIError that invalidated the link)   connection
    SQLite busy, locked, unable to open or read the file,
    or no turn at this process's SQLite write lock (WriteBusy)  busy

Any other database error (a constraint, a malformed query) is a bug and stays a 500.
:func:`database_error_handler` applies the same rule to database errors raised outside ``run``.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import anyio
import anyio.to_thread
from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

from readiness_harness.system_under_test.db import WriteBusy
from readiness_harness.system_under_test.errors import DatabaseUnavailable, api_error_handler

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

RETRY_AFTER_S = 2
QUERY_CANCELED = "57014"
_SQLITE_UNAVAILABLE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_FULL")

# The exception classes database_error_handler is registered for (see app.py).
DATABASE_ERRORS: tuple[type[Exception], ...] = (sa_exc.DBAPIError, sa_exc.TimeoutError, WriteBusy)


def unavailable_cause(exc: BaseException) -> str | None:
    """Why the database could not serve a call, or None when the failure is not the database's."""
    if isinstance(exc, sa_exc.TimeoutError):
        return "pool_exhausted"
    if isinstance(exc, WriteBusy):
        return "busy"
    if not isinstance(exc, sa_exc.DBAPIError):
        return None
    if getattr(exc.orig, "sqlstate", None) == QUERY_CANCELED:
        return "timeout"
    if exc.connection_invalidated:
        return "connection"
    if isinstance(exc.orig, sqlite3.Error):  # sqlite3 reports syntax errors as OperationalError too
        name = getattr(exc.orig, "sqlite_errorname", "")
        return "busy" if name.startswith(_SQLITE_UNAVAILABLE) else None
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return "connection"
    return None


def unavailable(cause: str, exc: BaseException, *, retry_after_s: int = RETRY_AFTER_S) -> DatabaseUnavailable:
    log.warning("database unavailable", extra={"cause": cause, "error": type(exc).__name__})
    return DatabaseUnavailable(cause, retry_after_s=retry_after_s)


class DatabaseCalls:
    """Runs the synchronous repository functions for a request in a worker thread, under a deadline."""

    def __init__(self, *, timeout_s: float, retry_after_s: int = RETRY_AFTER_S) -> None:
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s

    async def run(self, func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        call = functools.partial(func, *args, **kwargs)
        try:
            with anyio.fail_after(self.timeout_s):
                return await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
        except TimeoutError as exc:  # the deadline; SQLAlchemy's pool timeout is not a TimeoutError
            raise unavailable("timeout", exc, retry_after_s=self.retry_after_s) from exc
        except DATABASE_ERRORS as exc:
            cause = unavailable_cause(exc)
            if cause is None:
                raise
            raise unavailable(cause, exc, retry_after_s=self.retry_after_s) from exc


async def database_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """503 DATABASE_UNAVAILABLE for a database failure raised outside DatabaseCalls.run.

    Any other database error is re-raised: the request middleware answers it 500 INTERNAL and logs it.
    """
    cause = unavailable_cause(exc)
    if cause is None:
        raise exc
    return await api_error_handler(request, unavailable(cause, exc))
