"""Toxic model and the validation of the JSON that creates or updates one.

The checks run in the order Toxiproxy v2 runs them (body, stream, type, duplicate name,
attributes), so the first error a client sees is the one the real server would answer.
Unlike the real server, unknown or negative attributes, a toxicity outside 0..1 and a
slicer that could never make progress (average_size 0 and size_variation 0) are refused
with 400 instead of being accepted or crashing the server.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from readiness_harness.chaos.server.errors import ApiError, bad_body, invalid_stream, invalid_toxic_type, toxic_exists

STREAMS = ("upstream", "downstream")

#: Attribute names per toxic type; every attribute is an integer defaulting to 0.
ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "latency": ("latency", "jitter"),
    "bandwidth": ("rate",),
    "slow_close": ("delay",),
    "timeout": ("timeout",),
    "reset_peer": ("timeout",),
    "slicer": ("average_size", "size_variation", "delay"),
    "limit_data": ("bytes",),
}


@dataclass(frozen=True)
class Toxic:
    """One toxic as configured on a proxy. Immutable: an update creates a new object."""

    name: str
    type: str
    stream: str
    toxicity: float = 1.0
    attributes: Mapping[str, int] = field(default_factory=dict)

    def attr(self, key: str) -> int:
        return self.attributes.get(key, 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
            "attributes": dict(self.attributes),
        }


def parse_toxic(body: object, existing: Collection[str]) -> Toxic:
    """Build a new toxic from a request body; ``existing`` holds the names already in use."""
    data = _require_object(body)
    name = _optional_str(data, "name")
    kind = _optional_str(data, "type")
    stream = _optional_str(data, "stream") or "downstream"
    toxicity = _toxicity(data.get("toxicity", 1.0))
    if stream.lower() not in STREAMS:
        raise invalid_stream()
    stream = stream.lower()
    if kind not in ATTRIBUTES:
        raise invalid_toxic_type()
    name = name or f"{kind}_{stream}"
    if name in existing:
        raise toxic_exists()
    attributes = _attributes(kind, data.get("attributes"), base={})
    return Toxic(name=name, type=kind, stream=stream, toxicity=toxicity, attributes=attributes)


def update_toxic(toxic: Toxic, body: object) -> Toxic:
    """Merge an update body over a toxic: attributes merged, toxicity kept unless given."""
    data = _require_object(body)
    toxicity = _toxicity(data["toxicity"]) if "toxicity" in data else toxic.toxicity
    attributes = _attributes(toxic.type, data.get("attributes"), base=toxic.attributes)
    return Toxic(name=toxic.name, type=toxic.type, stream=toxic.stream, toxicity=toxicity, attributes=attributes)


def _require_object(body: object) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_body(f"expected a JSON object, got {type(body).__name__}")
    return body


def _optional_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad_body(f"field '{key}' must be a string")
    return value


def _toxicity(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_body("field 'toxicity' must be a number")
    if not 0.0 <= value <= 1.0:
        raise bad_body(f"toxicity must be between 0 and 1, got {value}")
    return float(value)


def _attributes(kind: str, raw: object, *, base: Mapping[str, int]) -> dict[str, int]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise bad_body("field 'attributes' must be an object")
    allowed = ATTRIBUTES[kind]
    merged = {key: base.get(key, 0) for key in allowed}
    for key, value in raw.items():
        if key not in allowed:
            raise bad_body(f"unknown attribute '{key}' for toxic type {kind} (allowed: {', '.join(allowed)})")
        merged[key] = _attribute_value(key, value)
    _check_combination(kind, merged)
    return merged


def _attribute_value(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_body(f"attribute '{key}' must be an integer")
    if value < 0:
        raise bad_body(f"attribute '{key}' must not be negative, got {value}")
    return value


def _check_combination(kind: str, attributes: Mapping[str, int]) -> None:
    if kind == "slicer" and attributes["average_size"] == 0 and attributes["size_variation"] == 0:
        raise ApiError("bad request body: slicer needs average_size or size_variation above 0", 400)
