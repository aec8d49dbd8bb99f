"""The ``metrics`` check type: a Prometheus exposition endpoint, parsed with prometheus_client.

A family is found by its name or by the name of any of its samples: the counter exposed as
``http_requests_total`` is found as ``http_requests_total`` or ``http_requests``, a histogram's
``latency_seconds_count`` finds the histogram (and only those samples). An absent family names the
closest names the endpoint does expose.

The scrape is read as it streams, up to ``max_series`` samples and ``max_response_bytes`` bytes
(decompressed); past either cap the rest is not read, and the message says so. What the part read
cannot decide (a family not reached, a sum or labels of the family the cap cut) is not judged,
and the item is inconclusive rather than failed or passed.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TextIO, cast

from prometheus_client.parser import text_fd_to_metric_families, text_string_to_metric_families
from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.body import ACCEPT_ENCODING, MIB, BodyReader, size_text
from readiness_harness.checks.shared.transport import open_response
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import Observation, Table
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status

DEFAULT_MAX_SERIES = 100_000
NOT_JUDGED = "not judged"
SAMPLE_SUFFIXES = ("_total", "_count", "_sum", "_bucket", "_created", "_info", "_gcount", "_gsum")
Families = dict[str, tuple[str, list[tuple[str, dict[str, str], float]]]]


class FamilyExpect(BaseModel):
    """A metric family that must be exposed, optionally with labels, a type and value bounds."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="the family's name or one of its sample names (http_requests_total, "
                      "http_requests, latency_seconds_count); a sample name limits the check to those samples")
    type: str | None = Field(default=None, description="counter, gauge, histogram, summary, info, ...")
    labels: dict[str, str] = Field(default_factory=dict, description="only samples with these label values")
    label_names: list[str] = Field(default_factory=list, description="label names some sample must carry")
    min: float | None = Field(default=None, description="lowest acceptable sum of the selected samples")
    max: float | None = Field(default=None, description="highest acceptable sum of the selected samples")


class MetricsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(default="/metrics", description="the exposition endpoint on the target (or a full URL)")
    headers: dict[str, str] = Field(default_factory=dict, description="sent with the scrape (placeholders allowed)")
    families: list[FamilyExpect] = Field(min_length=1, description="metric families that must be exposed")
    max_series: int = Field(default=DEFAULT_MAX_SERIES, ge=1, le=10_000_000,
                            description="read at most this many samples; the rest is not read and the message "
                                        "says so")
    max_response_bytes: int = Field(default=64 * MIB, ge=1024, le=1024 * MIB,
                                    description="read at most this many (decompressed) bytes of the scrape")


@dataclass
class Scrape:
    """What was read of the exposition: its lines, and whether (and where) a cap cut it."""

    status: int
    lines: list[str]
    series: int = 0
    cut: str | None = None  # which cap was hit, said in the message


def parse_exposition(text: str | list[str]) -> Families:
    """family name -> (type, [(sample name, labels, value)]), from the text or its lines."""
    out = {}
    parsed = (text_string_to_metric_families(text) if isinstance(text, str)
              else text_fd_to_metric_families(cast("TextIO", text)))  # the parser only iterates its lines
    for family in parsed:
        out[family.name] = (family.type, [(s.name, dict(s.labels), float(s.value)) for s in family.samples])
    return out


async def scrape(params: MetricsParams, ctx: CheckContext) -> Scrape:
    """The exposition's lines as they stream, stopping at ``max_series`` samples or the byte cap."""
    async with ctx.client() as client:
        request = client.build_request("GET", params.path,
                                       headers={"Accept-Encoding": ACCEPT_ENCODING, **ctx.expand(params.headers)})
        response = await open_response(client, request)
        try:
            found = Scrape(response.status_code, [])
            if response.status_code == 200:
                await _read_lines(BodyReader(response, params.max_response_bytes), params.max_series, found)
        finally:
            await response.aclose()
    return found


async def _read_lines(reader: BodyReader, max_series: int, found: Scrape) -> None:
    pending = b""
    async for piece in reader:
        *complete, pending = (pending + piece).split(b"\n")
        for raw in complete:
            line = raw.decode("utf-8", errors="replace")
            if line.strip() and not line.lstrip().startswith("#"):
                if found.series == max_series:
                    found.cut = f"read the first {max_series} series (max_series)"
                    return
                found.series += 1
            found.lines.append(line)
    if reader.cut:
        found.cut = f"read the first {size_text(reader.limit)} (max_response_bytes)"
    elif pending.strip():
        found.lines.append(pending.decode("utf-8", errors="replace"))


