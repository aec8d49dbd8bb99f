"""The ``metrics`` check type: a Prometheus exposition endpoint, parsed with prometheus_client.

A family is found by its name or by the name of any of its samples: the counter exposed as
``http_requests_total`` is found as ``http_requests_total`` or ``http_requests``, a histogram's
``latency_seconds_count`` finds the histogram (and only those samples). An absent family names the
closest names the endpoint does expose.
"""

from __future__ import annotations

import difflib

from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import Observation, Table
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result

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


def parse_exposition(text: str) -> Families:
    """family name -> (type, [(sample name, labels, value)])."""
    out = {}
    for family in text_string_to_metric_families(text):
        out[family.name] = (family.type, [(s.name, dict(s.labels), float(s.value)) for s in family.samples])
    return out


async def run_metrics(params: MetricsParams, ctx: CheckContext) -> Result:
    """Scrape a Prometheus endpoint; expect families, their labels and value bounds."""
    async with ctx.client() as client:
        response = await client.get(params.path, headers=ctx.expand(params.headers))
    if response.status_code != 200:
        return Result.failed(f"{params.path} answered {response.status_code}, expected 200",
                             Observation(label="status", observed=response.status_code, expected=200, ok=False))
    try:
        families = parse_exposition(response.text)
    except ValueError as exc:
        return Result.failed(f"{params.path} is not valid Prometheus exposition: {exc}")
    observations = [_family(expect, families) for expect in params.families]
    table = Table(title="Families found", columns=["family", "type", "samples"],
                  rows=[[name, kind, len(samples)] for name, (kind, samples) in sorted(families.items())][:60])
    return Result.from_observations(observations, table, ok_message=f"{len(observations)} metric families as expected",
                                    families=float(len(families)))


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
