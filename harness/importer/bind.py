"""Binding imported items to checks, pre-filled from what each claim states.

    health, liveness        -> http on the path named (200, and a latency limit when one is stated)
    graceful shutdown       -> shutdown of the target's process
    rate limits             -> burst above the stated rate, expecting 429 (and Retry-After when named)
    /metrics, metric names  -> metrics with the families named
    logs                    -> logs, JSON lines and request ids when the claim says so
    p95, users, req/s       -> load with users, target rate, duration and thresholds
    migrations              -> migrations
    security headers        -> http expecting the headers named
    a path and a status     -> http on that path expecting that status

An item that names nothing a check can be built from stays ``todo`` with a suggestion, which
``harness validate`` repeats once per item until someone binds it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from readiness_harness.importer.claims import Claims, extract
from readiness_harness.importer.emit import Binding, Todo
from readiness_harness.importer.markdown import ParsedItem
from readiness_harness.importer.suggest import suggest

LOCUSTFILE = "locustfile.py"
DEFAULT_DURATION_S = 60
HEALTH_PATH = re.compile(r"health|live|ready|ping|status|heartbeat", re.IGNORECASE)
HEADER_WORDS = {"strict-transport|hsts": ("Strict-Transport-Security", {"present": True}),
                "x-content-type|nosniff": ("X-Content-Type-Options", "nosniff"),
                "x-frame|clickjack": ("X-Frame-Options", {"present": True}),
                "content-security|csp": ("Content-Security-Policy", {"present": True})}
LOG_KEYS = ("request_id", "trace_id", "level", "timestamp", "message", "user_id", "duration_ms")


@dataclass(frozen=True)
class Context:
    """What the binder knows beyond the item: the target's process names (the first is the service)."""

    processes: tuple[str, ...] = ("api",)

    @property
    def process(self) -> str:
        return self.processes[0] if self.processes else "api"


Builder = Callable[[Claims, str, Context], Binding | Todo]


def _first_path(claims: Claims, default: str, prefer: re.Pattern[str] | None = None) -> str:
    preferred = [p for p in claims.paths if prefer is None or prefer.search(p)]
    return (preferred or list(claims.paths) or [default])[0]


def _check(check: dict[str, Any], text: str, comment: str = "") -> Binding:
    shown = " ".join(text.split())[:150]
    note = f"pre-filled from the claim: {shown}" + (f"\n{comment}" if comment else "")
    return Binding({"check": {k: v for k, v in check.items() if v is not None}}, comment=note)


def health(claims: Claims, text: str, ctx: Context) -> Binding:
    status = next((s for s in claims.statuses if s < 300), 200)
    expect: dict[str, Any] = {"status": status}
    if claims.latency_ms or claims.percentiles:
        expect["max_latency_ms"] = claims.latency_ms or max(claims.percentiles.values())
    return _check({"type": "http", "path": _first_path(claims, "/health", HEALTH_PATH), "expect": expect}, text)


def shutdown(claims: Claims, text: str, ctx: Context) -> Binding:
    return _check({"type": "shutdown", "process": ctx.process, "request": {"path": _first_path(claims, "/")},
                   "exit_within_s": claims.within_s or claims.duration_s}, text,
                  "the request should still be in flight at signal_after_ms (a slow endpoint is best)")


