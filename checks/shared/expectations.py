"""Expectations on an HTTP response: status, headers, JSON fields, body text, latency.

A body longer than ``max_response_bytes`` is read only up to the cap. What the part read decides
is judged (a text found in it; a forbidden text found in it); what it cannot decide (a text not
found, any JSON field) is *not judged*, and :func:`conclude` makes such a result inconclusive,
never passed or failed. Its message always says when a body was cut.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from readiness_harness.checks.shared.body import size_text
from readiness_harness.checks.shared.exchange import Exchange
from readiness_harness.checks.shared.jsonpath import MISSING, JsonPath, lookup
from readiness_harness.contract.evidence import Observation
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status

NOT_JUDGED = "not judged: the body was cut before the end"
JsonType = Literal["string", "number", "integer", "boolean", "object", "array", "null"]
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "number": (int, float), "integer": (int,), "boolean": (bool,),
    "object": (dict,), "array": (list,), "null": (type(None),),
}


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HeaderRule(_Rule):
    present: bool | None = Field(default=None, description="true: the header must be there; false: it must not")
    equals: str | None = Field(default=None, description="the header's exact value")
    matches: str | None = Field(default=None, description="a regular expression the value must match (search)")
    contains: str | None = Field(default=None, description="text the value must contain (case-insensitive)")


class JsonRule(_Rule):
    equals: Any = Field(default=None, description="the field's exact value")
    exists: bool | None = Field(default=None, description="true: the field must be there; false: it must not")
    one_of: list[Any] | None = Field(default=None, description="the value must be one of these")
    matches: str | None = Field(default=None, description="a regular expression a string value must match (search)")
    type: JsonType | None = Field(default=None, description="the JSON type of the value")
    min: float | None = Field(default=None, description="lowest acceptable number")
    max: float | None = Field(default=None, description="highest acceptable number")
    not_equals: Any = Field(default=None, description="a value the field must not have")
    contains: Any = Field(default=None,
                          description="an element of a list, a key of an object, or a substring of a string")


class ResponseExpect(_Rule):
    """status (one or a set), headers, json fields by path, body text, max latency."""

    status: int | list[int] | None = Field(default=None, description="the status code, or a list of acceptable ones")
    headers: dict[str, HeaderRule | str] = Field(default_factory=dict,
                                                 description="header name -> its exact value, or a rule")
    json_fields: dict[JsonPath, JsonRule | str | int | float | bool | None] = Field(default_factory=dict, alias="json",
                                                                                    description="JSON path "
                                                                                                "(error.code, "
                                                                                                "items[0].id, "
                                                                                                "items.0.id) -> the "
                                                                                                "exact value, or a "
                                                                                                "rule")
    body_contains: list[str] = Field(default_factory=list, description="texts the body must contain")
    body_not_contains: list[str] = Field(default_factory=list,
                                         description="texts the body must not contain (case-insensitive)")
    max_latency_ms: float | None = Field(default=None, gt=0, description="slowest acceptable answer, in milliseconds")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _compile(self) -> ResponseExpect:
        for rule in [*self.headers.values(), *self.json_fields.values()]:
            pattern = getattr(rule, "matches", None)
            if pattern:
                re.compile(pattern)
        return self


def evaluate(expect: ResponseExpect, exchange: Exchange) -> list[Observation]:
    out: list[Observation] = []
    if exchange.response is None:
        return [Observation(label="response", observed=exchange.error, expected="an HTTP response", ok=False)]
    if expect.status is not None:
        wanted = expect.status if isinstance(expect.status, list) else [expect.status]
        out.append(Observation(label="status", observed=exchange.status, expected=_one_of(wanted),
                               ok=exchange.status in wanted))
    for name, rule in expect.headers.items():
        out.append(_header(name, HeaderRule(equals=rule) if isinstance(rule, str) else rule, exchange))
    if expect.json_fields:
        out += _json_fields(expect, exchange)
    out += _body_texts(expect, exchange)
    if expect.max_latency_ms is not None:
        out.append(Observation(label="latency", observed=f"{exchange.elapsed_ms:.1f} ms",
                               expected=f"<= {expect.max_latency_ms:g} ms",
                               ok=exchange.elapsed_ms <= expect.max_latency_ms))
    return out


def _json_fields(expect: ResponseExpect, exchange: Exchange) -> list[Observation]:
    out = []
    document = exchange.json()
    for path, value in expect.json_fields.items():
        json_rule = value if isinstance(value, JsonRule) else JsonRule(equals=value)
        if exchange.cut:
            out.append(Observation(label=f"json {path}", observed=NOT_JUDGED, expected=_json_expected(json_rule)))
        else:
            out.append(_json_field(path, json_rule, document))
    return out


def _body_texts(expect: ResponseExpect, exchange: Exchange) -> list[Observation]:
    out = []
    text = exchange.text
    for needle in expect.body_contains:
        found = needle in text
        out.append(Observation(label=f"body contains {needle!r}", observed=NOT_JUDGED if exchange.cut and not found
                               else found, expected=True, ok=None if exchange.cut and not found else found))
    for needle in expect.body_not_contains:
        found = needle.lower() in text.lower()
        undecided = exchange.cut and not found
        out.append(Observation(label=f"body does not contain {needle!r}",
                               observed=NOT_JUDGED if undecided else "found" if found else "absent",
                               expected="absent", ok=None if undecided else not found))
    return out


def not_judged(observations: list[Observation]) -> list[Observation]:
    return [o for o in observations if o.ok is None and o.observed == NOT_JUDGED]


def conclude(observations: list[Observation], *extra: Any, ok_message: str, exchanges: list[Exchange],
             **measurements: float) -> Result:
    """Like ``Result.from_observations``; when a body was cut, the message says so, and a result
    that would pass with expectations left unjudged is inconclusive instead."""
    result = Result.from_observations(observations, *extra, ok_message=ok_message, **measurements)
    cut = [e for e in exchanges if e.cut]
    if not cut:
        return result
    limits = sorted({e.response.body.limit for e in cut if e.response is not None})
    note = (f"{'an answer' if len(cut) == 1 else f'{len(cut)} answers'} cut at "
            f"{' / '.join(size_text(limit) for limit in limits)}: the rest was not read (max_response_bytes)")
    unjudged = not_judged(observations)
    if result.status == Status.PASSED and unjudged:
        labels = ", ".join(dict.fromkeys(o.label for o in unjudged))
        return result.model_copy(update={"status": Status.INCONCLUSIVE,
                                         "message": f"not judged: {labels}; {note}"})
    return result.model_copy(update={"message": f"{result.message} ({note})"})


def _one_of(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else f"one of {values}"


def _header(name: str, rule: HeaderRule, exchange: Exchange) -> Observation:
    value = exchange.response.headers.get(name) if exchange.response is not None else None
    label = f"header {name}"
    if rule.present is not None:
        ok = (value is not None) == rule.present
        return Observation(label=label, observed=value if value is not None else "<absent>",
                           expected="present" if rule.present else "absent", ok=ok)
    if value is None:
        return Observation(label=label, observed="<absent>", expected=_header_expected(rule), ok=False)
    ok = ((rule.equals is None or value == rule.equals)
          and (rule.matches is None or re.search(rule.matches, value) is not None)
          and (rule.contains is None or rule.contains.lower() in value.lower()))
    return Observation(label=label, observed=value, expected=_header_expected(rule), ok=ok)


def _header_expected(rule: HeaderRule) -> str:
    parts = []
    if rule.equals is not None:
        parts.append(f"= {rule.equals!r}")
    if rule.matches is not None:
        parts.append(f"matches /{rule.matches}/")
    if rule.contains is not None:
        parts.append(f"contains {rule.contains!r}")
    return " and ".join(parts) or "present"


def _json_field(path: str, rule: JsonRule, document: Any) -> Observation:
    value = lookup(document, path) if document is not None else MISSING
    label = f"json {path}"
    if rule.exists is not None:
        exists = value is not MISSING
        return Observation(label=label, observed=value if exists else "<missing>",
                           expected="exists" if rule.exists else "absent", ok=exists == rule.exists)
    if value is MISSING:
        return Observation(label=label, observed="<missing>", expected=_json_expected(rule), ok=False)
    return Observation(label=label, observed=value, expected=_json_expected(rule), ok=_json_ok(rule, value))


def _json_ok(rule: JsonRule, value: Any) -> bool:
    checks = []
    fields = rule.model_fields_set
    if "equals" in fields:
        checks.append(value == rule.equals)
    if "not_equals" in fields:
        checks.append(value != rule.not_equals)
    if rule.one_of is not None:
        checks.append(value in rule.one_of)
    if "contains" in fields:
        checks.append(isinstance(value, list | str | dict) and rule.contains in value)
    if rule.matches is not None:
        checks.append(isinstance(value, str) and re.search(rule.matches, value) is not None)
    if rule.type is not None:
        is_bool = isinstance(value, bool)
        checks.append(isinstance(value, _TYPES[rule.type]) and (rule.type == "boolean" or not is_bool))
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if rule.min is not None:
        checks.append(numeric and value >= rule.min)
    if rule.max is not None:
        checks.append(numeric and value <= rule.max)
    return all(checks)


def _json_expected(rule: JsonRule) -> str:
    fields = rule.model_fields_set
    parts = [f"{name} {getattr(rule, name)!r}" for name in
             ("equals", "not_equals", "one_of", "contains", "matches", "type", "min", "max") if name in fields]
    return ", ".join(parts) or "exists"


def dedupe(observations: list[Observation]) -> list[Observation]:
    """Repeated identical observations (same label, outcome and value) are shown once."""
    seen, out = set(), []
    for o in observations:
        key = (o.label, o.ok, repr(o.observed))
        if key not in seen:
            seen.add(key)
            out.append(o)
    return out