async def run_metrics(params: MetricsParams, ctx: CheckContext) -> Result:
    """Scrape a Prometheus endpoint; expect families, their labels and value bounds."""
    found = await scrape(params, ctx)
    if found.status != 200:
        return Result.failed(f"{params.path} answered {found.status}, expected 200",
                             Observation(label="status", observed=found.status, expected=200, ok=False))
    try:
        families = parse_exposition(found.lines)
    except ValueError as exc:
        return Result.failed(f"{params.path} is not valid Prometheus exposition: {exc}")
    partial = next(reversed(families), None) if found.cut else None  # the family the cap cut
    observations = [_judged(_family(expect, families), expect, families, partial, found.cut)
                    for expect in params.families]
    table = Table(title="Families found", columns=["family", "type", "samples"],
                  rows=[[name, kind, len(samples)] for name, (kind, samples) in sorted(families.items())][:60])
    result = Result.from_observations(observations, table, ok_message=f"{len(observations)} metric families as "
                                      "expected", families=float(len(families)), series=float(found.series))
    return _with_cut(result, observations, found.cut)


def _judged(observation: Observation, expect: FamilyExpect, families: Families, partial: str | None,
            cut: str | None) -> Observation:
    """An observation the cut part of the scrape could have changed is not judged."""
    if cut is None:
        return observation
    found = find_family(expect.name, families)
    if found is None:
        return observation.model_copy(update={"ok": None, "observed": f"{NOT_JUDGED}: not in the part read"})
    bounded = expect.min is not None or expect.max is not None
    if found[0] == partial and (observation.ok is False or bounded):
        return observation.model_copy(update={"ok": None, "observed": f"{NOT_JUDGED}: {observation.observed} "
                                                                      "in the part read; the rest was cut"})
    return observation


def _with_cut(result: Result, observations: list[Observation], cut: str | None) -> Result:
    if cut is None:
        return result
    unjudged = [o.label for o in observations if o.ok is None and str(o.observed).startswith(NOT_JUDGED)]
    if result.status == Status.PASSED and unjudged:
        return result.model_copy(update={"status": Status.INCONCLUSIVE,
                                         "message": f"not judged: {', '.join(unjudged)}: scrape cut, {cut}"})
    return result.model_copy(update={"message": f"{result.message} (scrape cut: {cut})"})


def find_family(name: str, families: Families) -> tuple[str, str | None] | None:
    """(family, sample name or None) for ``name``: a family's own name, or the name of one of its samples
    (``http_requests_total`` finds the counter ``http_requests``, ``latency_seconds_count`` the histogram)."""
    if name in families:
        return name, None
    for family, (_, samples) in families.items():
        if any(sample == name for sample, _, _ in samples):
            return family, name
    for suffix in SAMPLE_SUFFIXES:
        if name.endswith(suffix) and name.removesuffix(suffix) in families:
            return name.removesuffix(suffix), name
    return None


def closest_names(name: str, families: Families, limit: int = 3) -> list[str]:
    """The names exposed that look most like ``name`` (family names and sample names)."""
    names = set(families) | {sample for _, samples in families.values() for sample, _, _ in samples}
    close = difflib.get_close_matches(name, sorted(names), n=limit, cutoff=0.6)
    if close:
        return close
    words = set(name.split("_")) - {"", "total", "count", "sum", "bucket", "seconds", "bytes"}
    return sorted((n for n in names if words & set(n.split("_"))), key=len)[:limit]


def _absent(expect: FamilyExpect, families: Families) -> Observation:
    close = closest_names(expect.name, families)
    observed = "<absent>" + (f"; did you mean {', '.join(close)}?" if close else f" ({len(families)} families exposed)")
    return Observation(label=f"metric {expect.name}", observed=observed, expected="exposed", ok=False)


def _family(expect: FamilyExpect, families: Families) -> Observation:
    label = f"metric {expect.name}"
    found = find_family(expect.name, families)
    if found is None:
        return _absent(expect, families)
    family, sample_name = found
    kind, samples = families[family]
    if sample_name is not None:
        samples = [s for s in samples if s[0] == sample_name]
    if expect.type and kind != expect.type:
        return Observation(label=label, observed=f"type {kind}", expected=f"type {expect.type}", ok=False)
    matching = [s for s in samples if all(s[1].get(k) == v for k, v in expect.labels.items())]
    if expect.labels and not matching:
        return Observation(label=label, observed=f"no sample with {expect.labels}", expected=expect.labels, ok=False)
    present = set().union(*(s[1].keys() for s in samples)) if samples else set()
    missing = [n for n in expect.label_names if n not in present]
    if missing:
        return Observation(label=label, observed=f"labels {sorted(present)}", expected=f"labels {expect.label_names}",
                           ok=False)
    values = [s[2] for s in (matching or samples)
              if sample_name is not None or not s[0].endswith(("_created", "_bucket"))]
    total = sum(values)
    bounds_ok = (expect.min is None or total >= expect.min) and (expect.max is None or total <= expect.max)
    expected = "exposed" if expect.min is None and expect.max is None else f"value in [{expect.min}, {expect.max}]"
    return Observation(label=label, observed=f"{len(matching or samples)} samples, sum {total:g}",
                       expected=expected, ok=bounds_ok)


EXAMPLE = """\
type: metrics
path: /metrics
families:
  - {name: http_requests_total, type: counter, label_names: [method, status]}
  - {name: http_request_duration_seconds, type: histogram}
  - {name: process_open_fds, max: 1000}
"""


def register(registry: Registry) -> None:
    registry.register("metrics", MetricsParams, example=EXAMPLE)(run_metrics)
