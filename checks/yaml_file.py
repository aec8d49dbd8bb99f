"""The ``yaml_file`` check type: YAML documents (selected by ``kind``) have keys and values at paths.

Every path is relative to the checklist's folder.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.files import missing_file
from readiness_harness.checks.shared.jsonpath import MISSING
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import Observation
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class YamlRule(_Params):
    path: str = Field(description="dotted path; [*] walks every list entry, e.g. spec.containers[*].image")
    exists: bool | None = None
    equals: Any = None
    matches: str | None = None
    match: Literal["all", "any"] = Field(default="all", description="every [*] branch must hold, or at least one")


class YamlFileParams(_Params):
    path: str
    kind: str | None = Field(default=None, description="only documents whose `kind` is this")
    require: list[YamlRule] = Field(min_length=1)


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+|\*)\]")


def walk(document: Any, path: str) -> list[Any]:
    """Every value at ``path``; ``[*]`` fans out over a list. A branch without the path yields MISSING."""
    current = [document]
    for name, index in _STEP.findall(path):
        nxt: list[Any] = []
        for value in current:
            if value is MISSING:
                nxt.append(MISSING)
            elif index == "*" and isinstance(value, list):
                nxt.extend(value)
            elif index and index != "*" and isinstance(value, list) and int(index) < len(value):
                nxt.append(value[int(index)])
            elif name and isinstance(value, dict) and name in value:
                nxt.append(value[name])
            else:
                nxt.append(MISSING)
        current = nxt
    return current


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


def register(registry: Registry) -> None:
    registry.register("yaml_file", YamlFileParams)(run_yaml_file)
