"""The ``attestation`` check type: a named role vouches for an item no machine can verify."""

from __future__ import annotations

from readiness_harness.contract.checklist import AttestationSpec
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import Observation
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status


async def run_attestation(params: AttestationSpec, ctx: CheckContext) -> Result:
    """A signed, unexpired attestation by the named role; otherwise ``unattested``."""
    book = ctx.audit.signoffs
    record = book.attestation_for(ctx.item_id)
    wanted = Observation(label="required role", observed=params.role, expected=params.evidence or None)
    if record is None:
        return Result(status=Status.UNATTESTED, message=f"no attestation by the {params.role}", evidence=[wanted])
    if record.is_expired(book.today):
        return Result(status=Status.UNATTESTED, message=f"attestation by {record.signer} expired on {record.expires}",
                      evidence=[wanted], attestation=record)
    if record.role.strip().lower() != params.role.strip().lower():
        return Result(status=Status.UNATTESTED,
                      message=f"attested by {record.signer} as {record.role}, but the {params.role} must sign",
                      evidence=[wanted], attestation=record)
    return Result(status=Status.ATTESTED, message=f"attested by {record.signer} ({record.role}) on {record.date}",
                  evidence=[wanted], attestation=record)


EXAMPLE = """\
type: attestation
role: SRE
evidence: the on-call rota for launch week
"""


def register(registry: Registry) -> None:
    registry.register("attestation", AttestationSpec, judges_attestations=True, example=EXAMPLE)(run_attestation)
