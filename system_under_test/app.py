"""Application factory: ``create_app(settings)`` wires middleware, routes, handlers and lifecycle."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from readiness_harness.system_under_test import __version__
from readiness_harness.system_under_test.config import Settings
from readiness_harness.system_under_test.dbcalls import DATABASE_ERRORS, database_error_handler
from readiness_harness.system_under_test.errors import (
    ApiError,
    api_error_handler,
    error_responses,
    http_error_handler,
    validation_error_handler,
)
from readiness_harness.system_under_test.middleware import (
    REQUEST_ID_HEADER,
    BodyLimitMiddleware,
    RequestContextMiddleware,
)
from readiness_harness.system_under_test.migrations import apply_migrations
from readiness_harness.system_under_test.routes import diagnostics, health, jobs, orders, wallets
from readiness_harness.system_under_test.security import API_KEY_HEADER
from readiness_harness.system_under_test.services import Services, build_services

log = logging.getLogger(__name__)

EXPOSED_HEADERS = [REQUEST_ID_HEADER, "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                   "Retry-After", "Location", "Idempotent-Replayed"]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    services: Services = app.state.services
    applied = await run_in_threadpool(apply_migrations, services.engine)
    await services.jobs.start()
    log.info("service started", extra={"migrations_applied": applied, "defects": sorted(services.defects.names),
                                       "database": services.engine.dialect.name,
                                       "cache": services.cache.backend})
    try:
        yield
    finally:
        await services.jobs.stop(services.settings.shutdown_grace_s)
        await services.aclose()
        log.info("service stopped")


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    services = services or build_services(settings)
    defects = settings.defects
    app = FastAPI(
        title="Wallet portfolio API",
        version=__version__,
        description=f"Balances of wallets across EVM chains. Authenticate with the `{API_KEY_HEADER}` header. "
        "Every error has the body `ErrorResponse`.",
        lifespan=_lifespan,
    )
    app.state.services = services
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    for database_error in DATABASE_ERRORS:
        app.add_exception_handler(database_error, database_error_handler)

    app.include_router(health.router, responses=error_responses(500))
    if "no_metrics" not in defects:
        app.add_api_route("/metrics", health.metrics_endpoint, methods=["GET"], include_in_schema=False)
    for module in (wallets, orders, jobs, diagnostics):
        app.include_router(module.router)

    # add_middleware wraps: the last one added is the outermost.
    if "no_body_limit" not in defects:
        app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"] if "cors_wildcard" in defects else list(settings.cors_allow_origins),
        allow_methods=["GET", "POST"],
        allow_headers=[API_KEY_HEADER, "Content-Type", "Idempotency-Key", REQUEST_ID_HEADER],
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )
    app.add_middleware(RequestContextMiddleware, metrics=services.metrics, defects=defects)
    return app
