"""Item statuses, and the categories every part of the harness reads from them (defined here once).

    passed          the service met the bar
    failed          the service missed the bar
    error           the harness could not evaluate the item
    inconclusive    a measurement was made but cannot be trusted (noise, generator limits, empty window)
    attested        a person vouched for an item no machine can verify
    unattested      no valid attestation for such an item
    waived          a failure accepted until a date by a named approver
    not_applicable  does not apply, with a reason
    skipped         not run (--only, --phases, an interrupt)
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    INCONCLUSIVE = "inconclusive"
    ATTESTED = "attested"
    UNATTESTED = "unattested"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"
    SKIPPED = "skipped"

    @property
    def blocking(self) -> bool:
        """A critical or high item in this state blocks the verdict. Skipped counts too: an audit
        that did not run a critical item (``--only``, ``--phases``, an interrupt) proves nothing."""
        return self in _BLOCKING

    @property
    def unproven(self) -> bool:
        """Blocking without anything having gone wrong: the evidence is missing, not bad."""
        return self in _UNPROVEN

    @property
    def failing(self) -> bool:
        """Something went wrong: the service missed the bar, or it could not be judged or vouched for."""
        return self in _BLOCKING and self != Status.SKIPPED

    @property
    def passing(self) -> bool:
        """Verified by a check or vouched for by a person."""
        return self in (Status.PASSED, Status.ATTESTED)

    @property
    def scored(self) -> bool:
        """Counts towards the readiness score (waived, not applicable and skipped items do not)."""
        return self not in (Status.WAIVED, Status.NOT_APPLICABLE, Status.SKIPPED)

    @property
    def settled(self) -> bool:
        """Nothing for a reviewer to look into."""
        return self in (Status.PASSED, Status.ATTESTED, Status.NOT_APPLICABLE, Status.SKIPPED)

    @property
    def junit(self) -> str:
        """How a CI publisher should show it: ``passed``, ``failure``, ``error`` or ``skipped``."""
        if self in (Status.FAILED, Status.UNATTESTED, Status.INCONCLUSIVE):
            return "failure"
        if self == Status.ERROR:
            return "error"
        if self in (Status.SKIPPED, Status.NOT_APPLICABLE, Status.WAIVED):
            return "skipped"
        return "passed"


_BLOCKING = frozenset({Status.FAILED, Status.ERROR, Status.INCONCLUSIVE, Status.UNATTESTED, Status.SKIPPED})
_UNPROVEN = frozenset({Status.INCONCLUSIVE, Status.UNATTESTED, Status.SKIPPED})
