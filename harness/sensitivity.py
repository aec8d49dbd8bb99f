"""The sensitivity matrix: a check that still passes when its defect is on is a broken check.

The audit runs once clean and once per defect of the reference service (``SUT_DEFECTS``); a
file next to the checklist declares which items each defect must fail. For speed, a defect's
run covers the functional items plus only the load and fault items mapped to it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from checks.registry import Phase, Registry
from harness.audit import AuditOptions, run_audit
from harness.errors import ChecklistError, Problem
from harness.loader import LoadedChecklist, load_checklist, read_yaml, validate_model
from harness.record import AuditRecord
from harness.result import Status
from harness.runner import plan


class DefectExpectation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expect_failing: list[str] = Field(min_length=1)
    revealed_by: Phase = Phase.FUNCTIONAL
    note: str = ""


class SensitivityFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defect_variable: str = "SUT_DEFECTS"
    defects: dict[str, DefectExpectation]


@dataclass
class DefectRow:
    name: str
    expected_failing: list[str]
    failed: list[str]
    revealed_by: str
    caught: bool
    report: str
    unexpected: list[str] = field(default_factory=list)


def load_expectations(path: Path, loaded: LoadedChecklist) -> SensitivityFile:
    data, lines, _ = read_yaml(path)
    parsed, problems = validate_model(SensitivityFile, data, file=str(path), lines=lines)
    if parsed is not None:
        known = {item.id for _, item in loaded.checklist.items()}
        for defect, expectation in parsed.defects.items():
            for item_id in expectation.expect_failing:
                if item_id not in known:
                    problems.append(Problem(str(path), lines.line(("defects", defect, "expect_failing")),
                                            f"defects.{defect}", f"no item '{item_id}' in {loaded.path.name}"))
    if problems:
        raise ChecklistError(problems)
    return parsed


async def run_matrix(
    checklist: Path, expectations: Path, registry: Registry, *, out_dir: Path, phases: set[Phase] | None = None,
    only_defects: set[str] | None = None, progress: Callable[[str], None] = print,
) -> dict:
    loaded = load_checklist(checklist, registry)
    spec = load_expectations(expectations, loaded)
    planned = plan(loaded, registry)
    functional = {p.item.id for p in planned if p.phase == Phase.FUNCTIONAL}
    base_env = {k: v for k, v in os.environ.items() if k != spec.defect_variable}
    clean = await _audit(checklist, registry, out_dir, base_env, phases=phases, only=None)
    clean_failures = [i.id for i in clean.items if i.status in (Status.FAILED, Status.ERROR, Status.INCONCLUSIVE)]
    progress(f"clean run: {len(clean_failures)} failing item(s) {clean_failures}")
    rows = []
    for name, expectation in sorted(spec.defects.items()):
        if only_defects is not None and name not in only_defects:
            continue
        if phases is not None and expectation.revealed_by not in phases:
            continue
        selected = functional | set(expectation.expect_failing)
        env = {**base_env, spec.defect_variable: name}
        record = await _audit(checklist, registry, out_dir, env, phases=None, only=selected)
        rows.append(_row(name, expectation, record, out_dir))
        progress(f"{name:<22} {'caught' if rows[-1].caught else 'MISSED':<7} failed={rows[-1].failed}")
    result = {
        "checklist": str(checklist), "clean_failures": clean_failures,
        "defects": [row.__dict__ for row in rows],
        "caught": sum(row.caught for row in rows), "total": len(rows),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "sensitivity.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    (out_dir / "sensitivity.md").write_text(render_table(result), encoding="utf-8")
    return result


async def _audit(checklist: Path, registry: Registry, out_dir: Path, environ: dict[str, str], *,
                 phases: set[Phase] | None, only: set[str] | None) -> AuditRecord:
    options = AuditOptions(checklist=checklist, out_dir=out_dir / "sensitivity-runs", phases=phases, only=only,
                           environ=environ)
    return (await run_audit(options, registry)).record


def _row(name: str, expectation: DefectExpectation, record: AuditRecord, out_dir: Path) -> DefectRow:
    failed = [i.id for i in record.items if i.status == Status.FAILED]
    expected = expectation.expect_failing
    return DefectRow(name=name, expected_failing=expected, failed=failed, revealed_by=expectation.revealed_by.value,
                     caught=all(item in failed for item in expected), report=record.run_id,
                     unexpected=[i for i in failed if i not in expected])


def render_table(result: dict) -> str:
    lines = [f"Sensitivity: {result['caught']} of {result['total']} defects caught; "
             f"clean run failures: {result['clean_failures'] or 'none'}", "",
             "| defect | revealed by | expected failing | caught | also failed |", "|---|---|---|---|---|"]
    for row in result["defects"]:
        lines.append(f"| {row['name']} | {row['revealed_by']} | {', '.join(row['expected_failing'])} | "
                     f"{'yes' if row['caught'] else '**NO**'} | {', '.join(row['unexpected']) or ''} |")
    return "\n".join(lines) + "\n"
