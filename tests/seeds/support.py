"""Paths and helpers shared by the seed tests."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result
from readiness_harness.environment import AuditEnvironment
from readiness_harness.provision import external_target

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "checklists" / "seeds"
SOURCES = SEEDS / "sources"
STEMS = ("000_0c4c76efa809421c", "001_b746df61a36a443e", "002_53c93798827ba344", "003_d264c8e9c3e4a415",
         "004_f343e08df71f173f")


def run_check(registry: Registry, type_name: str, params: dict[str, Any], folder: Path) -> Result:
    """Run one check type with paths relative to ``folder``; no service is contacted."""
    check_type = registry.get(type_name)
    if check_type is None:
        raise KeyError(type_name)
    env = AuditEnvironment(target=external_target("http://127.0.0.1:9"), run_dir=folder / "run",
                           checklist_dir=folder)
    ctx = CheckContext(audit=env, item_id="item", timeout_s=5.0)
    return asyncio.run(check_type.run(check_type.params.model_validate(params), ctx))
