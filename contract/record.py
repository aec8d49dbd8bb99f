"""The record of one audit: every item's result plus what a reviewer needs around it.

This is the model ``results.json`` serialises and every report renders.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.contract.checklist import Severity, SourceRef
from readiness_harness.contract.evidence import Evidence
from readiness_harness.contract.signoffs import AppliedWaiver, Attestation, ReportSignature
from readiness_harness.contract.status import Status


class ItemResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    section: str
    section_title: str
    title: str
    severity: Severity
    claimed: bool | None = None
    source: SourceRef | None = None
    kind: Literal["check", "attestation", "not_applicable"]
    check_type: str | None = None
    phase: str | None = None
    covers: Literal["full", "partial"] = "full"
    uncovered: str = ""
    status: Status
    message: str = ""
    duration_s: float = 0.0
    started_at: float | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    measurements: dict[str, float] = Field(default_factory=dict)
    waiver: AppliedWaiver | None = None
    attestation: Attestation | None = None
    original_status: Status | None = None

    @property
    def blocking(self) -> bool:
        return self.severity.blocking and self.status.blocking




class RunEnvironment(BaseModel):
    """What ran, where, with which versions: the fingerprint every report prints."""

    harness_version: str = ""
    git_commit: str = ""
    python: str = ""
    platform: str = ""
    locust: str = ""
    toxiproxy: str = ""
    target: str = ""


class ChecklistInfo(BaseModel):
    id: str
    title: str
    path: str
    sha256: str
    version: str
    signoff_roles: list[str] = Field(default_factory=list)


class TargetInfo(BaseModel):
    name: str
    base_url: str
    provisioned: bool
    processes: list[str] = Field(default_factory=list)


class StatusChange(BaseModel):
    id: str
    title: str
    before: Status | None = None
    after: Status | None = None


class MeasurementChange(BaseModel):
    item: str
    name: str
    before: float
    after: float
    change: float | None = Field(default=None, description="relative change; null when the earlier value was 0")
    worse: bool | None = Field(default=None, description="true when the move is in the bad direction, if known")


class RunDiff(BaseModel):
    """What changed since the previous run of the same checklist."""

    previous_run_id: str | None = None
    previous_started_at: str | None = None
    previous_verdict: Literal["APPROVED", "REJECTED"] | None = None
    previous_score: float | None = None
    threshold: float = 0.2
    new_failures: list[StatusChange] = Field(default_factory=list)
    fixed: list[StatusChange] = Field(default_factory=list)
    changed: list[StatusChange] = Field(default_factory=list)
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    measurements: list[MeasurementChange] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class AuditRecord(BaseModel):
    model_config = ConfigDict(extra="allow")

    schema_version: int = 1
    run_id: str
    verdict: Literal["APPROVED", "REJECTED"]
    complete: bool = True
    interrupted: str | None = None
    checklist: ChecklistInfo
    target: TargetInfo
    started_at: str
    finished_at: str
    duration_s: float
    environment: RunEnvironment = Field(default_factory=RunEnvironment)
    counts: dict[str, int] = Field(default_factory=dict)
    severity_counts: dict[str, dict[str, int]] = Field(default_factory=dict)
    score: float = 0.0
    blocking: list[str] = Field(default_factory=list)
    items: list[ItemResult] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    signoffs: list[ReportSignature] = Field(default_factory=list)
    diff: RunDiff | None = None
