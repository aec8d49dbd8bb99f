"""Attestations and waivers end to end: expiry, roles, the verdict, and located errors in the files."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.contract.errors import ChecklistError
from readiness_harness.contract.status import Status
from readiness_harness.listeners import standard_listeners

TODAY = dt.date.today()
PAST = (TODAY - dt.timedelta(days=30)).isoformat()
EXPIRED = (TODAY - dt.timedelta(days=1)).isoformat()
FUTURE = (TODAY + dt.timedelta(days=30)).isoformat()

CHECKLIST = """
checklist:
  id: signoff-demo
  title: Sign-off demo
  target: target.yaml
  attestations: attestations.yaml
  waivers: waivers.yaml
sections:
  - id: main
    title: Main
    items:
      - id: served
        title: The index is served
        severity: high
        check: {type: http, path: /, expect: {status: 200}}
      - id: broken
        title: A page that does not exist answers 200
        severity: high
        check: {type: http, path: /missing, expect: {status: 200}}
      - id: oncall
        title: On-call rotation set up
        severity: high
        attestation: {role: SRE lead}
"""


def attestation(expires: str, role: str = "SRE lead") -> str:
    return f"""
attestations:
  - item: oncall
    signer: Dana Reyes
    role: {role}
    date: {PAST}
    evidence: https://wiki.example/oncall/rotation
    expires: {expires}
"""


def waiver(expires: str) -> str:
    return f"""
waivers:
  - item: broken
    justification: The page ships next sprint; nothing links to it yet.
    approver: Sam Okafor (engineering lead)
    expires: {expires}
    ticket: OPS-123
"""


def audit(write_yaml, static_target: Path, tmp_path: Path, attestations: str, waivers: str):
    write_yaml("attestations.yaml", attestations)
    write_yaml("waivers.yaml", waivers)
    checklist = write_yaml("checklist.yaml", CHECKLIST)
    assert checklist.parent == static_target.parent
    outcome = asyncio.run(run_audit(AuditOptions(listeners=standard_listeners(),
                                                 checklist=checklist, out_dir=tmp_path / "out"), _registry()))
    return outcome.record.verdict, {item.id: item for item in outcome.record.items}


def _registry():
    from readiness_harness.checks import default_registry

    return default_registry()


def test_valid_attestation_and_waiver_approve(write_yaml, static_target, tmp_path):
    verdict, items = audit(write_yaml, static_target, tmp_path, attestation(FUTURE), waiver(FUTURE))
    assert items["served"].status == Status.PASSED
    assert items["oncall"].status == Status.ATTESTED
    assert items["broken"].status == Status.WAIVED and items["broken"].original_status == Status.FAILED
    assert items["broken"].waiver.approver.startswith("Sam Okafor")
    assert verdict == "APPROVED"


def test_expired_attestation_is_missing_and_expired_waiver_fails_again(write_yaml, static_target, tmp_path):
    verdict, items = audit(write_yaml, static_target, tmp_path, attestation(EXPIRED), waiver(EXPIRED))
    assert items["oncall"].status == Status.UNATTESTED
    assert "expired" in items["oncall"].message
    assert items["broken"].status == Status.FAILED
    assert items["broken"].waiver.expired is True and "waiver expired" in items["broken"].message
    assert verdict == "REJECTED"


def test_attestation_by_another_role_does_not_count(write_yaml, static_target, tmp_path):
    verdict, items = audit(write_yaml, static_target, tmp_path, attestation(FUTURE, role="Intern"), waiver(FUTURE))
    assert items["oncall"].status == Status.UNATTESTED
    assert verdict == "REJECTED"


def test_a_waiver_never_turns_a_pass_into_anything_else(write_yaml, static_target, tmp_path):
    text = waiver(FUTURE).replace("item: broken", "item: served")
    _, items = audit(write_yaml, static_target, tmp_path, "attestations: []\n", text)
    assert items["served"].status == Status.PASSED and items["served"].waiver is None
    assert items["broken"].status == Status.FAILED


@pytest.mark.parametrize(("attestations", "waivers", "expected"), [
    (attestation(FUTURE).replace("    signer: Dana Reyes\n", ""), waiver(FUTURE),
     ("attestations.yaml", 2, "signer")),
    (attestation(FUTURE).replace(f"date: {PAST}", "date: last tuesday"), waiver(FUTURE),
     ("attestations.yaml", 5, "date")),
    (attestation(FUTURE).replace("item: oncall", "item: on-call"), waiver(FUTURE),
     ("attestations.yaml", 2, "oncall")),
    (attestation(FUTURE).replace("evidence:", "evidense:"), waiver(FUTURE),
     ("attestations.yaml", 6, "Did you mean 'evidence'")),
    (attestation(FUTURE), waiver(FUTURE).replace("justification: The page", "justification: ok #"),
     ("waivers.yaml", 3, "justification")),
    (attestation(FUTURE), waiver(FUTURE).replace(f"expires: {FUTURE}", "expires: never"),
     ("waivers.yaml", 5, "expires")),
])
def test_invalid_files_give_located_errors(write_yaml, static_target, tmp_path, attestations, waivers, expected):
    with pytest.raises(ChecklistError) as info:
        audit(write_yaml, static_target, tmp_path, attestations, waivers)
    file, line, word = expected
    located = [(Path(p.file).name, p.line) for p in info.value.problems if word in str(p)]
    assert (file, line) in located, str(info.value)
    assert not (tmp_path / "out").exists()  # nothing ran
