"""The request record the harness's Locust plugin writes: read, merged, and asked about any time span.

Every load-generating Locust process (the only one, each ``--processes`` child, each worker) writes
``record-*.jsonl`` into the run's folder (remote workers' buckets are written by the master); see
:mod:`loadtests.harness_plugin` for the line format. :class:`Record` merges them bucket by bucket
(100 ms of request completion time, wall clock) and reads new lines on every :meth:`Record.refresh`,
so it serves both a finished run and one still running (a fault scenario waiting for the load to
flow, a rate step being judged).

A span's edges are exact to one bucket: ``outer`` takes every request whose life overlaps the
buckets touching the span (nothing that happened inside is lost: a request begun inside and ended
after counts too), ``inner`` only the requests begun and ended in buckets wholly inside it (nothing
from outside leaks in: a request hung by a fault that ends after the rollback is not the recovery's).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from readiness_harness.loadtests.results import AGGREGATE, NameStats, percentile

Edges = Literal["outer", "inner"]
EPSILON = 1e-6


@dataclass
class Cell:
    """Requests of one name (or of all names) over one bucket or a span of buckets."""

    requests: int = 0
    failures: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    expected: Counter[int] = field(default_factory=Counter)
    codes: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    hist: Counter[int] = field(default_factory=Counter)
    methods: set[str] = field(default_factory=set)

    def add_entry(self, entry: dict[str, Any]) -> None:
        self.requests += int(entry.get("n", 0))
        self.failures += int(entry.get("fail", 0))
        self.total_ms += float(entry.get("sum", 0.0))
        self.max_ms = max(self.max_ms, float(entry.get("max", 0.0)))
        self.expected.update({int(k): int(v) for k, v in (entry.get("exp") or {}).items()})
        self.codes.update({int(k): int(v) for k, v in (entry.get("codes") or {}).items()})
        self.errors.update({str(k): int(v) for k, v in (entry.get("errors") or {}).items()})
        self.hist.update({int(k): int(v) for k, v in (entry.get("hist") or {}).items()})
        if entry.get("method"):
            self.methods.add(str(entry["method"]))

    def merge(self, other: Cell) -> None:
        self.requests += other.requests
        self.failures += other.failures
        self.total_ms += other.total_ms
        self.max_ms = max(self.max_ms, other.max_ms)
        self.expected.update(other.expected)
        self.codes.update(other.codes)
        self.errors.update(other.errors)
        self.hist.update(other.hist)
        self.methods |= other.methods

    def quantile(self, fraction: float) -> float | None:
        return percentile(dict(self.hist), sum(self.hist.values()), fraction)

    def stats(self, name: str, seconds: float) -> NameStats:
        timed = dict(self.hist)
        total = sum(timed.values())
        return NameStats(name=name, requests=self.requests, failures=self.failures,
                         expected={k: v for k, v in sorted(self.expected.items()) if v},
                         p50_ms=percentile(timed, total, 0.5), p95_ms=percentile(timed, total, 0.95),
                         p99_ms=percentile(timed, total, 0.99),
                         avg_ms=self.total_ms / total if total else None,
                         max_ms=self.max_ms if total else None,
                         rps=self.requests / seconds if seconds > 0 else 0.0, methods="/".join(sorted(self.methods)))


@dataclass
class Bucket:
    """One bucket merged over every process: requests by name, and the generator's state."""

    index: int
    names: dict[str, Cell] = field(default_factory=dict)  # requests begun in this bucket or the one before
    started: dict[int, dict[str, Cell]] = field(default_factory=dict)  # begun in bucket s, ended in this one
    users: int = 0
    rate: float | None = None
    missed: int = 0
    iterations: int = 0
    cpu_max: float = 0.0
    processes: int = 0

    def add_line(self, line: dict[str, Any]) -> None:
        for entry in line.get("names") or []:
            began = entry.get("s")
            cells = self.names if began is None or int(began) >= self.index else \
                self.started.setdefault(int(began), {})
            cells.setdefault(str(entry.get("name", "")), Cell()).add_entry(entry)
        if line.get("users") is None:
            return  # a late line for a bucket already flushed: requests only
        self.processes += 1
        self.users += int(line["users"])
        if line.get("rate") is not None:
            self.rate = (self.rate or 0.0) + float(line["rate"])
        self.missed += int(line.get("missed") or 0)
        self.iterations += int(line.get("iterations") or 0)
        self.cpu_max = max(self.cpu_max, float(line.get("cpu") or 0.0))

    def total(self) -> Cell:
        cell = Cell()
        for _, entry in self.cells():
            cell.merge(entry)
        return cell

    def cells(self, begun_from: int | None = None) -> list[tuple[str, Cell]]:
        """Every (name, cell) ended in this bucket; only those begun at ``begun_from`` or later when given."""
        found = list(self.names.items())
        for began, by_name in self.started.items():
            if begun_from is None or began >= begun_from:
                found += by_name.items()
        return found


