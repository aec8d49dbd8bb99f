"""The ``yaml_file`` check type: YAML documents (selected by ``kind``) have keys and values at paths.

Every path is relative to the checklist's folder.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.files import missing_file
from readiness_harness.checks.shared.jsonpath import MISSING, JsonPathMany, walk
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.crossref import CrossrefContext, Finding
from readiness_harness.contract.evidence import Observation
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class YamlRule(_Params):
    path: JsonPathMany = Field(description="a path into each document (see the path syntax); [*] or .* walks "
                               "every list entry, e.g. spec.template.spec.containers[*].image")
    exists: bool | None = Field(default=None, description="false: the path must be absent")
    equals: Any = Field(default=None, description="the value at the path")
    matches: str | None = Field(default=None, description="a regular expression the value must match")
    match: Literal["all", "any"] = Field(default="all", description="every [*] branch must hold, or at least one")


class YamlFileParams(_Params):
    path: str = Field(description="the YAML file, relative to the checklist's folder")
    kind: str | None = Field(default=None, description="only documents whose `kind` is this")
    require: list[YamlRule] = Field(min_length=1, description="paths that must hold in the selected documents")


def _yaml_rule(rule: YamlRule, documents: list[Any]) -> Observation:
    found = [v for doc in documents for v in walk(doc, rule.path)]
    values = [v for v in found if v is not MISSING]
    label = f"{rule.path}"
    if rule.exists is False:
        return Observation(label=label, observed=values or "<absent>", expected="absent", ok=not values)
    if not values or (rule.match == "all" and len(values) < len(found)):
        observed = "<absent>" if not values else f"absent in {len(found) - len(values)} of {len(found)}"
        return Observation(label=label, observed=observed, expected=f"present in {rule.match} matches", ok=False)
    hits = [(rule.equals is None or v == rule.equals)
            and (rule.matches is None or re.search(rule.matches, str(v)) is not None) for v in values]
    ok = all(hits) if rule.match == "all" else any(hits)
    expected = rule.equals if rule.equals is not None else (f"matches /{rule.matches}/" if rule.matches else "present")
    shown = values[0] if len(values) == 1 else values
    return Observation(label=label, observed=shown if not isinstance(shown, dict) else sorted(shown),
                       expected=expected, ok=ok)


async def run_yaml_file(params: YamlFileParams, ctx: CheckContext) -> Result:
    """YAML documents (optionally of one ``kind``) have the required keys and values at their paths."""
    path = ctx.resolve(params.path)
    if not path.is_file():
        return missing_file(path)
    try:
        documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    except yaml.YAMLError as exc:
        return Result.failed(f"{params.path} is not valid YAML: {exc}")
    if params.kind:
        documents = [d for d in documents if isinstance(d, dict) and d.get("kind") == params.kind]
        if not documents:
            return Result.failed(f"{params.path} has no document of kind {params.kind}",
                                 Observation(label="kind", observed="<absent>", expected=params.kind, ok=False))
    observations = [_yaml_rule(rule, documents) for rule in params.require]
    return Result.from_observations(observations, ok_message=f"{params.path}: {len(observations)} paths as expected")


def crossref(params: YamlFileParams, ctx: CrossrefContext) -> list[Finding]:
    """The YAML file exists."""
    return ctx.file_missing(params.path, ("path",), what="YAML file")


EXAMPLE = """\
type: yaml_file
path: ../deploy/deployment.yaml
kind: Deployment
require:
  - {path: "spec.template.spec.containers[*].resources.limits.memory"}
  - {path: "spec.template.spec.containers[*].readinessProbe.httpGet.path", equals: /ready}
  - {path: "spec.template.spec.containers[*].image", matches: "@sha256:", match: all}
"""


def register(registry: Registry) -> None:
    registry.register("yaml_file", YamlFileParams, example=EXAMPLE, crossref=crossref)(run_yaml_file)
