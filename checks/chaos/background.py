"""Background load during a fault: the same Locust runner as the ``load`` check, judged on a
baseline window (before the fault) and the fault window separately."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import Observation
from readiness_harness.loadtests.command import LocustFiles
from readiness_harness.loadtests.evidence import verdict_observations
from readiness_harness.loadtests.history import aggregate_rows, parse_history
from readiness_harness.loadtests.outcome import LoadOutcome
from readiness_harness.loadtests.runner import run_load
from readiness_harness.loadtests.spec import LoadSpec, Thresholds

LABEL = "background"


class BackgroundLoad(BaseModel):
    """A load test that starts before the fault; ``baseline_s`` of it runs before injection."""

    model_config = ConfigDict(extra="forbid")

    spec: LoadSpec = Field(description="the Locust run (the fields of the load check type)")
    baseline_s: float = Field(default=5.0, ge=1, le=600,
                              description="seconds of load before the fault is injected (the baseline window)")
    baseline: Thresholds = Field(default_factory=Thresholds, description="limits before the fault")
    fault: Thresholds = Field(default_factory=Thresholds, description="limits while the fault is active")


class Background:
    """The running load task of one scenario; always stopped, also when the scenario fails."""

    def __init__(self, load: BackgroundLoad, ctx: CheckContext) -> None:
        self.load = load
        self.started = time.time()
        self.history = LocustFiles(ctx.artifact_dir() / LABEL).csv("stats_history")
        self.task: asyncio.Task[LoadOutcome] = asyncio.create_task(run_load(load.spec, ctx, label=LABEL))

    async def baseline(self, start_timeout_s: float = 30.0) -> None:
        """Wait until requests flow (Locust takes a moment to start), then ``baseline_s`` more."""
        deadline = time.monotonic() + start_timeout_s
        while not self.task.done() and time.monotonic() < deadline and not self._flowing():
            await asyncio.sleep(0.2)
        self.started = time.time()
        await asyncio.sleep(self.load.baseline_s)

    def _flowing(self) -> bool:
        try:
            return any(row.total_requests > 0 for row in aggregate_rows(parse_history(self.history)))
        except (OSError, ValueError):
            return False

    async def judge(self, fault_start: float, fault_end: float) -> tuple[list[Observation], list[Any]]:
        """Wait for the load to finish; observations per window and the load's evidence."""
        outcome = await self.task
        if outcome.run is None or not outcome.history:
            return [Observation(label="background load", observed=outcome.message, expected="a load run",
                                ok=False)], []
        spans = {"baseline": (max(self.started, fault_start - self.load.baseline_s), fault_start),
                 "fault": (fault_start, fault_end)}
        observations = []
        for label, thresholds in (("baseline", self.load.baseline), ("fault", self.load.fault)):
            window = outcome.window(label, *spans[label], thresholds=thresholds)
            observations += [o.model_copy(update={"label": f"load in the {label} window: "
                                                                   f"{o.label.removeprefix(label + ': ')}"})
                             for o in verdict_observations(window.verdicts)]
        return observations, outcome.with_windows(spans).evidence()

    async def cancel(self) -> None:
        if not self.task.done():
            self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task