@dataclass
class Span:
    """The merged figures of a run of buckets: per name, the aggregate, and the generator's state."""

    start: float
    end: float
    names: dict[str, Cell]
    aggregate: Cell
    buckets: int
    asked_rps: float | None
    missed: int
    cpu_max: float

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def name_stats(self) -> dict[str, NameStats]:
        return {name: cell.stats(name, self.seconds) for name, cell in sorted(self.names.items())}

    def aggregate_stats(self) -> NameStats:
        return self.aggregate.stats(AGGREGATE, self.seconds)


class Record:
    """Every ``record-*.jsonl`` of one run's folder, merged by bucket; :meth:`refresh` reads what is new."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bucket_s = 0.1
        self.buckets: dict[int, Bucket] = {}
        self.late: set[int] = set()  # buckets holding requests begun in an earlier bucket
        self.sources: dict[str, dict[str, Any]] = {}
        self._offsets: dict[Path, int] = {}

    def refresh(self) -> Record:
        for path in sorted(self.folder.glob("record-*.jsonl")):
            self._read(path)
        return self

    def _read(self, path: Path) -> None:
        offset = self._offsets.get(path, 0)
        try:
            with path.open("rb") as handle:
                handle.seek(offset)
                data = handle.read()
        except OSError:
            return
        complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits for the next refresh
        self._offsets[path] = offset + len(complete)
        for raw in complete.splitlines():
            try:
                line = json.loads(raw)
            except ValueError:
                continue
            if line.get("kind") == "header":
                self.sources[path.name] = line
                self.bucket_s = float(line.get("bucket_s", self.bucket_s))
            elif "b" in line:
                index = int(line["b"])
                bucket = self.buckets.setdefault(index, Bucket(index))
                bucket.add_line(line)
                if bucket.started:
                    self.late.add(index)

    @property
    def requests(self) -> int:
        return sum(cell.requests for bucket in self.buckets.values() for _, cell in bucket.cells())

    def first_request(self) -> float | None:
        """Start time of the first bucket holding a completed request."""
        indices = [b.index for b in self.buckets.values() if any(c.requests for _, c in b.cells())]
        return min(indices) * self.bucket_s if indices else None

    def bounds(self) -> tuple[float, float] | None:
        """Start of the first and end of the last bucket of the record."""
        if not self.buckets:
            return None
        return min(self.buckets) * self.bucket_s, (max(self.buckets) + 1) * self.bucket_s

    def indices(self, start: float, end: float, edges: Edges = "outer") -> range:
        width = self.bucket_s
        if edges == "outer":
            first, stop = math.floor(start / width + EPSILON), math.ceil(end / width - EPSILON)
        else:
            first, stop = math.ceil(start / width - EPSILON), math.floor(end / width + EPSILON)
        return range(first, max(first, stop))

    def span(self, start: float, end: float, edges: Edges = "outer") -> Span:
        """The figures of every bucket in ``[start, end]`` (wall clock), edges as asked."""
        chosen = self.indices(start, end, edges)
        names: dict[str, Cell] = {}
        aggregate = Cell()
        rates: list[float] = []
        missed, cpu = 0, 0.0
        ended = [(name, cell) for index in chosen if index in self.buckets
                 for name, cell in self.buckets[index].cells(None if edges == "outer" else chosen.start)]
        if edges == "outer":  # begun in the span, ended after it
            ended += [(name, cell) for index in sorted(self.late) if index >= chosen.stop
                      for began, by_name in self.buckets[index].started.items() if began < chosen.stop
                      for name, cell in by_name.items()]
        for name, cell in ended:
            names.setdefault(name, Cell()).merge(cell)
            aggregate.merge(cell)
        for index in chosen:
            bucket = self.buckets.get(index)
            if bucket is None:
                continue
            if bucket.rate is not None:
                rates.append(bucket.rate)
            missed += bucket.missed
            cpu = max(cpu, bucket.cpu_max)
        return Span(start=chosen.start * self.bucket_s, end=chosen.stop * self.bucket_s, names=names,
                    aggregate=aggregate, buckets=len(chosen), asked_rps=sum(rates) / len(rates) if rates else None,
                    missed=missed, cpu_max=cpu)

    def whole(self) -> Span:
        bounds = self.bounds()
        return self.span(*bounds) if bounds else self.span(0.0, 0.0)

    def steady(self, ramp_s: float) -> Span:
        """After every user is running (plus ``ramp_s`` and one second to settle), the last 0.2 s dropped."""
        generating = sorted(b.index for b in self.buckets.values() if b.users > 0)
        if not generating:
            return self.whole()
        most = max(self.buckets[i].users for i in generating)
        full = next(i for i in generating if self.buckets[i].users >= most)
        start = max(full * self.bucket_s, generating[0] * self.bucket_s + ramp_s) + 1.0
        end = (generating[-1] - 1) * self.bucket_s
        if end - start < 1.0:
            return self.whole()
        return self.span(start, end, "inner")
