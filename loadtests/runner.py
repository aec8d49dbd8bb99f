"""Run one load test against the target: the entry point for the ``load`` check and fault scenarios.

:func:`start_load` resolves the locustfile and placeholders and starts Locust (with the harness's
plugin) as a subprocess, or a master with workers; the returned :class:`RunningLoad` reads the
request record while Locust runs, can change the asked rate, and :meth:`RunningLoad.finish` judges
the run. :func:`run_load` does both for a load known in advance.

Scaling out:

- ``processes: N`` forks N Locust worker processes on this machine (``--processes``).
- ``workers: {local: N}`` runs Locust's master/worker mode with the harness's Locust process
  as the master and N worker subprocesses started by the harness.
- ``workers: {remote: N, master_bind_host: 0.0.0.0, master_port: 5557}`` makes the master wait
  (up to ``wait_s``) for N workers you start on other machines, each with the plugin and the same
  locustfile (the plugin's options reach them from the master)::

      locust -f harness_plugin.py,portfolio.py --worker --master-host <harness host> --master-port 5557

  Remote workers send their part of the record to the master with their stats reports; windows
  are wall-clock spans, so their clocks must agree with the harness host's (NTP).

Background load during a fault (what :mod:`checks.chaos.background` does)::

    load = await start_load(spec, ctx, label="background")
    await load.flowing()                         # the first request completed
    ...inject, hold, roll back...
    outcome = await load.finish([WindowAsk("baseline", t0, t1, "inner"), WindowAsk("fault", t1, t2)])
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from readiness_harness.contract.net import free_port
from readiness_harness.contract.status import Status
from readiness_harness.loadtests.command import LocustFiles, Profile, build, profile
from readiness_harness.loadtests.control import RateControl
from readiness_harness.loadtests.noise import CpuSampler
from readiness_harness.loadtests.outcome import LoadOutcome, analyse
from readiness_harness.loadtests.process import START_MARGIN_S, LocustRun, run_locust
from readiness_harness.loadtests.record import Record
from readiness_harness.loadtests.spec import LoadSpec
from readiness_harness.loadtests.windows import WindowAsk

if TYPE_CHECKING:
    from readiness_harness.contract.context import CheckContext

LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def timeout_for(spec: LoadSpec) -> float:
    """Duration plus the margin the subprocess gets (plus the time to wait for workers)."""
    wait = spec.workers.wait_s if spec.workers is not None else 0.0
    return spec.duration_s + START_MARGIN_S + wait + 15.0


@dataclass
class RunningLoad:
    """A Locust run in progress: its live record, its rate control, and its task."""

    spec: LoadSpec
    profile: Profile
    ctx: CheckContext
    label: str
    record: Record
    control: RateControl
    sampler: CpuSampler
    task: asyncio.Task[LocustRun] | None = None
    error: str = ""
    marks: dict[str, float] = field(default_factory=dict)
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)

    async def flowing(self, timeout_s: float = 60.0) -> float | None:
        """Wait until a request completed (Locust takes a moment to start); its bucket's start time."""
        deadline = time.monotonic() + timeout_s
        while self.task is not None and not self.task.done() and time.monotonic() < deadline:
            first = self.record.refresh().first_request()
            if first is not None:
                return first
            await asyncio.sleep(0.1)
        return self.record.refresh().first_request()

    async def report_progress(self, every_s: float = 1.0) -> None:
        """Tell the console, every ``every_s``, the achieved rate and the requests and errors so far."""
        started = time.monotonic()
        while self.task is not None and not self.task.done():
            await asyncio.sleep(every_s)
            record = self.record.refresh()
            whole = record.whole().aggregate_stats()
            now = time.time()
            recent = record.span(now - 2.5, now - 0.5, "inner").aggregate_stats()
            self.ctx.progress(elapsed_s=round(time.monotonic() - started, 1), planned_s=self.spec.duration_s,
                              rps=round(recent.rps, 1), requests=whole.requests, errors=whole.failures)

    async def finish(self, windows: Sequence[WindowAsk] = ()) -> LoadOutcome:
        """Wait for Locust to end and judge the run (thresholds on the whole run and each window)."""
        if self.task is None:
            return LoadOutcome(status=Status.ERROR, message=self.error, spec=self.spec, profile=self.profile)
        reporter = asyncio.create_task(self.report_progress())
        try:
            run = await self.task
        finally:
            reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reporter
        window = f"load:{self.ctx.item_id}" if self.label == "locust" else f"load:{self.ctx.item_id}:{self.label}"
        self.ctx.audit.record_window(window, run.started, run.ended)
        return analyse(self.spec, self.profile, run, self.record.refresh(), windows=windows, marks=self.marks,
                       samples=self.sampler.samples, target_known=bool(self.sampler.target_roots),
                       secrets=self.ctx.secret_values, run_dir=self.ctx.audit.run_dir)

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    async def stop(self) -> LocustRun | None:
        """End the run now, before its ``duration_s`` (a load whose length is decided while it runs, such as
        a capacity search), and wait for Locust to write its reports; None when Locust never started.
        The run's span is recorded as the audit window, as :meth:`finish` does."""
        if self.task is None:
            return None
        self.stop_requested.set()
        run = await self.task
        self.ctx.audit.record_window(self.window_name, run.started, run.ended)
        return run

    @property
    def window_name(self) -> str:
        """The audit window of this run: ``load:<item id>``, or ``load:<item id>:<label>`` for another label."""
        return f"load:{self.ctx.item_id}" if self.label == "locust" else f"load:{self.ctx.item_id}:{self.label}"

    async def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


async def start_load(spec: LoadSpec, ctx: CheckContext, *, label: str = "locust") -> RunningLoad:
    """Start Locust for ``spec`` against the target; ``label`` names the artifact sub-folder."""
    if not LABEL.fullmatch(label):
        raise ValueError(f"label {label!r}: use letters, digits, '.', '_' or '-'")
    prof = profile(spec)
    folder = ctx.artifact_dir() / label
    files = LocustFiles(folder)
    sampler = CpuSampler(target_roots={p.pid for p in ctx.target.processes.values() if p.pid is not None})
    load = RunningLoad(spec, prof, ctx, label, Record(folder), RateControl(files.control, prof.users), sampler)
    locustfile = ctx.resolve(str(ctx.expand(spec.locustfile)))
    if not locustfile.is_file():
        load.error = f"locustfile not found: {locustfile}"
        return load
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    host = str(ctx.expand(spec.host)).rstrip("/") if spec.host else ctx.base_url
    env = {name: str(ctx.expand(value)) for name, value in spec.env.items()}
    forked = bool(spec.processes and spec.processes > 1)
    port = free_port() if forked or (spec.workers is not None and spec.workers.master_port is None) else None
    command = build(spec, locustfile=locustfile, host=host, files=files, prof=prof, extra_env=env, master_port=port)
    extra_wait = spec.workers.wait_s if spec.workers is not None else 0.0
    load.task = asyncio.create_task(run_locust(command, margin_s=START_MARGIN_S + extra_wait,
                                               ledger=ctx.target.ledger, sampler=sampler, name=f"locust {label}",
                                               stop=load.stop_requested))
    return load


async def run_load(spec: LoadSpec, ctx: CheckContext, *, windows: Sequence[WindowAsk] = (),
                   label: str = "locust") -> LoadOutcome:
    """Run Locust for ``spec`` and judge it; the run's span is recorded as the audit window
    ``load:<item id>`` (``load:<item id>:<label>`` for another label) for metric checks to query."""
    load = await start_load(spec, ctx, label=label)
    try:
        return await load.finish(windows)
    finally:
        await load.cancel()
