"""GET /v1/slow: a bounded, authenticated wait, used to verify in-flight completion on shutdown."""

from __future__ import annotations

import asyncio

from fastapi import Query
from pydantic import BaseModel

from readiness_harness.system_under_test.routes.deps import v1_router

router = v1_router("diagnostics")

MAX_SLOW_MS = 10_000


class Slept(BaseModel):
    slept_ms: int


@router.get("/slow", response_model=Slept, summary="Answer after a bounded delay")
async def slow(ms: int = Query(ge=0, le=MAX_SLOW_MS, description="delay in milliseconds")) -> Slept:
    await asyncio.sleep(ms / 1000)
    return Slept(slept_ms=ms)
