"""What the HTML templates render, computed from an audit record.

Every decision (which items block, what counts as a verified claim, who has signed, which
evidence is charted) is made here or in the record; the templates only lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from readiness_harness.contract.evidence import Evidence, Observation, TimeSeries
from readiness_harness.contract.record import AuditRecord, ItemResult, StatusChange
from readiness_harness.contract.status import Status
from readiness_harness.reports.claims import ClaimsAudit, audit_claims

SEVERITIES = ("critical", "high", "medium", "low")


@dataclass
class SectionView:
    id: str
    title: str
    items: list[ItemResult] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SignatureRow:
    role: str
    signer: str = ""
    date: str = ""
    note: str = ""
    listed: bool = True

    @property
    def signed(self) -> bool:
        return bool(self.signer)


@dataclass(frozen=True)
class Approval:
    """One signature file beside the report, as the core read and checked it (reports do no crypto)."""

    file: str
    role: str
    name: str
    fingerprint: str
    signed_at: str
    verified: bool
    problem: str = ""

    @property
    def short_fingerprint(self) -> str:
        return f"SHA256:{self.fingerprint[:16]}" if self.fingerprint else "—"


@dataclass(frozen=True)
class SignOffView:
    """The report's sign-off section: signatures and whether each verified, roles still without one,
    and the names an attestations file declares (which sign nothing)."""

    run_id: str
    verdict: str
    roles: list[str]
    approvals: list[Approval]
    missing: list[str]
    unlisted: list[str]
    declared: list[SignatureRow]


def signoff_view(record: AuditRecord, approvals: list[Approval] | tuple[Approval, ...] = ()) -> SignOffView:
    """Roles the checklist names that lack a verified signature are listed as missing (roles match
    case-insensitively); an unverified signature counts for nothing."""
    verified = {a.role.strip().lower() for a in approvals if a.verified}
    roles = list(record.checklist.signoff_roles)
    named = {r.strip().lower() for r in roles}
    return SignOffView(run_id=record.run_id, verdict=record.verdict, roles=roles, approvals=list(approvals),
                       missing=[r for r in roles if r.strip().lower() not in verified],
                       unlisted=[a.file for a in approvals if a.role.strip().lower() not in named],
                       declared=[row for row in signature_rows(record) if row.signed])


@dataclass(frozen=True)
class EvidenceBlock:
    """Consecutive evidence of one kind (observations are laid out as one table)."""

    kind: str
    entries: list[Any]
    chart: Markup | None = None


@dataclass
class ReportView:
    record: AuditRecord
    sections: list[SectionView]
    status_columns: list[str]
    severity_rows: list[tuple[str, list[int], int]]
    claims: ClaimsAudit
    attestations: list[ItemResult]
    waivers: list[ItemResult]
    blocking: list[ItemResult]
    evidence: dict[str, list[EvidenceBlock]]
    expanded: set[str]
    other_changes: list[StatusChange]
    signoff: SignOffView


def build_view(record: AuditRecord, approvals: list[Approval] | tuple[Approval, ...] = ()) -> ReportView:
    sections: dict[str, SectionView] = {}
    for item in record.items:
        section = sections.setdefault(item.section, SectionView(item.section, item.section_title))
        section.items.append(item)
        section.counts[item.status.value] = section.counts.get(item.status.value, 0) + 1
    columns = [s.value for s in Status if record.counts.get(s.value)]
    by_id = {item.id: item for item in record.items}
    charts = _Charts()
    return ReportView(
        record=record, sections=list(sections.values()), status_columns=columns,
        severity_rows=_severity_rows(record, columns), claims=audit_claims(record.items),
        attestations=[i for i in record.items if i.kind == "attestation" or i.attestation],
        waivers=[i for i in record.items if i.waiver],
        blocking=[by_id[i] for i in record.blocking if i in by_id],
        evidence={item.id: evidence_blocks(item.evidence, charts) for item in record.items},
        expanded={item.id for item in record.items if not item.status.settled},
        other_changes=_other_changes(record),
        signoff=signoff_view(record, approvals),
    )


def _other_changes(record: AuditRecord) -> list[StatusChange]:
    """Status changes that are neither a new failure nor a fix (passed to waived, say)."""
    if record.diff is None:
        return []
    listed = {c.id for c in (*record.diff.new_failures, *record.diff.fixed)}
    return [c for c in record.diff.changed if c.id not in listed]


def _severity_rows(record: AuditRecord, columns: list[str]) -> list[tuple[str, list[int], int]]:
    rows = []
    for severity in SEVERITIES:
        found = record.severity_counts.get(severity)
        if found:
            rows.append((severity, [found.get(c, 0) for c in columns], sum(found.values())))
    return rows


def signature_rows(record: AuditRecord) -> list[SignatureRow]:
    """One row per signature of a named role, an empty row per role not yet signed, then other signatures."""
    rows: list[SignatureRow] = []
    used: set[int] = set()
    for role in record.checklist.signoff_roles:
        matches = [(i, s) for i, s in enumerate(record.signoffs) if s.role.strip().lower() == role.strip().lower()]
        used.update(i for i, _ in matches)
        rows += [SignatureRow(role, s.signer, s.date.isoformat(), s.note) for _, s in matches] or [SignatureRow(role)]
    rows += [SignatureRow(s.role, s.signer, s.date.isoformat(), s.note, listed=False)
             for i, s in enumerate(record.signoffs) if i not in used]
    return rows


class _Charts:
    """Numbers the charts of one report so their SVG ids stay unique on the page."""

    def __init__(self) -> None:
        self.count = 0

    def render(self, series: TimeSeries) -> Markup:
        from readiness_harness.reports.charts import (
            render_timeseries,  # matplotlib loads only for reports that have charts
        )

        self.count += 1
        return Markup(render_timeseries(series, chart_id=f"chart{self.count}"))  # text inside is escaped by matplotlib


def evidence_blocks(evidence: list[Evidence], charts: _Charts) -> list[EvidenceBlock]:
    blocks: list[EvidenceBlock] = []
    for entry in evidence:
        if isinstance(entry, Observation) and blocks and blocks[-1].kind == "observation":
            blocks[-1].entries.append(entry)
        elif isinstance(entry, TimeSeries):
            blocks.append(EvidenceBlock(entry.kind, [entry], charts.render(entry)))
        else:
            blocks.append(EvidenceBlock(entry.kind, [entry]))
    return blocks
