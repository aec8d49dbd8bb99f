"""Defect switches: each one removes exactly one practice from the service.

``SUT_DEFECTS=a,b`` turns defects on; an unknown name stops the service at start-up.
Each entry says which practice it removes and how a check observes the difference.
The harness's own tests prove, check by check, that a reference check fails against its
defect and passes without it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Defect:
    name: str
    description: str
    observable: str


_DEFECTS: tuple[Defect, ...] = (
    Defect("no_rate_limit", "Removes per-key and per-IP rate limiting (no 429, no X-RateLimit-* headers).",
           "A burst beyond the tier's burst size is answered 200 throughout."),
    Defect("no_retry_after", "429 and 503 responses are sent without a Retry-After header.",
           "Exhaust the rate limit or take both providers down; the error lacks Retry-After."),
    Defect("no_retry", "Upstream calls are attempted once; transient failures are not retried.",
           "One 500 from the primary makes the answer come from the fallback instead of the primary."),
    Defect("retry_on_4xx", "Upstream 4xx answers are retried like transient failures.",
           "One 400 from the primary is retried on the primary (source stays primary)."),
    Defect("no_fallback", "The fallback provider is never used.",
           "With the primary down, portfolio reads answer 503 instead of source=fallback."),
    Defect("no_circuit_breaker", "Upstream circuit breakers never open.",
           "After repeated primary failures circuit_breaker_state stays 0 and calls keep reaching it."),
    Defect("no_timeout", "Upstream calls have no read timeout and wait as long as the provider takes.",
           "A slow primary makes portfolio reads as slow as the provider instead of failing over."),
    Defect("ready_ignores_db", "/ready does not check the database.",
           "With the database unusable, /ready still answers 200."),
    Defect("health_calls_db", "/health (liveness) queries the database.",
           "With the database unusable, /health answers 503 and a liveness probe would restart the pod."),
    Defect("leaky_errors", "500 responses carry the exception text and traceback.",
           "GET /v1/wallets/ethereum/0x0000000000000000000000000000000000000500/portfolio "
           "(the stand-in's malformed-payload fixture) shows a traceback in the body."),
    Defect("no_request_id", "No request id: no X-Request-ID header, none in error bodies, logs or upstream calls.",
           "Responses lack X-Request-ID; error bodies carry request_id null."),
    Defect("plaintext_keys", "API keys are compared in plaintext (non-constant time) and logged in clear.",
           "The presented X-API-Key value appears in the service's log lines."),
    Defect("no_security_headers", "Security headers (nosniff, frame options, CSP, HSTS, no-store) are not sent.",
           "Any response lacks X-Content-Type-Options and Content-Security-Policy."),
    Defect("cors_wildcard", "CORS answers Access-Control-Allow-Origin: * for every origin.",
           "A request with Origin: https://evil.example gets Access-Control-Allow-Origin."),
    Defect("no_body_limit", "Request bodies of any size are accepted.",
           "A 1 MiB POST is not answered 413."),
    Defect("no_idempotency", "Idempotency-Key is ignored; every POST /v1/orders creates a new order.",
           "Two POSTs with the same key return different order ids and no Idempotent-Replayed header."),
    Defect("no_cache", "Portfolio reads are never cached.",
           "Repeated reads never report source=cache and cache_hits_total stays 0."),
    Defect("slow_endpoint", "Portfolio reads sleep about 120 ms before answering.",
           "Portfolio latency p50 rises above 100 ms even for cache hits."),
    Defect("no_graceful_shutdown", "SIGTERM ends the process at once, dropping in-flight requests.",
           "A GET /v1/slow?ms=2000 in flight when SIGTERM arrives gets no response."),
    Defect("unstructured_logs", "Request log lines are plain text instead of one JSON object per line.",
           "Log lines on stdout do not parse as JSON."),
    Defect("no_metrics", "/metrics is not served.", "GET /metrics answers 404."),
    Defect("no_config_validation", "Invalid or missing variables are ignored and defaults used at start-up.",
           "The service starts with UPSTREAM_READ_TIMEOUT_S=-1 or without API_KEYS instead of refusing to."),
    Defect("no_input_validation", "Wallet addresses are neither validated nor normalised.",
           "A malformed address is not answered 422 and reaches the upstream provider."),
    Defect("no_auth", "API keys are not required on /v1.", "GET /v1/... without X-API-Key is not answered 401."),
    Defect("no_cache_fallback", "A cache (Redis) outage fails requests instead of degrading to upstream reads.",
           "With REDIS_URL pointing at a dead Redis, portfolio reads answer 500; /ready shows no degradation."),
    Defect("hardcoded_secret", "A credential hard-coded in source (defects_assets/hardcoded_secret_config.py) "
           "is written into the configuration folder at start-up ({DATA_DIR}/config/credentials.env).",
           "A secret scan of the service's runtime files (DATA_DIR) finds an AWS-style key only with the "
           "defect on; without it the service writes no credentials file."),
    Defect("capacity_collapse", "Portfolio reads pass a process-wide throttle of 250 reads/s (bursts of 60 "
           "let through); reads beyond it wait in line (hotpath.py).",
           "Open-model cached portfolio reads (pro key, 16 wallets): up to 250 req/s nothing changes (the perf "
           "items at 200 req/s see the clean service's latency); above it the answered rate stays at 250 req/s "
           "whatever is offered and latency grows without bound (p95 over 1 s within 4 s at 400 req/s), so the "
           "highest rate with p95 <= 50 ms is 250-265 req/s on any machine that can serve 250/s. The clean "
           "service is CPU-bound: 900 req/s at p95 12 ms on a quiet 2-core machine, 400-550 with others busy."),
    Defect("memory_leak", "Every portfolio read keeps its answer and an 8 KiB buffer in a memo that is never "
           "trimmed (hotpath.py).",
           "Under a steady load of portfolio reads the API process's RSS grows by about 8.5 KB per read "
           "(74-77 MB/min at 150 req/s, so about +60 MB over a 60 s run after a 10 s warm-up) and never comes "
           "back; the clean service's RSS is flat after a few seconds of warm-up (+0.1 to +0.7 MB/min)."),
    Defect("idempotency_in_memory", "Idempotency keys are kept in process memory only; orders are stored "
           "without their key (idempotency.py).",
           "POST /v1/orders with an Idempotency-Key, restart the service (same DATA_DIR or DATABASE_URL), send "
           "the same POST again: the answer is 201 with a new order_id and no Idempotent-Replayed header (two "
           "orders stored). Without a restart, replays and concurrent duplicates behave as in the clean service."),
    Defect("weak_tls", "With --tls-dir, the server certificate is valid for 48 hours only and the server accepts "
           "TLS 1.0 and 1.1 (OpenSSL security level 0). No effect without --tls-dir.",
           "The served certificate's notAfter is 48 h after start-up (clean: 90 days); a client offering only "
           "TLS 1.0 or 1.1, at OpenSSL security level 0, completes a handshake (clean: refused, TLS 1.2 is the "
           "minimum). Names (localhost, 127.0.0.1, ::1) and the CA ({tls-dir}/ca.pem) are the same with and "
           "without the defect, so verifying clients connect either way."),
)

REGISTRY: dict[str, Defect] = {defect.name: defect for defect in _DEFECTS}


class UnknownDefect(ValueError):
    """A defect name that is not in the registry."""


@dataclass(frozen=True)
class Defects:
    """The set of defects switched on for one service instance."""

    names: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, raw: str | Iterable[str] | None) -> Defects:
        if raw is None:
            return cls()
        items = raw.split(",") if isinstance(raw, str) else list(raw)
        names = frozenset(item.strip() for item in items if item.strip())
        for name in sorted(names):
            if name not in REGISTRY:
                close = difflib.get_close_matches(name, REGISTRY, n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                raise UnknownDefect(f"unknown defect '{name}'.{hint}")
        return cls(names)

    def __contains__(self, name: object) -> bool:
        if name not in REGISTRY:
            raise KeyError(f"not a defect name: {name!r}")
        return name in self.names


def describe_all() -> str:
    width = max(len(name) for name in REGISTRY)
    return "\n".join(f"{d.name:<{width}}  {d.description}" for d in _DEFECTS)
