"""Optional helpers for locustfiles: settings from the environment, error codes, wallets.

Nothing here is needed for correct figures: the harness's Locust plugin paces every user class,
classifies expected statuses and records every request whatever the locustfile does. This module
runs inside Locust's processes; the harness passes settings as environment variables (values
already expanded from placeholders such as ``{secret.free_key}``):

``HARNESS_API_KEY`` / ``HARNESS_API_KEY_FREE`` / ``HARNESS_API_KEY_PRO``
    API keys for the ``X-API-Key`` header.
``HARNESS_EXPECTED_STATUSES``
    comma-separated statuses the test expects (``429``), as the plugin counts them.
``HARNESS_WALLETS``
    how many distinct wallets the read tasks cycle through (default 16).
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Callable
from typing import Any

from locust import between

EXPECTED_ENV = "HARNESS_EXPECTED_STATUSES"
NEEDS_RETRY_AFTER = frozenset({429, 503})
CHAINS = ("ethereum", "polygon", "arbitrum", "optimism", "base")


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def api_key(tier: str = "") -> str:
    """The key for ``tier`` (``HARNESS_API_KEY_FREE``...), falling back to ``HARNESS_API_KEY``."""
    name = f"HARNESS_API_KEY_{tier.upper()}" if tier else "HARNESS_API_KEY"
    return os.environ.get(name) or os.environ.get("HARNESS_API_KEY", "")


def expected_statuses() -> frozenset[int]:
    raw = os.environ.get(EXPECTED_ENV, "")
    return frozenset(int(part) for part in raw.split(",") if part.strip())


def pacing(default: Callable[..., float] | None = None) -> Callable[..., float]:
    """A ``wait_time`` for runs without a target rate (with one, the plugin's schedule replaces it)."""
    return default or between(0.05, 0.2)


def wallet(index: int) -> tuple[str, str]:
    """A stable (chain, address) pair: the same index always names the same wallet."""
    digest = hashlib.sha256(f"harness-wallet-{index}".encode()).hexdigest()[:40]
    return CHAINS[index % len(CHAINS)], "0x" + digest


def random_wallet() -> tuple[str, str]:
    return wallet(random.randrange(max(1, env_int("HARNESS_WALLETS", 16))))


def settle(response: Any, name: str, expected: frozenset[int] = frozenset()) -> None:
    """Mark a ``catch_response=True`` response, naming a failure by the service's error code.

    The plugin counts expected statuses apart by itself; here they are only kept out of
    Locust's own failure list (the plugin applies the same ``Retry-After`` rule).
    """
    status = response.status_code or 0
    if status == 0:
        return  # no answer (refused, reset, timeout): Locust records the transport error itself
    if status in expected:
        if status in NEEDS_RETRY_AFTER and not response.headers.get("Retry-After"):
            response.failure(f"HTTP {status} without Retry-After")
            return
        response.success()
    elif 200 <= status < 400:
        response.success()
    else:
        response.failure(f"HTTP {status} {_error_code(response)}".rstrip())


def _error_code(response: Any) -> str:
    """The service's error code from a uniform error body, for grouping failures."""
    try:
        body = response.json()
    except Exception:  # noqa: BLE001 - a non-JSON body has no code
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("code", ""))
    return str(body.get("code", "")) if isinstance(body, dict) else ""
