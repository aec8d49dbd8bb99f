"""POST /v1/reports starts an asynchronous job; GET /v1/jobs/{job_id} reports on it."""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.system_under_test.errors import ApiError, ErrorCode
from readiness_harness.system_under_test.routes.deps import get_services, require_client, v1_router
from readiness_harness.system_under_test.security import Client

router = v1_router("jobs")

MAX_REPORT_ADDRESSES = 25


class ReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chain: str = Field(max_length=32)
    addresses: list[str] = Field(min_length=1, max_length=MAX_REPORT_ADDRESSES)


class JobAccepted(BaseModel):
    job_id: str
    status: Literal["queued"]


class Job(BaseModel):
    job_id: str
    kind: str
    status: Literal["queued", "running", "succeeded", "failed"]
    created_at: str
    updated_at: str
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


@router.post("/reports", status_code=202, response_model=JobAccepted, summary="Start a portfolio report job")
async def create_report(request: Request, body: ReportRequest,
                        client: Client = Depends(require_client)) -> JSONResponse:
    services = get_services(request)
    addresses = [services.portfolio.validate(body.chain, address)[1] for address in body.addresses]
    job_id = await services.jobs.submit(
        client_id=client.key_id, kind="portfolio_summary",
        params={"chain": body.chain.lower(), "addresses": addresses}, request_id=request.state.request_id)
    accepted = JobAccepted(job_id=job_id, status="queued")
    return JSONResponse(accepted.model_dump(), status_code=202, headers={"Location": f"/v1/jobs/{job_id}"})


@router.get("/jobs/{job_id}", response_model=Job, summary="Status and result of a job")
async def get_job(request: Request, job_id: uuid.UUID, client: Client = Depends(require_client)) -> Job:
    services = get_services(request)
    row = await services.db.run(services.jobs.repo.get, str(job_id), client.key_id)
    if row is None:
        raise ApiError(404, ErrorCode.NOT_FOUND, "job not found")
    return Job(
        job_id=row["id"], kind=row["kind"], status=row["status"], created_at=row["created_at"],
        updated_at=row["updated_at"], result=json.loads(row["result"]) if row["result"] else None,
        error=json.loads(row["error"]) if row["error"] else None,
    )
