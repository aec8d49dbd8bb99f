"""The ``metrics`` check type: a Prometheus exposition endpoint, parsed with prometheus_client."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import Observation, Table
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result


class FamilyExpect(BaseModel):
    """A metric family that must be exposed, optionally with labels, a type and value bounds."""

    model_config = ConfigDict(extra="forbid")

    name: str
    type: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    label_names: list[str] = Field(default_factory=list)
    min: float | None = None
    max: float | None = None


class MetricsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = "/metrics"
    headers: dict[str, str] = Field(default_factory=dict)
    families: list[FamilyExpect] = Field(min_length=1)


def parse_exposition(text: str) -> dict[str, tuple[str, list[tuple[str, dict[str, str], float]]]]:
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


def _family(expect: FamilyExpect, families: dict) -> Observation:
    label = f"metric {expect.name}"
    if expect.name not in families:
        return Observation(label=label, observed="<absent>", expected="exposed", ok=False)
    kind, samples = families[expect.name]
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
    values = [s[2] for s in (matching or samples) if not s[0].endswith(("_created", "_bucket"))]
    total = sum(values)
    bounds_ok = (expect.min is None or total >= expect.min) and (expect.max is None or total <= expect.max)
    expected = "exposed" if expect.min is None and expect.max is None else f"value in [{expect.min}, {expect.max}]"
    return Observation(label=label, observed=f"{len(matching or samples)} samples, sum {total:g}",
                       expected=expected, ok=bounds_ok)


def register(registry: Registry) -> None:
    registry.register("metrics", MetricsParams)(run_metrics)
