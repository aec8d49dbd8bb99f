"""The claims audit: claimed done and verified, unsupported claims, passing without a claim."""

from __future__ import annotations

from readiness_harness.contract.status import Status
from readiness_harness.reports.claims import audit_claims, claims_headline
from tests.reports.conftest import every_kind_of_evidence, make_item


def test_claims_of_the_full_record() -> None:
    claims = audit_claims(every_kind_of_evidence())
    assert [i.id for i in claims.verified] == ["health", "oncall"]
    assert [i.id for i in claims.unsupported] == ["rate-limit", "runbook", "backups"]
    assert [i.id for i in claims.unclaimed_passing] == ["db-fault"]
    assert [i.id for i in claims.claimed_not_applicable] == ["telegram"]
    assert claims.headline == "2 of 5 claims verified" and claims.verified_share == 40.0


def test_every_unverified_status_makes_an_unsupported_claim() -> None:
    unverified = [Status.FAILED, Status.ERROR, Status.INCONCLUSIVE, Status.UNATTESTED, Status.SKIPPED, Status.WAIVED]
    items = [make_item(f"i{n}", status, claimed=True) for n, status in enumerate(unverified)]
    items += [make_item("p", Status.PASSED, claimed=True), make_item("a", Status.ATTESTED, claimed=True)]
    claims = audit_claims(items)
    assert len(claims.unsupported) == len(unverified) and len(claims.verified) == 2
    assert claims.headline == "2 of 8 claims verified"


def test_items_without_a_claim_take_no_part() -> None:
    items = [make_item("x", Status.PASSED), make_item("y", Status.FAILED)]
    assert claims_headline(items) == "no claims recorded"
    assert not audit_claims(items).any and audit_claims(items).verified_share is None


def test_not_claimed_and_failing_is_no_news() -> None:
    claims = audit_claims([make_item("n", Status.FAILED, claimed=False), make_item("m", Status.PASSED, claimed=False)])
    assert claims.claims == 0 and claims.not_claimed == 2 and [i.id for i in claims.unclaimed_passing] == ["m"]
    assert claims.headline == "0 of 0 claims verified"


def test_a_partial_check_makes_a_partly_verified_claim_and_earns_half_its_weight() -> None:
    from readiness_harness.verdict import score

    partial = make_item("pool", Status.PASSED, claimed=True, covers="partial",
                        uncovered="the pool is never exhausted under load")
    full = make_item("health", Status.PASSED, claimed=True)
    failed = make_item("limits", Status.FAILED, claimed=True)
    claims = audit_claims([partial, full, failed])
    assert [i.id for i in claims.verified] == ["health"]
    assert [i.id for i in claims.partly_verified] == ["pool"]
    assert [i.id for i in claims.unsupported] == ["limits"]
    assert claims.headline == "1 of 3 claims verified, 1 partly"
    assert score([partial, full, failed]) == round(100 * (4 * 0.5 + 4) / 12, 1)
    assert score([full, make_item("pool", Status.PASSED, claimed=True), failed]) == round(100 * 8 / 12, 1)
