"""What a readiness claim states in numbers and names: latency limits, users, rates, error rates,
durations, paths, status codes and metric names.

    "p95 < 200ms at 50 users for 5 minutes"   -> percentiles {p95: 200}, users 50, duration 300 s
    "500 req/s with under 0.5% errors"        -> rps 500, error_rate 0.5
    "GET /v1/orders/unknown returns 404"      -> paths [/v1/orders/unknown], statuses [404]
    "`http_requests_total` exposed on /metrics" -> metrics [http_requests_total], paths [/metrics]

Each extractor is one regular expression over the item's title and description; a claim that says
nothing measurable yields empty claims, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NUMBER = r"(\d[\d,]*(?:\.\d+)?)"
_MS = r"(ms|milliseconds?|s|secs?|seconds?)\b"
_BELOW = r"(?:<=?|≤|under|below|within|less than|at most|of|:|=|is)?\s*"
PERCENTILE = re.compile(rf"\bp(50|75|90|95|99)\b[^\d\n]{{0,25}}?{_BELOW}{_NUMBER}\s*{_MS}", re.IGNORECASE)
PERCENTILE_WORDS = re.compile(rf"\b(50|75|90|95|99)(?:th)? percentile[^\d\n]{{0,30}}?{_NUMBER}\s*{_MS}",
                              re.IGNORECASE)
LATENCY = re.compile(rf"(?:latency|respon(?:se|ds?)|answers?|replies)[^\n]{{0,40}}?"
                     rf"(?:<=?|≤|under|below|within|less than|in)\s*{_NUMBER}\s*{_MS}", re.IGNORECASE)
USERS = re.compile(rf"{_NUMBER}\+?\s*(?:concurrent\s+|simultaneous\s+|virtual\s+|parallel\s+)?users\b",
                   re.IGNORECASE)
RPS = re.compile(rf"{_NUMBER}\+?\s*(?:req(?:uests)?\s*/\s*s(?:ec(?:ond)?)?\b|rps\b|requests per second|"
                 r"req(?:uests)? per second|qps\b)", re.IGNORECASE)
ERROR_RATE = re.compile(rf"(?:error[ -]rate|errors?|failures?|failed requests)[^\d\n]{{0,25}}?{_NUMBER}\s*%"
                        rf"|{_NUMBER}\s*%\s*(?:errors?|error rate|failures?)", re.IGNORECASE)
DURATION = re.compile(rf"(?:for|over|during|sustained(?: for)?|lasting)\s+{_NUMBER}\s*"
                      r"(seconds?|secs?|s|minutes?|mins?|m|hours?|h)\b", re.IGNORECASE)
WITHIN = re.compile(rf"within\s+{_NUMBER}\s*(seconds?|secs?|s|minutes?|mins?|m|ms|milliseconds?)\b", re.IGNORECASE)
PATH = re.compile(r"(?<![\w/.:])(/[A-Za-z0-9_][A-Za-z0-9_\-./{}]*)")
STATUS = re.compile(r"(?<![\d.])([1-5]\d\d)(?![\d.%+]|\s*(?:ms|s\b|users|req|rps|requests|milli|sec|min))")
METRIC = re.compile(r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)*_(?:total|seconds|bytes|count|sum|bucket|info|ratio|"
                    r"depth|size|inflight|in_flight|errors|requests|hits|misses))\b")
KNOWN_STATUSES = frozenset({200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404, 405, 408, 409, 410, 413, 415,
                            422, 429, 500, 502, 503, 504})
UNIT_SECONDS = {"ms": 0.001, "millisecond": 0.001, "s": 1, "sec": 1, "second": 1, "m": 60, "min": 60,
                "minute": 60, "h": 3600, "hour": 3600}


@dataclass(frozen=True)
class Claims:
    """The measurable parts of one claim."""

    percentiles: dict[str, float] = field(default_factory=dict)  # p95 -> milliseconds
    latency_ms: float | None = None  # "responds within 200 ms", no percentile named
    users: int | None = None
    rps: float | None = None
    error_rate: float | None = None  # percent
    duration_s: float | None = None
    within_s: float | None = None  # "exits within 30 seconds"
    paths: tuple[str, ...] = ()
    statuses: tuple[int, ...] = ()
    metrics: tuple[str, ...] = ()

    @property
    def measurable_load(self) -> bool:
        return bool(self.percentiles or self.users or self.rps)


def _number(text: str) -> float:
    return whole(float(text.replace(",", "")))


def whole(value: float) -> float:
    """200.0 -> 200 (an int), so pre-filled YAML reads as the claim was written."""
    return int(value) if float(value).is_integer() else value


def _seconds(value: str, unit: str) -> float:
    key = unit.lower().rstrip("s") if unit.lower() not in ("s", "ms") else unit.lower()
    return whole(_number(value) * UNIT_SECONDS.get(key, 1))


def extract(text: str) -> Claims:
    """The claims one text states."""
    percentiles = {f"p{m.group(1)}": whole(round(_seconds(m.group(2), m.group(3)) * 1000, 3))
                   for pattern in (PERCENTILE, PERCENTILE_WORDS) for m in pattern.finditer(text)}
    latency = LATENCY.search(text) if not percentiles else None
    users, rps = USERS.search(text), RPS.search(text)
    errors, duration, within = ERROR_RATE.search(text), DURATION.search(text), WITHIN.search(text)
    return Claims(
        percentiles=percentiles,
        latency_ms=whole(round(_seconds(latency.group(1), latency.group(2)) * 1000, 3)) if latency else None,
        users=int(_number(users.group(1))) if users else None,
        rps=_number(rps.group(1)) if rps else None,
        error_rate=_number(errors.group(1) or errors.group(2)) if errors else None,
        duration_s=_seconds(duration.group(1), duration.group(2)) if duration else None,
        within_s=_seconds(within.group(1), within.group(2)) if within else None,
        paths=tuple(dict.fromkeys(p.rstrip(".,;:)") for p in PATH.findall(text))),
        statuses=tuple(dict.fromkeys(int(s) for s in STATUS.findall(text) if int(s) in KNOWN_STATUSES)),
        metrics=tuple(dict.fromkeys(METRIC.findall(text))),
    )
