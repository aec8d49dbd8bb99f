"""The claims audit: what a source checklist claimed, set against what the audit found.

Pure functions of the item results, shared by the HTML report, ``summary.md`` and the index
of many runs. Only items whose ``claimed`` is set take part.

- verified: claimed done, and passed or attested by a check that covers the whole claim;
- partly verified: claimed done and passed, but the item says its check covers the claim only in
  part (``covers: partial``, with what is not covered in ``uncovered``);
- unsupported: claimed done, but failed, errored, inconclusive, unattested, skipped or waived;
- unclaimed passing: not claimed done, yet passed or attested;
- claimed but not applicable: claimed done, bound to no check (counted in no headline).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from readiness_harness.contract.record import ItemResult
from readiness_harness.contract.status import Status


@dataclass(frozen=True)
class ClaimsAudit:
    verified: tuple[ItemResult, ...] = ()
    partly_verified: tuple[ItemResult, ...] = ()
    unsupported: tuple[ItemResult, ...] = ()
    unclaimed_passing: tuple[ItemResult, ...] = ()
    claimed_not_applicable: tuple[ItemResult, ...] = ()
    not_claimed: int = 0

    @property
    def claims(self) -> int:
        """Items claimed done that the audit could assess."""
        return len(self.verified) + len(self.partly_verified) + len(self.unsupported)

    @property
    def any(self) -> bool:
        return bool(self.claims or self.unclaimed_passing or self.claimed_not_applicable or self.not_claimed)

    @property
    def verified_share(self) -> float | None:
        return round(100.0 * len(self.verified) / self.claims, 1) if self.claims else None

    @property
    def headline(self) -> str:
        if not self.any:
            return "no claims recorded"
        partly = f", {len(self.partly_verified)} partly" if self.partly_verified else ""
        return f"{len(self.verified)} of {self.claims} claims verified{partly}"


def audit_claims(items: Iterable[ItemResult]) -> ClaimsAudit:
    verified: list[ItemResult] = []
    partly: list[ItemResult] = []
    unsupported: list[ItemResult] = []
    unclaimed: list[ItemResult] = []
    not_applicable: list[ItemResult] = []
    not_claimed = 0
    for item in items:
        if item.claimed is None:
            continue
        if item.claimed:
            if item.status == Status.NOT_APPLICABLE:
                not_applicable.append(item)
            else:
                if not item.status.passing:
                    unsupported.append(item)
                else:
                    (partly if item.covers == "partial" else verified).append(item)
        else:
            not_claimed += 1
            if item.status.passing:
                unclaimed.append(item)
    return ClaimsAudit(tuple(verified), tuple(partly), tuple(unsupported), tuple(unclaimed), tuple(not_applicable),
                       not_claimed)


def claims_headline(items: Iterable[ItemResult]) -> str:
    """``"N of M claims verified[, P partly]"``, or ``"no claims recorded"`` when no item carries a claim."""
    return audit_claims(items).headline
