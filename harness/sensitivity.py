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

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.contract.errors import ChecklistError, Problem
from readiness_harness.contract.record import AuditRecord
from readiness_harness.contract.registry import Phase, Registry
from readiness_harness.contract.status import Status
from readiness_harness.documents import read_yaml, validate_model
from readiness_harness.listeners import standard_listeners
from readiness_harness.loader import LoadedChecklist, load_checklist
from readiness_harness.runner import plan


class DefectExpectation(BaseModel):
    """The items a defect must fail; which phases reveal it follows from those items' check types."""

    model_config = ConfigDict(extra="forbid")

    expect_failing: list[str] = Field(min_length=1)
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


@dataclass
class Matrix:
    """A checklist, its defect expectations and its plan: what one sensitivity run needs."""

    checklist: Path
    registry: Registry
    spec: SensitivityFile
    phase_of: dict[str, Phase]
    out_dir: Path

    @classmethod
    def load(cls, checklist: Path, expectations: Path, registry: Registry, out_dir: Path) -> Matrix:
        loaded = load_checklist(checklist, registry)
        phase_of = {p.item.id: p.phase for p in plan(loaded, registry)}
        return cls(checklist, registry, load_expectations(expectations, loaded), phase_of, out_dir)

    def environ(self, defect: str | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != self.spec.defect_variable}
        return {**env, self.spec.defect_variable: defect} if defect else env

    async def clean_failures(self, phases: set[Phase] | None) -> list[str]:
        record = await _audit(self.checklist, self.registry, self.out_dir, self.environ(None), phases=phases,
                              only=None)
        return [i.id for i in record.items if i.status in (Status.FAILED, Status.ERROR, Status.INCONCLUSIVE)]

    async def defect(self, name: str, phases: set[Phase] | None, *, with_functional: bool = True) -> DefectRow | None:
        """Audit with one defect on; None when none of its expected items is in ``phases``."""
        expectation = self.spec.defects[name]
        expected = [i for i in expectation.expect_failing if phases is None or self.phase_of[i] in phases]
        if not expected:
            return None
        functional = {i for i, p in self.phase_of.items() if p == Phase.FUNCTIONAL} if with_functional else set()
        record = await _audit(self.checklist, self.registry, self.out_dir, self.environ(name), phases=None,
                              only=functional | set(expected))
        return _row(name, expected, sorted({self.phase_of[i].value for i in expected}), record)


async def run_matrix(
    checklist: Path, expectations: Path, registry: Registry, *, out_dir: Path, phases: set[Phase] | None = None,
    only_defects: set[str] | None = None, progress: Callable[[str], None] = print,
) -> dict:
    matrix = Matrix.load(checklist, expectations, registry, out_dir)
    defects = [n for n in sorted(matrix.spec.defects) if only_defects is None or n in only_defects]
    total = len(defects) + 1
    progress(f"run 1/{total}: clean (no defect)")
    clean_failures = await matrix.clean_failures(phases)
    progress(f"clean run: {len(clean_failures)} failing item(s) {clean_failures}")
    rows = []
    for number, name in enumerate(defects, start=2):
        progress(f"run {number}/{total}: defect {name}")
        row = await matrix.defect(name, phases)
        if row is None:
            progress(f"{name:<22} not revealed by the phases asked for: skipped")
            continue
        rows.append(row)
        progress(f"{name:<22} {'caught' if row.caught else 'MISSED':<7} failed={row.failed}")
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
    options = AuditOptions(listeners=standard_listeners(), checklist=checklist, out_dir=out_dir / "sensitivity-runs",
                           phases=frozenset(phases) if phases is not None else None,
                           only=frozenset(only) if only is not None else None, environ=environ)
    return (await run_audit(options, registry)).record


def _row(name: str, expected: list[str], revealed: list[str], record: AuditRecord) -> DefectRow:
    failed = [i.id for i in record.items if i.status == Status.FAILED]
    return DefectRow(name=name, expected_failing=expected, failed=failed, revealed_by="+".join(revealed),
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
