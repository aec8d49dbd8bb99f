"""A tiny loopback service for the Locust runner's tests: fast, slow, flaky and rate-limited routes."""

from __future__ import annotations

import asyncio
import itertools

from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse

app = FastAPI()
_counters = {name: itertools.count() for name in ("flaky", "limited", "bare")}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/fast")
async def fast() -> dict[str, bool]:
    return {"ok": True}


@app.get("/slow")
async def slow(ms: int = Query(default=60, ge=0, le=2000)) -> dict[str, int]:
    await asyncio.sleep(ms / 1000)
    return {"slept_ms": ms}


@app.get("/flaky")
async def flaky() -> JSONResponse:
    """Every other request fails with a 500 and a uniform error body."""
    if next(_counters["flaky"]) % 2:
        return JSONResponse({"error": {"code": "internal", "message": "boom"}}, status_code=500)
    return JSONResponse({"ok": True})


@app.get("/limited")
async def limited() -> JSONResponse:
    """Every other request is refused with 429 and Retry-After."""
    if next(_counters["limited"]) % 2:
        return JSONResponse({"error": {"code": "rate_limited"}}, status_code=429, headers={"Retry-After": "1"})
    return JSONResponse({"ok": True})


@app.get("/limited-bare")
async def limited_bare() -> JSONResponse:
    """Every other request is refused with 429 but no Retry-After."""
    if next(_counters["bare"]) % 2:
        return JSONResponse({"error": {"code": "rate_limited"}}, status_code=429)
    return JSONResponse({"ok": True})
