"""How long the HTML report takes to render: a synthetic record of many items and a few charts.

``python -m bench.render [ITEMS] [CHARTS]`` prints the timings; ``make bench`` calls :func:`run`.
Timings are measured, never asserted.
"""

from __future__ import annotations

import math
import random
import statistics
import sys
import time
from typing import Any

from readiness_harness.contract.checklist import Severity
from readiness_harness.contract.evidence import (
    HttpExchange,
    LogExcerpt,
    Observation,
    Table,
    Timeline,
    TimelineEvent,
    TimeSeries,
    Window,
)
from readiness_harness.contract.record import AuditRecord, ChecklistInfo, ItemResult, TargetInfo
from readiness_harness.contract.status import Status
from readiness_harness.reports.html import render_html
from readiness_harness.verdict import blocking, counts, score, severity_counts, verdict

STATUSES = [Status.PASSED] * 12 + [Status.FAILED, Status.ERROR, Status.INCONCLUSIVE, Status.ATTESTED,
                                    Status.UNATTESTED, Status.WAIVED, Status.NOT_APPLICABLE, Status.SKIPPED]


def load_series(samples: int = 180, *, fault: tuple[float, float] = (60.0, 90.0)) -> TimeSeries:
    """A load run with a fault window: latency and errors rise inside it, throughput dips."""
    t = [float(i) for i in range(samples)]
    inside = [fault[0] <= x < fault[1] for x in t]
    return TimeSeries(
        title="Load during fault", t=t,
        series={"rps": [(60.0 if hit else 100.0) + 4 * math.sin(x / 7) for x, hit in zip(t, inside, strict=True)],
                "users": [min(50.0, x) for x in t],
                "p50_ms": [(140.0 if hit else 22.0) + math.sin(x) for x, hit in zip(t, inside, strict=True)],
                "p95_ms": [(410.0 if hit else 48.0) + 3 * math.sin(x / 3) for x, hit in zip(t, inside, strict=True)],
                "p99_ms": [(820.0 if hit else 75.0) + 6 * math.sin(x / 3) for x, hit in zip(t, inside, strict=True)],
                "errors_per_s": [3.0 if hit else 0.0 for hit in inside]},
        unit={"rps": "req/s", "p50_ms": "ms", "p95_ms": "ms", "p99_ms": "ms", "errors_per_s": "errors/s"},
        windows=[Window(label="fault: database latency +800 ms", start=fault[0], end=fault[1])],
    )


def _evidence(index: int, rng: random.Random) -> list[Any]:
    evidence: list[Any] = [Observation(label="status code", observed=200, expected=200, ok=True),
                           Observation(label="p95 latency (ms)", observed=round(rng.uniform(20, 600), 1),
                                       expected="<= 500", ok=rng.random() > 0.2)]
    if index % 3 == 0:
        evidence.append(HttpExchange(method="GET", url=f"http://127.0.0.1:8000/v1/items/{index}",
                                     request_headers={"X-API-Key": "[redacted]"}, status=200,
                                     response_headers={"content-type": "application/json"},
                                     response_body=f'{{"id": {index}, "name": "item"}}', elapsed_ms=12.5))
    if index % 10 == 0:
        evidence.append(Table(title="Requests", columns=["endpoint", "count", "p95 ms"],
                              rows=[["/v1/items", 1200, 48.2], ["/v1/jobs", 300, 75.1]]))
        evidence.append(LogExcerpt(title="service log", lines=[f'{{"level": "info", "n": {n}}}' for n in range(5)]))
    if index % 25 == 0:
        evidence.append(Timeline(title="Fault scenario", recovered_after_s=4.2, events=[
            TimelineEvent(t=0, event="inject", detail="latency 800 ms"), TimelineEvent(t=5, event="observe", ok=True),
            TimelineEvent(t=30, event="rollback"), TimelineEvent(t=34.2, event="recovered", ok=True)]))
    return evidence


def synthetic_record(n_items: int = 1000, *, charts: int = 3, seed: int = 7) -> AuditRecord:
    rng = random.Random(seed)
    severities = list(Severity)
    items = []
    for index in range(n_items):
        evidence = _evidence(index, rng)
        if index < charts:
            evidence.append(load_series())
        items.append(ItemResult(
            id=f"item-{index:04d}", section=f"s{index // 50}", section_title=f"Section {index // 50 + 1}",
            title=f"Readiness item {index}", severity=severities[index % 4], claimed=[True, False, None][index % 3],
            kind="check", check_type="http", phase="functional", status=STATUSES[index % len(STATUSES)],
            message=f"measured value {index}", duration_s=0.01, evidence=evidence,
            measurements={"p95_ms": round(rng.uniform(20, 600), 1)}))
    return AuditRecord(
        run_id="bench-run", verdict=verdict(items), checklist=ChecklistInfo(
            id="bench", title="Synthetic checklist", path="checklists/bench.yaml", sha256="0" * 64, version="1",
            signoff_roles=["Service owner", "SRE lead"]),
        target=TargetInfo(name="bench", base_url="http://127.0.0.1:8000", provisioned=False),
        started_at="2025-01-01T00:00:00+00:00", finished_at="2025-01-01T00:10:00+00:00", duration_s=600.0,
        counts=counts(items), severity_counts=severity_counts(items), score=score(items), blocking=blocking(items),
        items=items)


def bench_render(n_items: int = 1000, *, charts: int = 3, repeats: int = 3) -> dict[str, float]:
    """Seconds to render the synthetic record and the page size in bytes.

    Wall-clock time (best and median of ``repeats``) and the best CPU time of this process, which
    stays meaningful on a busy machine.
    """
    record = synthetic_record(n_items, charts=charts)
    render_html(record)  # warm up: template compilation, matplotlib's font cache
    timings, cpu, size = [], [], 0
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        size = len(render_html(record).encode("utf-8"))
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return {"items": n_items, "charts": charts, "best_s": min(timings), "median_s": statistics.median(timings),
            "cpu_s": min(cpu), "html_bytes": size}


def run() -> dict[str, Any]:
    """The benchmark section: a 1,000-item record with load charts."""
    return {k: round(v, 3) for k, v in bench_render(1000, charts=3).items()}


def main(argv: list[str]) -> int:
    n_items = int(argv[0]) if argv else 1000
    charts = int(argv[1]) if len(argv) > 1 else 3
    result = bench_render(n_items, charts=charts)
    print(f"{result['items']:.0f} items, {result['charts']:.0f} charts: best {result['best_s']:.3f} s, "
          f"median {result['median_s']:.3f} s, cpu {result['cpu_s']:.3f} s, {result['html_bytes'] / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
