"""The ``attestation`` check type: a named role vouches for an item no machine can verify."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from readiness_harness.checks.registry import Registry
from readiness_harness.context import CheckContext
from readiness_harness.result import Observation, Result, Status


class AttestationParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str
    evidence: str = ""


async def run_attestation(params: AttestationParams, ctx: CheckContext) -> Result:
    """A signed, unexpired attestation by the named role; otherwise ``unattested``."""
    book = ctx.env.signoffs
    record = book.attestation_for(ctx.item_id)
    wanted = Observation(label="required role", observed=params.role, expected=params.evidence or None)
    if record is None:
        return Result(status=Status.UNATTESTED, message=f"no attestation by the {params.role}", evidence=[wanted])
    info = record.model_dump(mode="json")
    if record.expired(book.today):
        return Result(status=Status.UNATTESTED, message=f"attestation by {record.signer} expired on {record.expires}",
                      evidence=[wanted], attestation=info)
    if record.role.strip().lower() != params.role.strip().lower():
        return Result(status=Status.UNATTESTED,
                      message=f"attested by {record.signer} as {record.role}, but the {params.role} must sign",
                      evidence=[wanted], attestation=info)
    return Result(status=Status.ATTESTED, message=f"attested by {record.signer} ({record.role}) on {record.date}",
                  evidence=[wanted], attestation=info)


def register(registry: Registry) -> None:
    registry.register("attestation", AttestationParams)(run_attestation)
