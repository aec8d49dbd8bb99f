"""The sensitivity matrix, functional part: every functional defect of the reference service
fails the items mapped to it, and the clean service fails none (load and fault defects run in
`make sensitivity` and in the scenario and load tests)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from readiness_harness.checks import default_registry
from readiness_harness.contract.registry import Phase
from readiness_harness.sensitivity import Matrix
from tests.conftest import ROOT

CHECKLIST = ROOT / "checklists" / "reference.yaml"
EXPECTATIONS = ROOT / "checklists" / "reference.sensitivity.yaml"
FULL_EXPECTATIONS = ROOT / "checklists" / "reference-full.sensitivity.yaml"
FUNCTIONAL = {Phase.FUNCTIONAL}


def matrix(tmp_path: Path) -> Matrix:
    return Matrix.load(CHECKLIST, EXPECTATIONS, default_registry(), tmp_path)


def functional_defects() -> list[str]:
    m = Matrix.load(CHECKLIST, EXPECTATIONS, default_registry(), Path("/tmp"))
    return sorted(n for n, e in m.spec.defects.items() if any(m.phase_of[i] == Phase.FUNCTIONAL
                                                              for i in e.expect_failing))


def test_every_defect_of_the_service_has_expectations():
    listed = subprocess.run([sys.executable, "-m", "readiness_harness.system_under_test", "--list-defects"],
                            capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()
    defects = {word for word in listed if word.islower() and "_" in word and word.isidentifier()}
    import yaml

    mapped = set(yaml.safe_load(EXPECTATIONS.read_text())["defects"]) | set(
        yaml.safe_load(FULL_EXPECTATIONS.read_text())["defects"])
    assert defects - mapped == set(), "defects with no item that must catch them"


def test_clean_run_fails_nothing(tmp_path):
    assert asyncio.run(matrix(tmp_path).clean_failures(FUNCTIONAL)) == []


@pytest.mark.parametrize("defect", functional_defects())
def test_defect_is_caught(tmp_path, defect):
    row = asyncio.run(matrix(tmp_path).defect(defect, FUNCTIONAL, with_functional=False))
    assert row is not None and row.caught, f"{defect}: expected {row.expected_failing if row else '?'} to fail, " \
                                           f"failed: {row.failed if row else '?'}"
