"""What a check returns: a status, a message, and the evidence a reviewer needs."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.contract.evidence import Evidence, Observation
from readiness_harness.contract.signoffs import Attestation
from readiness_harness.contract.status import Status


class Result(BaseModel):
    """The outcome of one item."""

    model_config = ConfigDict(extra="forbid")

    status: Status
    message: str = ""
    duration_s: float = 0.0
    evidence: list[Evidence] = Field(default_factory=list)
    measurements: dict[str, float] = Field(default_factory=dict)
    attestation: Attestation | None = None

    @classmethod
    def passed(cls, message: str, *evidence: Any, **measurements: float) -> Result:
        return cls(status=Status.PASSED, message=message, evidence=list(evidence), measurements=measurements)

    @classmethod
    def failed(cls, message: str, *evidence: Any, **measurements: float) -> Result:
        return cls(status=Status.FAILED, message=message, evidence=list(evidence), measurements=measurements)

    @classmethod
    def error(cls, message: str, *evidence: Any) -> Result:
        return cls(status=Status.ERROR, message=message, evidence=list(evidence))

    @classmethod
    def from_observations(
        cls, observations: list[Observation], *extra: Any, ok_message: str, **measurements: float
    ) -> Result:
        """Passed when every observation holds; otherwise failed, naming what missed."""
        missed = [o for o in observations if o.ok is False]
        evidence = [*observations, *extra]
        if not missed:
            return cls.passed(ok_message, *evidence, **measurements)
        text = "; ".join(f"{o.label}: {_short(o.observed)} (expected {_short(o.expected)})" for o in missed)
        return cls.failed(text, *evidence, **measurements)


def _short(value: Any, limit: int = 120) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
