"""Run one load test against the target: the entry point for the ``load`` check and fault scenarios.

:func:`run_load` resolves the locustfile and placeholders, starts Locust as a subprocess (or a
master with workers), records the load window in the audit, and judges what Locust wrote.

Scaling out:

- ``processes: N`` forks N Locust worker processes on this machine (``--processes``).
- ``workers: {local: N}`` runs Locust's master/worker mode with the harness's Locust process
  as the master and N worker subprocesses started by the harness.
- ``workers: {remote: N, master_bind_host: 0.0.0.0, master_port: 5557}`` makes the master wait
  (up to ``wait_s``) for N workers you start on other machines, each with the same locustfile
  and the same ``HARNESS_*`` environment::

      locust -f loadtests/locustfiles/portfolio.py --worker --master-host <harness host> --master-port 5557

  Locust's master collects their stats; the harness reads the master's files as usual.

Background load during a fault: start :func:`run_load` as a task, inject the fault, and judge
the baseline and fault spans (wall-clock ``time.time()`` pairs) separately, each against the
thresholds::

    load = asyncio.create_task(run_load(spec, ctx, label="background"))
    await asyncio.sleep(8)                      # baseline
    fault_start = time.time(); ...inject...; await asyncio.sleep(10); ...remove...; fault_end = time.time()
    outcome = (await load).with_windows({"baseline": (fault_start - 6, fault_start),
                                         "fault": (fault_start, fault_end)})
    result = outcome.result()                   # windows table, shaded chart, per-window verdicts

Windows known before the run starts can be passed as ``windows=`` directly.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from typing import TYPE_CHECKING

from readiness_harness.contract.net import free_port
from readiness_harness.contract.status import Status
from readiness_harness.loadtests.command import LocustFiles, build, profile
from readiness_harness.loadtests.outcome import LoadOutcome, analyse
from readiness_harness.loadtests.process import START_MARGIN_S, run_locust
from readiness_harness.loadtests.spec import LoadSpec

if TYPE_CHECKING:
    from readiness_harness.contract.context import CheckContext

LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def timeout_for(spec: LoadSpec) -> float:
    """Duration plus the margin the subprocess gets (plus the time to wait for workers)."""
    wait = spec.workers.wait_s if spec.workers is not None else 0.0
    return spec.duration_s + START_MARGIN_S + wait + 15.0


async def run_load(spec: LoadSpec, ctx: CheckContext, *, windows: Mapping[str, tuple[float, float]] | None = None,
                   label: str = "locust") -> LoadOutcome:
    """Run Locust for ``spec`` against the target; thresholds on the whole run and on each window.

    ``label`` names the artifact sub-folder, so one item can hold several runs; the run's span is
    recorded as the audit window ``load:<item id>`` (``load:<item id>:<label>`` for another label)
    so that metric checks can query it later.
    """
    if not LABEL.fullmatch(label):
        raise ValueError(f"label {label!r}: use letters, digits, '.', '_' or '-'")
    prof = profile(spec)
    locustfile = ctx.resolve(str(ctx.expand(spec.locustfile)))
    if not locustfile.is_file():
        return LoadOutcome(status=Status.ERROR, message=f"locustfile not found: {locustfile}", spec=spec,
                           profile=prof)
    folder = ctx.artifact_dir() / label
    shutil.rmtree(folder, ignore_errors=True)
    files = LocustFiles(folder)
    host = str(ctx.expand(spec.host)).rstrip("/") if spec.host else ctx.base_url
    env = {name: str(ctx.expand(value)) for name, value in spec.env.items()}
    port = free_port() if spec.workers is not None and spec.workers.master_port is None else None
    command = build(spec, locustfile=locustfile, host=host, files=files, prof=prof, extra_env=env, master_port=port)
    extra_wait = spec.workers.wait_s if spec.workers is not None else 0.0
    run = await run_locust(command, margin_s=START_MARGIN_S + extra_wait)
    window = f"load:{ctx.item_id}" if label == "locust" else f"load:{ctx.item_id}:{label}"
    ctx.audit.record_window(window, run.started, run.ended)
    return analyse(spec, prof, run, windows=windows, secrets=ctx.secret_values, run_dir=ctx.audit.run_dir)