def rate_limit(claims: Claims, text: str, ctx: Context) -> Binding:
    count = int(min(5000, max(20, (claims.rps or 20) * 2 + 10)))
    expect: dict[str, Any] = {"min_status_count": {429: 1}, "max_status_count": {500: 0}}
    if re.search(r"retry-after", text, re.IGNORECASE):
        expect["headers_on_status"] = {429: ["Retry-After"]}
    return _check({"type": "burst", "request": {"path": _first_path(claims, "/")}, "count": count,
                   "concurrency": min(50, max(10, count // 10)), "expect": expect}, text)


def metrics(claims: Claims, text: str, ctx: Context) -> Binding | Todo:
    path = _first_path(claims, "/metrics", re.compile("metrics"))
    if not claims.metrics:
        return Todo(f"metrics on {path}: name the metric families the claim promises "
                    "(for example http_requests_total)")
    return _check({"type": "metrics", "path": path, "families": [{"name": m} for m in claims.metrics]}, text)


def logs(claims: Claims, text: str, ctx: Context) -> Binding:
    keys = [k for k in LOG_KEYS if re.search(k.replace("_", "[ _-]?"), text, re.IGNORECASE)]
    expect = {"json_lines": bool(re.search(r"json|structured", text, re.IGNORECASE)), "keys": keys or None,
              "request_id_logged": bool(re.search(r"request[ _-]?id|correlation", text, re.IGNORECASE))}
    return _check({"type": "logs", "process": ctx.process, "requests": [{"path": _first_path(claims, "/")}],
                   "expect": {k: v for k, v in expect.items() if v is not None}}, text)


def load(claims: Claims, text: str, ctx: Context) -> Binding | Todo:
    if not claims.measurable_load:
        return Todo("load: state a latency percentile, a number of users or a request rate to test")
    thresholds: dict[str, Any] = dict(claims.percentiles)
    if claims.error_rate is not None:
        thresholds["error_rate"] = claims.error_rate
    users = claims.users if claims.users or claims.rps else 10
    check = {"type": "load", "locustfile": LOCUSTFILE, "users": users, "target_rps": claims.rps,
             "duration_s": min(claims.duration_s or DEFAULT_DURATION_S, 3600), "thresholds": thresholds or None}
    return _check(check, text, f"{LOCUSTFILE}: a plain Locust HttpUser with the requests the claim is about "
                  "(`harness init` writes one)")


def migrations(claims: Claims, text: str, ctx: Context) -> Binding:
    return _check({"type": "migrations", "path": "migrations"}, text,
                  "path: the migrations folder, relative to this checklist's folder")


def security_headers(claims: Claims, text: str, ctx: Context) -> Binding:
    headers = dict(value for words, value in HEADER_WORDS.items() if re.search(words, text, re.IGNORECASE))
    headers = headers or {"X-Content-Type-Options": "nosniff", "X-Frame-Options": {"present": True}}
    return _check({"type": "http", "path": _first_path(claims, "/"), "expect": {"headers": headers}}, text)


def endpoint(claims: Claims, text: str, ctx: Context) -> Binding | Todo:
    if not (claims.paths and claims.statuses):
        return Todo("http: name the path and the status it must answer")
    method = re.search(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD)\b", text)
    expect: dict[str, Any] = {"status": claims.statuses[0]}
    if claims.latency_ms:
        expect["max_latency_ms"] = claims.latency_ms
    return _check({"type": "http", "method": method.group(1) if method else None, "path": claims.paths[0],
                   "expect": expect}, text)


def _words(words: str) -> re.Pattern[str]:
    return re.compile(words, re.IGNORECASE)


# First match wins: the most specific behaviours before the general ones.
RULES: tuple[tuple[re.Pattern[str], Builder], ...] = (
    (_words(r"\bmigrat"), migrations),
    (_words(r"graceful|sigterm|shut ?down|\bdrain"), shutdown),
    (_words(r"rate.?limit|throttl|too many requests|\b429\b"), rate_limit),
    (_words(r"/metrics|prometheus|[a-z]+_[a-z_]+_(?:total|seconds|count)\b"), metrics),
    (_words(r"\blogs?\b|logging|logged"), logs),
    (_words(r"\bp(?:50|75|90|95|99)\b|percentile|req/s|requests per second|\brps\b|\bqps\b|concurrent users"
            r"|\d+\+? users|load test|throughput"), load),
    (_words(r"health|liveness|readiness|heartbeat|/ping\b|/ready\b"), health),
    (_words(r"security headers?|hsts|strict-transport|x-content-type|x-frame|content-security-policy|\bcsp\b"),
     security_headers),
    (_words(r"\b(?:GET|POST|PUT|PATCH|DELETE)\b|returns?|responds?|answers?|status"), endpoint),
)


def bind_item(item: ParsedItem, ctx: Context) -> Binding | Todo | None:
    """The binding an item's wording and claims call for; a Todo when a rule matched but the claim lacks
    what the check needs; None when no rule matched (or the item is a person's call, or not applicable)."""
    text = f"{item.title} {item.description}"
    claims = extract(text)
    kind, _ = suggest(text)
    stated = claims.measurable_load or claims.paths or claims.statuses or claims.metrics
    if kind == "not_applicable" or (kind == "attestation" and not stated):
        return None
    for pattern, builder in RULES:
        if pattern.search(text):
            return builder(claims, text, ctx)
    return None
