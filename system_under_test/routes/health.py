"""Operational endpoints: liveness, readiness with component status, Prometheus metrics.

``/health`` is liveness: it answers from the process alone, so a database outage never gets
the pod restarted. ``/ready`` checks the components: the database is required; at least one
provider circuit must be not open; a degraded cache is reported but does not fail readiness.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from readiness_harness.system_under_test import __version__
from readiness_harness.system_under_test.circuit import CircuitState
from readiness_harness.system_under_test.db import ping
from readiness_harness.system_under_test.metrics import CONTENT_TYPE
from readiness_harness.system_under_test.routes.deps import get_services
from readiness_harness.system_under_test.services import Services

router = APIRouter(tags=["operations"])

CHECK_TIMEOUT_S = 2.0


class Health(BaseModel):
    status: Literal["ok", "down"]
    version: str


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    components: dict[str, Any]


async def _database(services: Services) -> dict[str, Any]:
    try:
        latency_ms = await asyncio.wait_for(run_in_threadpool(ping, services.engine), CHECK_TIMEOUT_S)
    except Exception as exc:  # any failure means "down"; the type is reported, not the message
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "up", "latency_ms": round(latency_ms, 2), "dialect": services.engine.dialect.name}


async def _cache(services: Services) -> dict[str, Any]:
    try:
        return await asyncio.wait_for(services.cache.status(), CHECK_TIMEOUT_S)
    except TimeoutError:
        return {"status": "degraded", "backend": services.cache.backend, "error": "TimeoutError"}


def _providers(services: Services) -> dict[str, Any]:
    result = {}
    for provider in services.pool.providers:
        state = provider.breaker.state
        result[provider.name] = {"status": "down" if state is CircuitState.OPEN else "up",
                                 "circuit": state.value}
    return result


@router.get("/health", response_model=Health, summary="Liveness")
async def health(request: Request, response: Response) -> Health:
    services = get_services(request)
    if "health_calls_db" in services.defects:
        database = await _database(services)
        if database["status"] != "up":
            response.status_code = 503
            return Health(status="down", version=__version__)
    return Health(status="ok", version=__version__)


@router.get("/ready", response_model=Readiness, responses={503: {"model": Readiness}}, summary="Readiness")
async def ready(request: Request) -> JSONResponse:
    services = get_services(request)
    if "ready_ignores_db" in services.defects:
        database: dict[str, Any] = {"status": "unchecked"}
    else:
        database = await _database(services)
    providers = _providers(services)
    ok = database["status"] != "down" and any(p["status"] == "up" for p in providers.values())
    body = Readiness(status="ready" if ok else "not_ready",
                     components={"database": database, "cache": await _cache(services), "providers": providers})
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


def metrics_endpoint(request: Request) -> Response:
    return Response(get_services(request).metrics.render(), media_type=CONTENT_TYPE)
