"""One Locust run driven through the search: rate steps through the control file, judged from the live record.

Locust starts once, at ``start_rps``; every step then changes the asked rate (the plugin's control file)
and waits out a settling time before its judged window: the warm-up, and at least as long as the users
take to leave the slots they booked at the previous rate (``users / previous rate``). After a step that
did not hold, the rate drops to half the last good rate while the backlog drains (at most one request per
user is in flight, so it drains in ``users / served rate`` seconds). A step the host's other work
spoilt (it starved the service of CPU) is judged again, and a failing step at or below the rate the
claim needs counts only once two unspoilt judgments found it, since that one decides a ``failed``
(three judgments at most). The found rate is confirmed by a longer hold; a confirmation that breaks sends
the search on below it (twice at most). Every step must fit in what is left of ``max_duration_s``,
keeping enough for the confirmation.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Literal

from readiness_harness.checks.capacity.params import CapacityParams
from readiness_harness.checks.capacity.search import Search
from readiness_harness.checks.capacity.steps import Generator, Kind, StepResult, describe, judge
from readiness_harness.contract.context import CheckContext
from readiness_harness.loadtests.command import LocustFiles
from readiness_harness.loadtests.process import CPU_WARNING
from readiness_harness.loadtests.runner import RunningLoad

StopKind = Literal["resolved", "ceiling", "generator", "noise", "time", "unmeasured", "floor", "unstable", "locust"]
CONTROL_LAG_S = 0.3  # the plugin polls the control file every 0.2 s
JUDGE_LAG_S = 0.4  # the plugin writes complete buckets every 0.25 s
MAX_SETTLE_S = 5.0
DRAIN_FRACTION = 0.5
MAX_CONFIRMS = 2
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Stop:
    """Why the search ended."""

    kind: StopKind
    detail: str = ""


class Session:
    """The search's state over one running load; :meth:`run` ends with ``stop`` set."""

    def __init__(self, params: CapacityParams, ctx: CheckContext, load: RunningLoad, *, deadline: float) -> None:
        self.params = params
        self.ctx = ctx
        self.load = load
        self.deadline = deadline
        self.search = Search(start=params.start, growth=params.growth, ceiling=params.ceiling,
                             resolution=params.resolution, required=params.required)
        self.steps: list[StepResult] = []
        self.confirmed: StepResult | None = None
        self.stop: Stop | None = None
        self.users = load.profile.users
        self.previous_rate = params.start
        self.processes = (params.processes or 1) + (params.workers.local if params.workers is not None else 0)
        self.started = time.monotonic()
        self._log = LocustFiles(load.control.path.parent).log
        self._log_offset = 0

    async def run(self) -> None:
        confirms = 0
        while self.stop is None:
            rate = self.search.next_rate()
            if rate is None:
                if self.search.good is None:
                    self.stop = Stop("floor", f"even {self.search.bad:g} req/s broke the SLO")
                elif confirms >= MAX_CONFIRMS:
                    self.stop = Stop("unstable", f"the found rate did not hold its confirmation {confirms} times")
                else:
                    confirms += 1
                    await self._confirm(self.search.good)
                continue
            kind: Kind = "grow" if self.search.bad is None else "down" if self.search.good is None else "bisect"
            step = await self._judged(rate, kind)
            if step is not None:
                self._count(step)
        await self._confirm_lower_bound()

    async def _confirm_lower_bound(self) -> None:
        """A search cut short (by the generator, by other work, or by ``max_duration_s`` before the knee was
        confirmed) still decides a claim at or below the highest rate that held: that rate is held once more,
        for the confirmation's length (every step keeps the time for it), and it is then the claim's evidence;
        the capacity above it stays unknown."""
        good, stop = self.search.good, self.stop
        if stop is None or stop.kind not in ("generator", "noise", "time") or self.confirmed is not None:
            return
        if good is None or good < self.params.required:
            return
        step = await self._step(good, "confirm", hold_s=self.params.confirm_s)
        if step is not None and step.held:
            self.confirmed = step
            self.stop = stop  # why the search ended, not the confirmation
        elif step is not None:
            self.stop = Stop(stop.kind, f"{stop.detail}; {good:g} req/s did not hold again ({step.reason})")

    async def _judged(self, rate: float, kind: Kind) -> StepResult | None:
        """A step, judged again while undecided: a failure at or below the claimed rate counts once two
        judgments the host's other work did not spoil found it; above that rate one does; a step other work
        spoilt is judged again (``MAX_ATTEMPTS`` judgments at most)."""
        first = await self._step(rate, kind)
        if first is None:
            return None
        attempts = [first]
        while len(attempts) < MAX_ATTEMPTS and self._undecided(attempts):
            again = await self._step(rate, "retry")
            if again is None:
                break
            attempts.append(again)
        return self._decided(attempts)

    def _undecided(self, attempts: list[StepResult]) -> bool:
        last = attempts[-1]
        if last.outcome not in ("broke", "noisy"):
            return False
        failures = sum(a.broke for a in attempts)
        return failures < 2 if last.asked <= self.params.required else failures < 1

    def _decided(self, attempts: list[StepResult]) -> StepResult:
        """The judgment that counts: the last one, but an unconfirmed failure below the claim counts as spoilt."""
        last = attempts[-1]
        if last.outcome not in ("broke", "noisy"):
            return last
        failures = [a for a in attempts if a.broke]
        needed = 2 if last.asked <= self.params.required else 1
        if len(failures) >= needed:
            return failures[-1]
        spoilt = [a for a in attempts if a.outcome == "noisy"]
        return spoilt[-1] if spoilt else last

    def _count(self, step: StepResult) -> None:
        if step.outcome in ("held", "broke"):
            self.search.judged(step.asked, step.held)
        elif step.outcome == "generator":
            self.stop = Stop("generator", step.reason)
        elif step.outcome == "noisy":
            self.stop = Stop("noise", step.reason)
        else:
            self.stop = Stop("unmeasured", f"at {step.asked:g} req/s: {step.reason}")

    async def _confirm(self, rate: float) -> None:
        step = await self._step(rate, "confirm", hold_s=self.params.confirm_s)
        if step is not None and step.outcome == "noisy":
            step = await self._step(rate, "confirm", hold_s=self.params.confirm_s)
        if step is None:
            return
        if step.held:
            self.confirmed = step
            self.stop = Stop("ceiling" if self.search.ceiling_held else "resolved")
        elif step.broke:
            self.search.judged(rate, False)  # the search goes on below the rate that failed to hold
        else:
            self._count(step)

    async def _step(self, rate: float, kind: Kind, *, hold_s: float | None = None) -> StepResult | None:
        """Ask ``rate``, wait for it to settle, judge ``hold_s``; None (and ``stop``) when it cannot fit or run."""
        hold = hold_s if hold_s is not None else self.params.step_s
        settle = min(MAX_SETTLE_S, max(self.params.warmup_s, self.users / self.previous_rate + CONTROL_LAG_S))
        reserve = 0.0 if kind == "confirm" else self._confirm_cost(rate)
        if time.monotonic() + settle + hold + JUDGE_LAG_S + reserve > self.deadline:
            self.stop = Stop("time", f"max_duration_s {self.params.max_duration_s:g} s left no time for a step at "
                                     f"{rate:g} req/s and the confirmation")
            return None
        self.load.control.set_rate(rate)
        began = time.time()
        self.previous_rate = rate
        await asyncio.sleep(settle + hold + JUDGE_LAG_S)
        if not self.load.running:
            self.stop = Stop("locust", "Locust ended before the search did")
            return None
        step = judge(self.load.record.refresh(), self.load.sampler.samples, index=len(self.steps) + 1, kind=kind,
                     asked=rate, start=began + settle, end=began + settle + hold, slo=self.params.slo,
                     generator=Generator(self.processes, cpu_warning=self._cpu_warning()),
                     target_known=bool(self.load.sampler.target_roots))
        self.steps.append(step)
        self._progress(step)
        if not step.held:
            await self._drain(step)
        return step

    def _confirm_cost(self, rate: float) -> float:
        """Time to keep for the confirmation: its hold, a settle, a drain."""
        return self.params.confirm_s + self.params.warmup_s + JUDGE_LAG_S + min(self.params.max_drain_s, 1.0)

    async def _drain(self, step: StepResult) -> None:
        """Half the last good rate while the backlog (at most one request per user) is served."""
        base = self.search.good or step.asked / self.params.growth
        drain = max(0.01, DRAIN_FRACTION * base)
        self.load.control.set_rate(drain)
        self.previous_rate = drain
        wait = min(self.params.max_drain_s, self.users / max(step.achieved, 1.0) + CONTROL_LAG_S)
        await asyncio.sleep(max(0.0, min(wait, self.deadline - time.monotonic())))

    def _cpu_warning(self) -> bool:
        """Locust's own CPU warning written to its log since the last step."""
        try:
            with self._log.open("rb") as handle:
                handle.seek(self._log_offset)
                text = handle.read()
        except OSError:
            return False
        self._log_offset += len(text)
        return bool(CPU_WARNING.search(text.decode(errors="replace")))

    def _progress(self, step: StepResult) -> None:
        self.ctx.progress(elapsed_s=round(time.monotonic() - self.started, 1), planned_s=self.params.max_duration_s,
                          rps=round(step.achieved, 1), stage=f"step {step.index}: {step.asked:g} req/s, "
                                                             f"{describe(step)}"[:120])
