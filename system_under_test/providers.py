"""Resilient client for the upstream chain-RPC providers.

Each provider call has connect and read timeouts, is retried with exponential backoff and
jitter on transient failures only (timeouts, connection errors, 5xx, malformed envelopes;
never 4xx), and goes through the provider's circuit breaker. :class:`ProviderPool` tries the
primary, then the fallback.

Exception tree (foreign exceptions from httpx are translated here, at the boundary)::

    ProviderError
    ├── TransientProviderError   retried; counts against the circuit
    ├── RejectedProviderError    4xx or JSON-RPC error; not retried; provider is up
    └── CircuitOpenError         the breaker refused the call
    AllProvidersFailed           every provider failed; carries a Retry-After hint
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from readiness_harness.system_under_test.circuit import CircuitBreaker
from readiness_harness.system_under_test.metrics import Metrics

log = logging.getLogger(__name__)


class ProviderError(Exception):
    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"{provider}: {reason}")
        self.provider = provider
        self.reason = reason


class TransientProviderError(ProviderError):
    pass


class RejectedProviderError(ProviderError):
    def __init__(self, provider: str, reason: str, status: int) -> None:
        super().__init__(provider, reason)
        self.status = status


class CircuitOpenError(ProviderError):
    def __init__(self, provider: str, retry_after_s: float) -> None:
        super().__init__(provider, "circuit open")
        self.retry_after_s = retry_after_s


class AllProvidersFailed(Exception):
    def __init__(self, failures: dict[str, str], *, retry_after_s: float, circuits_open: bool) -> None:
        super().__init__("; ".join(f"{name}: {reason}" for name, reason in failures.items()))
        self.failures = failures
        self.retry_after_s = retry_after_s
        self.circuits_open = circuits_open


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int  # first try included
    backoff_base_s: float
    backoff_max_s: float
    retry_4xx: bool = False  # only ever True under the retry_on_4xx defect

    def delay(self, retry_number: int) -> float:
        """Exponential backoff with equal jitter: half fixed, half random."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2 ** retry_number)
        return ceiling / 2 + random.uniform(0, ceiling / 2)


class Provider:
    def __init__(
        self, *, name: str, base_url: str, http: httpx.AsyncClient, breaker: CircuitBreaker,
        retry: RetryPolicy, metrics: Metrics,
    ) -> None:
        self.name = name
        self.base_url = base_url
        self.breaker = breaker
        self._http = http
        self._retry = retry
        self._metrics = metrics

    async def rpc_batch(self, chain: str, calls: list[tuple[str, list[Any]]], request_id: str | None) -> list[Any]:
        """Run a JSON-RPC batch with retries; return the results in call order."""
        last_error: ProviderError | None = None
        for attempt in range(self._retry.attempts):
            if attempt:
                await asyncio.sleep(self._retry.delay(attempt - 1))
            if not self.breaker.allow():
                if last_error is not None:
                    raise last_error
                self._metrics.upstream_requests.labels(self.name, "circuit_open").inc()
                raise CircuitOpenError(self.name, self.breaker.retry_after_s())
            try:
                results = await self._attempt(chain, calls, request_id)
            except TransientProviderError as exc:
                self.breaker.record_failure()
                last_error = exc
                continue
            except RejectedProviderError as exc:
                self.breaker.release_probe()
                last_error = exc
                if self._retry.retry_4xx:
                    continue
                raise
            self.breaker.record_success()
            return results
        raise last_error or TransientProviderError(self.name, "no attempt made")

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _attempt(self, chain: str, calls: list[tuple[str, list[Any]]], request_id: str | None) -> list[Any]:
        payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        headers = {"X-Request-ID": request_id} if request_id else {}
        started = time.perf_counter()
        outcome = "ok"
        try:
            response = await self._http.post(f"{self.base_url}/rpc/{chain}", json=payload, headers=headers)
            if response.status_code >= 500:
                outcome = "http_5xx"
                raise TransientProviderError(self.name, f"HTTP {response.status_code}")
            if response.status_code >= 400:
                outcome = "http_4xx"
                raise RejectedProviderError(self.name, f"HTTP {response.status_code}", response.status_code)
            return self._decode(response, len(calls))
        except httpx.TimeoutException as exc:
            outcome = "timeout"
            raise TransientProviderError(self.name, f"timeout ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            outcome = "connect_error"
            raise TransientProviderError(self.name, f"transport error ({type(exc).__name__})") from exc
        except TransientProviderError:
            outcome = "malformed" if outcome == "ok" else outcome
            raise
        except RejectedProviderError:
            outcome = "rpc_error" if outcome == "ok" else outcome
            raise
        finally:
            self._metrics.upstream_requests.labels(self.name, outcome).inc()
            self._metrics.upstream_duration.labels(self.name).observe(time.perf_counter() - started)

    def _decode(self, response: httpx.Response, expected: int) -> list[Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise TransientProviderError(self.name, "response is not JSON") from exc
        if not isinstance(body, list) or len(body) != expected:
            raise TransientProviderError(self.name, "unexpected JSON-RPC batch shape")
        by_id = {item.get("id"): item for item in body if isinstance(item, dict)}
        results = []
        for i in range(expected):
            item = by_id.get(i)
            if item is None:
                raise TransientProviderError(self.name, f"JSON-RPC response {i} missing")
            if "error" in item:
                # The provider's own message may repeat our parameters (the address); only its
                # numeric code goes into the reason, which reaches clients in error details.
                error = item["error"] if isinstance(item["error"], dict) else {}
                code = error.get("code")
                raise RejectedProviderError(
                    self.name, f"JSON-RPC error {code if isinstance(code, int) else 'without code'}", 200)
            results.append(item.get("result"))
        return results


class ProviderPool:
    """Primary first, then fallback (unless the no_fallback defect keeps only the primary)."""

    def __init__(self, providers: list[Provider], *, use_fallback: bool = True) -> None:
        self.providers = providers
        self._use_fallback = use_fallback

    async def rpc_batch(
        self, chain: str, calls: list[tuple[str, list[Any]]], request_id: str | None,
    ) -> tuple[list[Any], str]:
        failures: dict[str, str] = {}
        retry_after: list[float] = []
        candidates = self.providers if self._use_fallback else self.providers[:1]
        for provider in candidates:
            try:
                return await provider.rpc_batch(chain, calls, request_id), provider.name
            except CircuitOpenError as exc:
                retry_after.append(exc.retry_after_s)
                failures[provider.name] = exc.reason
            except ProviderError as exc:
                failures[provider.name] = exc.reason
                log.warning("provider failed", extra={"provider": provider.name, "reason": exc.reason})
        circuits_open = len(retry_after) == len(candidates)
        hint = min(retry_after) if circuits_open else 1.0
        raise AllProvidersFailed(failures, retry_after_s=hint, circuits_open=circuits_open)

    async def aclose(self) -> None:
        for provider in self.providers:
            await provider.aclose()
