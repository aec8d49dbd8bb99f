"""The ``chaos`` check type: fault scenarios through Toxiproxy (see ``chaos/scenario.py``)."""

from __future__ import annotations

from readiness_harness.chaos.scenario import ScenarioParams, run_scenario
from readiness_harness.contract.registry import Phase, Registry


def register(registry: Registry) -> None:
    registry.register("chaos", ScenarioParams, phase=Phase.FAULT, default_timeout_s=180)(run_scenario)
