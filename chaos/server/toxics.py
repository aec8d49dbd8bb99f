"""Toxic model and the validation of the JSON that creates or updates one.

The checks run in the order Toxiproxy v2 runs them (body, stream, type, duplicate name,
attributes), so the first error a client sees is the one the real server would answer.
What v2.12 accepts is accepted with the same effect (docs/toxiproxy-compat.md): keys
matched case-insensitively, unknown attributes ignored, negative values (no delay, no
limit), a toxicity outside 0..1 (always or never), the stream echoed as sent. Only what
would break the proxy is refused with 400: attributes outside the signed 64-bit range
(Toxiproxy refuses them too), a toxicity beyond 32-bit float range, and a slicer whose
average_size + size_variation is below 1 (it could never make a slice; Toxiproxy crashes).
"""

from __future__ import annotations

import math
import struct
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
    stream: str  # as the client sent it ("UPSTREAM" stays "UPSTREAM"); see ``direction``
    toxicity: float = 1.0  # a 32-bit float, as Toxiproxy keeps it
    attributes: Mapping[str, int] = field(default_factory=dict)

    @property
    def direction(self) -> str:
        """``upstream`` or ``downstream``."""
        return self.stream.lower()

    def attr(self, key: str) -> int:
        return self.attributes.get(key, 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": go_float32(self.toxicity),
            "attributes": dict(self.attributes),
        }


def parse_toxic(body: object, existing: Collection[str]) -> Toxic:
    """Build a new toxic from a request body; ``existing`` holds the names already in use."""
    data = fold(_require_object(body), ("name", "type", "stream", "toxicity", "attributes"))
    name = _optional_str(data, "name")
    kind = _optional_str(data, "type")
    stream = "downstream" if data.get("stream") is None else _optional_str(data, "stream")
    toxicity = _toxicity(data.get("toxicity"), default=1.0)
    if stream.lower() not in STREAMS:
        raise invalid_stream()
    name = name or f"{kind}_{stream}"
    if kind not in ATTRIBUTES:
        raise invalid_toxic_type()
    if name in existing:
        raise toxic_exists()
    attributes = _attributes(kind, data.get("attributes"), base={})
    return Toxic(name=name, type=kind, stream=stream, toxicity=toxicity, attributes=attributes)


def update_toxic(toxic: Toxic, body: object) -> Toxic:
    """Merge an update body over a toxic: attributes merged, toxicity kept unless given."""
    data = fold(_require_object(body), ("toxicity", "attributes"))
    toxicity = _toxicity(data.get("toxicity"), default=toxic.toxicity)
    attributes = _attributes(toxic.type, data.get("attributes"), base=toxic.attributes)
    return Toxic(name=toxic.name, type=toxic.type, stream=toxic.stream, toxicity=toxicity, attributes=attributes)


def fold(data: Mapping[str, Any], known: Collection[str]) -> dict[str, Any]:
    """Known keys matched case-insensitively, later ones winning, as Go's JSON decoder does;
    other keys are dropped."""
    folded: dict[str, Any] = {}
    for key, value in data.items():
        if key.lower() in known:
            folded[key.lower()] = value
    return folded


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


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
FLOAT32_MAX = 3.4028234663852886e38


def _toxicity(value: object, *, default: float) -> float:
    """Any number a 32-bit float holds (null keeps ``default``), rounded to 32 bits."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_body("field 'toxicity' must be a number")
    if not (math.isfinite(value) and abs(value) <= FLOAT32_MAX):
        raise bad_body(f"toxicity {value} out of range (32-bit float)")
    return float(struct.unpack("f", struct.pack("f", value))[0])


def go_float32(value: float) -> int | float:
    """The number Toxiproxy prints for a 32-bit float: the shortest decimal that reads back
    as the same float32, written as an integer when whole (1, not 1.0)."""
    for digits in range(1, 10):
        shortest = float(f"{value:.{digits}g}")
        if struct.pack("f", shortest) == struct.pack("f", value):
            break
    if shortest.is_integer() and abs(shortest) < 1e21:
        return int(shortest)
    return shortest


def _attributes(kind: str, raw: object, *, base: Mapping[str, int]) -> dict[str, int]:
    """Known attributes (case-insensitive) over ``base``; unknown ones ignored; null keeps."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise bad_body("field 'attributes' must be an object")
    allowed = ATTRIBUTES[kind]
    merged = {key: base.get(key, 0) for key in allowed}
    for key, value in fold(raw, allowed).items():
        if value is not None:
            merged[key] = _attribute_value(key, value)
    _check_combination(kind, merged)
    return merged


def _attribute_value(key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_body(f"attribute '{key}' must be an integer")
    if not INT64_MIN <= value <= INT64_MAX:
        shown = str(value) if abs(value) < 10**30 else f"of {len(str(abs(value)))} digits"
        raise bad_body(f"attribute '{key}': number {shown} out of range (signed 64-bit integer)")
    return value


def _check_combination(kind: str, attributes: Mapping[str, int]) -> None:
    if kind == "slicer" and attributes["average_size"] + attributes["size_variation"] < 1:
        raise ApiError("bad request body: slicer needs average_size + size_variation of at least 1", 400)
