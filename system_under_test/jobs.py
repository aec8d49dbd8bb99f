"""Asynchronous report jobs: persisted in the database, executed by background asyncio workers.

A job moves queued -> running -> succeeded | failed. Jobs left queued or running by a previous
process are re-queued at start-up. ``job_queue_depth`` reports the jobs waiting for a worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from starlette.concurrency import run_in_threadpool

from readiness_harness.system_under_test.db import JobRepository
from readiness_harness.system_under_test.dbcalls import DatabaseCalls
from readiness_harness.system_under_test.errors import ApiError
from readiness_harness.system_under_test.logs import request_id_var
from readiness_harness.system_under_test.metrics import Metrics
from readiness_harness.system_under_test.portfolio import PortfolioService

log = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class JobRunner:
    def __init__(self, *, repo: JobRepository, db: DatabaseCalls, portfolio: PortfolioService, metrics: Metrics,
                 workers: int) -> None:
        self.repo = repo
        self._db = db  # for the calls made while serving a request
        self._portfolio = portfolio
        self._metrics = metrics
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._worker_count = workers
        self._workers: list[asyncio.Task[None]] = []
        self._running: set[asyncio.Task[None]] = set()
        metrics.watch_queue(lambda: self._queue.qsize())

    @property
    def depth(self) -> int:
        return self._queue.qsize()

    async def start(self) -> None:
        for job_id in await run_in_threadpool(self.repo.unfinished):
            self._queue.put_nowait(job_id)
        self._workers = [asyncio.create_task(self._work(), name=f"job-worker-{i}")
                         for i in range(self._worker_count)]

    async def stop(self, grace_s: float) -> None:
        """Let running jobs finish within the grace period; queued jobs stay queued in the DB."""
        for task in self._workers:
            task.cancel()
        if self._running:
            _, pending = await asyncio.wait(self._running, timeout=grace_s)
            for task in pending:
                log.warning("job still running at shutdown; it will be re-queued on next start",
                            extra={"job_task": task.get_name()})
                task.cancel()

    async def submit(self, *, client_id: str, kind: str, params: dict[str, Any], request_id: str | None) -> str:
        job_id = str(uuid.uuid4())
        now = _now()
        await self._db.run(self.repo.insert, {
            "id": job_id, "client_id": client_id, "kind": kind, "status": "queued",
            "params": json.dumps(params), "result": None, "error": None, "request_id": request_id,
            "created_at": now, "updated_at": now,
        })
        self._queue.put_nowait(job_id)
        return job_id

    async def _work(self) -> None:
        while True:
            job_id = await self._queue.get()
            task = asyncio.create_task(self._run(job_id), name=f"job-{job_id}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            try:
                await asyncio.shield(task)  # stop() cancels the worker, never the job mid-flight
            finally:
                self._queue.task_done()

    async def _run(self, job_id: str) -> None:
        job = await run_in_threadpool(self.repo.get, job_id)
        if job is None or job["status"] not in ("queued", "running"):
            return
        token = request_id_var.set(job["request_id"])
        try:
            await run_in_threadpool(self.repo.update, job_id, status="running", updated_at=_now())
            try:
                result = await self._portfolio_summary(json.loads(job["params"]), job["request_id"])
            except ApiError as exc:
                error = {"code": exc.code.value, "message": exc.message}
                await run_in_threadpool(self.repo.update, job_id, status="failed", updated_at=_now(),
                                        error=json.dumps(error, default=str))
                self._metrics.jobs.labels("failed").inc()
                return
            await run_in_threadpool(self.repo.update, job_id, status="succeeded", updated_at=_now(),
                                    result=json.dumps(result))
            self._metrics.jobs.labels("succeeded").inc()
        except Exception:
            log.exception("job crashed", extra={"job_id": job_id})
            with contextlib.suppress(Exception):
                await run_in_threadpool(self.repo.update, job_id, status="failed", updated_at=_now(),
                                        error=json.dumps({"code": "INTERNAL", "message": "internal error"}))
            self._metrics.jobs.labels("failed").inc()
        finally:
            request_id_var.reset(token)

    async def _portfolio_summary(self, params: dict[str, Any], request_id: str | None) -> dict[str, Any]:
        wallets = []
        total_native = Decimal(0)
        for address in params["addresses"]:
            portfolio = await self._portfolio.get(params["chain"], address, request_id)
            native = Decimal(portfolio.balances[0].amount)
            total_native += native
            wallets.append({"address": portfolio.address, "as_of_block": portfolio.as_of_block,
                            "native_amount": str(native), "assets": len(portfolio.balances)})
        return {"chain": params["chain"], "wallets": wallets, "total_native_amount": str(total_native)}
