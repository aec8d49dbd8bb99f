"""Background load during a fault: the ``load`` check's runner, judged on three windows of its record.

    baseline   after the ramp-up, ``baseline_s`` before the injection   (inner edges: nothing after the
                                                                        injection leaks in)
    fault      from the injection to the end of the rollback            (outer edges: every request that
                                                                        completed while the fault was on)
    recovery   ``recovery_s`` after the rollback                        (inner edges)

Windows are exact to one 100 ms bucket of the request record, by completion time. A window that
holds no request was not measured: its limits are reported as such and the scenario is
``inconclusive``, never ``failed``. ``harness validate`` refuses a load too short to cover its
start-up, ramp-up, ``baseline_s``, the fault's ``hold_s`` and ``recovery_s``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import Observation
from readiness_harness.loadtests.command import profile
from readiness_harness.loadtests.evidence import verdict_observations
from readiness_harness.loadtests.runner import RunningLoad, start_load
from readiness_harness.loadtests.spec import LoadSpec, Thresholds
from readiness_harness.loadtests.windows import WindowAsk

LABEL = "background"
STARTUP_S = 1.0  # from Locust's first request to the harness seeing it in the record, with margin


class BackgroundLoad(BaseModel):
    """A load test that starts before the fault; ``baseline_s`` of it runs before injection."""

    model_config = ConfigDict(extra="forbid")

    spec: LoadSpec = Field(description="the Locust run (the fields of the load check type)")
    baseline_s: float = Field(default=5.0, ge=1, le=600,
                              description="seconds of load before the fault is injected (the baseline window)")
    recovery_s: float = Field(default=2.0, ge=0, le=600, description="seconds after the rollback judged apart")
    baseline: Thresholds = Field(default_factory=Thresholds, description="limits before the fault")
    fault: Thresholds = Field(default_factory=Thresholds, description="limits while the fault is active")
    recovery: Thresholds = Field(default_factory=Thresholds, description="limits in the recovery window")

    def needed_s(self, hold_s: float) -> float:
        """The shortest ``duration_s`` that covers start-up, ramp-up, baseline, the fault and recovery."""
        return STARTUP_S + profile(self.spec).ramp_s + self.baseline_s + hold_s + self.recovery_s

    def coverage_problem(self, hold_s: float) -> str:
        needed = self.needed_s(hold_s)
        if self.spec.duration_s >= needed:
            return ""
        ramp = profile(self.spec).ramp_s
        return (f"load.spec.duration_s {self.spec.duration_s:g} s cannot cover start-up ({STARTUP_S:g} s) + ramp-up "
                f"({ramp:g} s) + baseline_s ({self.baseline_s:g} s) + hold_s ({hold_s:g} s) + recovery_s "
                f"({self.recovery_s:g} s): make it at least {needed:g} s")


@dataclass
class Judged:
    """What the background load says about the scenario."""

    observations: list[Observation] = field(default_factory=list)
    evidence: list[Any] = field(default_factory=list)
    unmeasured: list[str] = field(default_factory=list)


class Background:
    """The running load of one scenario; always stopped, also when the scenario fails."""

    def __init__(self, load: BackgroundLoad, ctx: CheckContext) -> None:
        self.load = load
        self.ctx = ctx
        self.baseline_start: float | None = None
        self.running: RunningLoad | None = None

    async def baseline(self) -> None:
        """Start the load, wait for its first request and its ramp-up, then ``baseline_s`` more."""
        self.running = await start_load(self.load.spec, self.ctx, label=LABEL)
        first = await self.running.flowing()
        if first is None:
            return
        ramp = max(0.0, first + self.running.profile.ramp_s - time.time())
        await asyncio.sleep(ramp)
        self.baseline_start = time.time()
        await asyncio.sleep(self.load.baseline_s)

    async def judge(self, fault_start: float, fault_end: float) -> Judged:
        """Wait for the load to finish; judge each window of its record."""
        if self.running is None:
            return Judged(unmeasured=["the background load never started"])
        self.running.marks.update({"injected": fault_start, "rolled back": fault_end})
        baseline_start = self.baseline_start or fault_start - self.load.baseline_s
        asks = [WindowAsk("baseline", baseline_start, fault_start, "inner", self.load.baseline),
                WindowAsk("fault", fault_start, fault_end, "outer", self.load.fault)]
        if self.load.recovery_s > 0:
            asks.append(WindowAsk("recovery", fault_end, fault_end + self.load.recovery_s, "inner",
                                  self.load.recovery))
        outcome = await self.running.finish(asks)
        if outcome.record is None:
            return Judged(observations=[Observation(label="background load", observed=outcome.message,
                                                    expected="a load run", ok=None)],
                          unmeasured=[f"the background load did not run: {outcome.message}"])
        judged = Judged(evidence=outcome.evidence())
        for ask in asks:
            window = outcome.windows[ask.label]
            judged.observations += [o.model_copy(update={"label": f"load in the {ask.label} window: "
                                                                  f"{o.label.removeprefix(ask.label + ': ')}"})
                                    for o in verdict_observations(window.verdicts)]
            if not window.measured and window.verdicts:
                judged.unmeasured.append(f"no request completed in the {ask.label} window "
                                         f"({window.end - window.start:.1f} s)")
        return judged

    async def cancel(self) -> None:
        if self.running is not None:
            await self.running.cancel()
