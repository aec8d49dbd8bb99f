"""The exit code a pipeline reads, from real audits of a check type that returns what it is told.

A fresh registry holds one tiny check type, ``outcome``, whose items end with the status their
params name; the audit runs against an address it never contacts (the check makes no request).
"""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.listeners import standard_listeners
from readiness_harness.outcome import EXIT_APPROVED, EXIT_NOT_PROVEN, EXIT_REJECTED


class OutcomeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["passed", "failed", "error", "inconclusive"]


async def run_outcome(params: OutcomeParams, ctx: CheckContext) -> Result:
    """End with the status the params name."""
    return Result(status=Status(params.status), message=f"told to be {params.status}")


@pytest.fixture
def outcome_registry() -> Registry:
    registry = Registry()
    registry.register("outcome", OutcomeParams)(run_outcome)
    return registry


def audit(tmp_path: Path, registry: Registry, items: dict[str, tuple[str, str]]) -> int:
    """Exit code of an audit whose items are id -> (severity, status)."""
    lines = "\n".join(f"      - {{id: {item}, title: {item}, severity: {severity}, "
                      f"check: {{type: outcome, status: {status}}}}}" for item, (severity, status) in items.items())
    checklist = tmp_path / "checklist.yaml"
    checklist.write_text(textwrap.dedent("""\
        checklist: {id: codes, title: Exit codes}
        sections:
          - id: all
            title: All
            items:
        """) + lines + "\n", encoding="utf-8")
    options = AuditOptions(checklist=checklist, out_dir=tmp_path / "out", base_url="http://127.0.0.1:9",
                           listeners=standard_listeners())
    return asyncio.run(run_audit(options, registry)).exit_code


def test_a_run_whose_only_blocker_is_an_inconclusive_critical_item_is_not_proven(
        tmp_path: Path, outcome_registry: Registry) -> None:
    items = {"rate": ("critical", "inconclusive"), "health": ("critical", "passed"), "docs": ("low", "failed")}
    assert audit(tmp_path, outcome_registry, items) == EXIT_NOT_PROVEN == 4


@pytest.mark.parametrize(("items", "expected"), [
    ({"rate": ("critical", "inconclusive"), "login": ("high", "failed")}, EXIT_REJECTED),
    ({"rate": ("critical", "inconclusive"), "jobs": ("high", "error")}, EXIT_REJECTED),
    ({"rate": ("medium", "inconclusive"), "health": ("critical", "passed")}, EXIT_APPROVED),
])
def test_a_failure_or_error_that_blocks_is_a_rejection(tmp_path: Path, outcome_registry: Registry,
                                                       items: dict[str, tuple[str, str]], expected: int) -> None:
    assert audit(tmp_path, outcome_registry, items) == expected
