"""The seeds' sensitivity matrices, functional part: every functional item a seed maps to a defect of
the reference service passes on the clean service and fails with its defect on (load and fault items
run in `make sensitivity`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.checks import default_registry
from readiness_harness.contract.registry import Phase
from readiness_harness.contract.status import Status
from readiness_harness.listeners import standard_listeners
from readiness_harness.sensitivity import Matrix
from tests.conftest import tool_missing
from tests.seeds.support import SEEDS, STEMS

# dozens of audits of the reference service (no external tool): they run in `make test`, not again in
# `make test-bare`
pytestmark = pytest.mark.slow

FUNCTIONAL = {Phase.FUNCTIONAL}
TOOLS = {"alert_rules": "promtool"}  # as in tests/core/test_sensitivity.py


def matrix(stem: str, out_dir: Path) -> Matrix:
    return Matrix.load(SEEDS / f"{stem}.yaml", SEEDS / f"{stem}.sensitivity.yaml", default_registry(), out_dir)


def functional_items(m: Matrix, defect: str | None = None) -> set[str]:
    """The functional items mapped to ``defect`` (to any defect when None)."""
    names = [defect] if defect else list(m.spec.defects)
    return {i for n in names for i in m.spec.defects[n].expect_failing if m.phase_of[i] == Phase.FUNCTIONAL}


def cases() -> list[tuple[str, str]]:
    found = []
    for stem in STEMS:
        m = matrix(stem, Path("/tmp"))
        found += [(stem, name) for name in sorted(m.spec.defects) if functional_items(m, name)]
    return found


@pytest.mark.parametrize("stem", STEMS)
def test_every_seed_maps_defects_to_its_items(stem):
    m = matrix(stem, Path("/tmp"))  # loading checks that every mapped item exists in the seed
    assert m.spec.defects and all(e.expect_failing for e in m.spec.defects.values())


@pytest.mark.parametrize("stem", STEMS)
def test_clean_service_passes_the_mapped_items(stem, tmp_path):
    m = matrix(stem, tmp_path)
    only = functional_items(m)
    options = AuditOptions(listeners=standard_listeners(), checklist=m.checklist, out_dir=tmp_path,
                           only=frozenset(only), environ=m.environ(None))
    record = asyncio.run(run_audit(options, m.registry)).record
    ran = {item.id: item for item in record.items if item.id in only}
    assert set(ran) == only
    for item in ran.values():
        tool = TOOLS.get(item.check_type or "")
        if tool is not None and tool_missing(tool):
            assert item.status == Status.ERROR and f"{tool} is not on PATH" in item.message, (item.id, item.message)
        else:
            assert item.status == Status.PASSED, (item.id, item.status, item.message)


@pytest.mark.parametrize(("stem", "defect"), cases())
def test_defect_is_caught_by_the_seed(stem, defect, tmp_path):
    row = asyncio.run(matrix(stem, tmp_path).defect(defect, FUNCTIONAL, with_functional=False))
    assert row is not None and row.caught, f"{stem} {defect}: expected {row.expected_failing if row else '?'} " \
                                           f"to fail, failed: {row.failed if row else '?'}"
