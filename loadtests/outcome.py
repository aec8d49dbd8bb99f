"""From Locust's files to a verdict: parse, apply thresholds, guard against a saturated generator.

Status rules, in order:

1. Locust did not run, crashed, or wrote no results: ``error`` with Locust's own message.
2. Locust reported its CPU above 90%: ``inconclusive`` (latencies measured by a saturated
   generator cannot be trusted either way).
3. A threshold missed (whole run or a window): ``failed``.
4. ``target_rps`` set and the rate after ramp-up below 95% of it: ``inconclusive``.
5. Otherwise ``passed``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness_harness.contract.redaction import redact_text
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.loadtests import evidence as ev
from readiness_harness.loadtests.command import Profile
from readiness_harness.loadtests.history import (
    ExceptionRow,
    FailureRow,
    HistoryRow,
    parse_exceptions,
    parse_failures,
    parse_history,
    steady_rate,
)
from readiness_harness.loadtests.process import LocustRun
from readiness_harness.loadtests.results import LoadStats, parse_json, parse_stats_csv
from readiness_harness.loadtests.spec import LoadSpec, Thresholds
from readiness_harness.loadtests.thresholds import Verdict, check_all, summary
from readiness_harness.loadtests.windows import WindowResult, evaluate_window


@dataclass
class LoadOutcome:
    """One load run, judged. ``window()`` evaluates thresholds on any span of it afterwards."""

    status: Status
    message: str
    spec: LoadSpec
    profile: Profile
    run: LocustRun | None = None
    stats: LoadStats | None = None
    achieved_rps: float | None = None
    verdicts: list[Verdict] = field(default_factory=list)
    windows: dict[str, WindowResult] = field(default_factory=dict)
    history: list[HistoryRow] = field(default_factory=list)
    failures: list[FailureRow] = field(default_factory=list)
    exceptions: list[ExceptionRow] = field(default_factory=list)
    cpu_warning: bool = False
    run_dir: Path | None = None
    secrets: tuple[str, ...] = ()

    def window(self, label: str, start: float, end: float, thresholds: Thresholds | None = None) -> WindowResult:
        """Thresholds (the spec's unless given) on one wall-clock span of this run's history."""
        return evaluate_window(self.history, label, start, end, thresholds or self.spec.thresholds)

    def with_windows(self, windows: Mapping[str, tuple[float, float]]) -> LoadOutcome:
        """This run judged again with windows known only afterwards (a fault's start and end)."""
        if self.run is None:
            return self
        return analyse(self.spec, self.profile, self.run, windows=windows, secrets=self.secrets,
                       run_dir=self.run_dir)

    @property
    def measurements(self) -> dict[str, float]:
        if self.stats is None:
            return {}
        agg = self.stats.aggregate
        out = {"requests": float(agg.requests), "failures": float(agg.failures),
               "rps": round(self.achieved_rps or agg.rps, 2), "users": float(self.profile.users)}
        for key, value in (("p50_ms", agg.p50_ms), ("p95_ms", agg.p95_ms), ("p99_ms", agg.p99_ms),
                           ("error_rate_pct", agg.error_rate_pct)):
            if value is not None:
                out[key] = round(value, 3)
        if self.profile.target_rps is not None:
            out["target_rps"] = self.profile.target_rps
        for status, count in sorted(agg.expected.items()):
            out[f"expected_{status}"] = float(count)
        return out

    def evidence(self) -> list[Any]:
        items: list[Any] = ev.verdict_observations(self.verdicts)
        if self.stats is not None:
            items.append(ev.rate_observation(self.achieved_rps or 0.0, self.profile.target_rps))
            items.append(ev.requests_table(self.stats))
        if self.failures:
            items.append(ev.failures_table(self.failures))
        if self.exceptions:
            items.append(ev.exceptions_table(self.exceptions))
        if self.windows:
            items.append(ev.windows_table(list(self.windows.values())))
        series = ev.time_series(self.history, list(self.windows.values()))
        if series is not None:
            items.append(series)
        if self.run is not None and self.run_dir is not None:
            link = ev.report_link(self.run.files.html, self.run_dir)
            if link is not None:
                items.append(link)
        return items

    def result(self) -> Result:
        return Result(status=self.status, message=self.message, evidence=self.evidence(),
                      measurements=self.measurements)


def analyse(spec: LoadSpec, prof: Profile, run: LocustRun, *, windows: Mapping[str, tuple[float, float]] | None = None,
            secrets: Iterable[str] = (), run_dir: Path | None = None) -> LoadOutcome:
    """Read what Locust wrote and decide the status (see the module docstring)."""
    hidden = tuple(secrets)
    base = LoadOutcome(status=Status.ERROR, message="", spec=spec, profile=prof, run=run, run_dir=run_dir,
                       secrets=hidden)
    files = run.files
    if not run.wrote_results:
        what = (f"Locust did not finish within {run.limit_s:g} s and wrote no results" if run.timed_out
                else f"Locust exited with code {run.returncode} without writing results")
        base.message = redact_text(f"{what}: {run.failure_message()}", hidden)
        return base
    stats = parse_json(files.json) if files.json.exists() else parse_stats_csv(files.csv("stats"))
    history = parse_history(files.csv("stats_history")) if files.csv("stats_history").exists() else []
    outcome = dataclasses.replace(
        base, stats=stats, history=history, cpu_warning=run.cpu_warning(),
        failures=parse_failures(files.csv("failures")) if files.csv("failures").exists() else [],
        exceptions=parse_exceptions(files.csv("exceptions")) if files.csv("exceptions").exists() else [],
        achieved_rps=_achieved(stats, prof))
    steady = dataclasses.replace(stats.aggregate, rps=outcome.achieved_rps or 0.0)
    outcome.verdicts = check_all(spec.thresholds, steady, stats.names)
    outcome.windows = {label: outcome.window(label, start, end) for label, (start, end) in (windows or {}).items()}
    status, message = _decide(outcome, stats, run)
    outcome.status, outcome.message = status, redact_text(message + _notes(outcome, stats), hidden)
    return outcome


def _achieved(stats: LoadStats, prof: Profile) -> float:
    """The request rate after ramp-up (whole seconds), or the overall rate for a very short run."""
    steady = steady_rate(stats.per_second, ramp_s=prof.ramp_s)
    return stats.aggregate.rps if steady is None else steady


def _decide(outcome: LoadOutcome, stats: LoadStats, run: LocustRun) -> tuple[Status, str]:
    agg, target, achieved = stats.aggregate, outcome.profile.target_rps, outcome.achieved_rps or 0.0
    if agg.requests == 0:
        detail = outcome.exceptions[0].message if outcome.exceptions else run.failure_message(5)
        return Status.ERROR, f"Locust made no requests: {detail}"
    if run.timed_out:
        return Status.ERROR, f"Locust did not finish within {run.limit_s:g} s and was stopped"
    missed = [v for v in outcome.verdicts if not v.ok]
    missed += [v for w in outcome.windows.values() for v in w.verdicts if not v.ok]
    short = target is not None and achieved < ev.SATURATION_FRACTION * target
    rate = f"{achieved:.1f} req/s" + (f" of target {target:g} req/s" if target is not None else "")
    if outcome.cpu_warning:
        tail = f"; thresholds missed: {summary(missed)}" if missed else ""
        return Status.INCONCLUSIVE, (f"load generator saturated: Locust reported CPU usage above 90% "
                                     f"({rate}){tail}")
    if missed:
        note = f" (target rate not reached: {rate})" if short else ""
        return Status.FAILED, summary(missed) + note
    if short:
        return Status.INCONCLUSIVE, (f"target rate not reached: {rate} after ramp-up, below "
                                     f"{ev.SATURATION_FRACTION:.0%}; the load generator or the profile was "
                                     f"the bottleneck, so these figures cannot pass the item")
    return Status.PASSED, _passed_message(outcome, rate)


def _notes(outcome: LoadOutcome, stats: LoadStats) -> str:
    """What a reviewer should know beside the verdict: a CSV fallback, locustfile exceptions."""
    notes = []
    if stats.source == "csv":
        notes.append("figures from Locust's last CSV snapshot (it wrote no JSON file)")
    if outcome.exceptions and stats.aggregate.requests:
        count = sum(e.count for e in outcome.exceptions)
        notes.append(f"the locustfile raised {count} exception(s), first: {outcome.exceptions[0].message}")
    return "".join(f"; {note}" for note in notes)


def _passed_message(outcome: LoadOutcome, rate: str) -> str:
    agg = outcome.stats.aggregate if outcome.stats else None
    shown = ", ".join(f"{v.label} {v.observed_text} ({v.expected_text})" for v in outcome.verdicts)
    count = f"{agg.requests} requests" if agg else ""
    return f"{count} at {rate}" + (f": {shown}" if shown else "")
