"""In-process tests of single components: breaker, limiter, cache, config, defects, migrations."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from readiness_harness.system_under_test.cache import MemoryCache
from readiness_harness.system_under_test.chains import InvalidAddress, normalise_address
from readiness_harness.system_under_test.circuit import CircuitBreaker, CircuitState
from readiness_harness.system_under_test.config import ConfigError, load_settings
from readiness_harness.system_under_test.defects import REGISTRY, Defects, UnknownDefect
from readiness_harness.system_under_test.migrations import apply_migrations, discover
from readiness_harness.system_under_test.providers import RetryPolicy
from readiness_harness.system_under_test.ratelimit import Limit, RateLimiter
from readiness_harness.system_under_test.security import KeyStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_circuit_opens_after_threshold_and_half_opens_after_timeout() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=3, reset_timeout_s=10, clock=clock)
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN and not breaker.allow()
    assert breaker.retry_after_s() == pytest.approx(10)
    clock.now += 10
    assert breaker.state is CircuitState.HALF_OPEN
    assert breaker.allow() and not breaker.allow()  # a single probe at a time
    breaker.record_failure()
    assert breaker.state is CircuitState.OPEN
    clock.now += 10
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is CircuitState.CLOSED and breaker.allow()


def test_success_resets_consecutive_failures() -> None:
    breaker = CircuitBreaker(failure_threshold=2, reset_timeout_s=1, clock=FakeClock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED


def test_disabled_breaker_never_opens() -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout_s=1, enabled=False, clock=FakeClock())
    for _ in range(5):
        breaker.record_failure()
    assert breaker.state is CircuitState.CLOSED


def test_token_bucket_allows_burst_then_refills() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    limit = Limit(rate=2, burst=3)
    decisions = [limiter.hit("k", limit) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[0].remaining == 2 and decisions[3].retry_after_s == 1
    assert decisions[0].headers()["X-RateLimit-Limit"] == "3"
    clock.now += 0.5
    assert limiter.hit("k", limit).allowed
    assert limiter.hit("other", limit).allowed  # buckets are per key


def test_limiter_is_bounded() -> None:
    limiter = RateLimiter(max_buckets=10, clock=FakeClock())
    for i in range(50):
        limiter.hit(f"k{i}", Limit(1, 1))
    assert len(limiter._buckets) == 10


def test_memory_cache_expires_and_is_bounded() -> None:
    clock = FakeClock()
    cache = MemoryCache(ttl_s=5, max_entries=2, clock=clock)

    async def scenario() -> None:
        await cache.set("a", {"v": 1})
        assert await cache.get("a") == {"v": 1}
        clock.now += 5
        assert await cache.get("a") is None
        for key in ("x", "y", "z"):
            await cache.set(key, {"k": key})
        assert await cache.get("x") is None and await cache.get("z") == {"k": "z"}

    asyncio.run(scenario())


def test_retry_delay_grows_exponentially_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(attempts=5, backoff_base_s=0.1, backoff_max_s=0.5)
    for n, ceiling in enumerate((0.1, 0.2, 0.4, 0.5, 0.5)):
        delays = {policy.delay(n) for _ in range(20)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1


def test_address_normalisation() -> None:
    assert normalise_address("0x" + "AB" * 20) == "0x" + "ab" * 20
    for bad in ("0x" + "ab" * 19, "ab" * 21, "0x" + "zz" * 20, "0x" + "ab" * 20 + "\n"):
        with pytest.raises(InvalidAddress):
            normalise_address(bad)


def test_keys_are_verified_against_digests() -> None:
    digest = hashlib.sha256(b"s3cret-key-value").hexdigest()
    store = KeyStore(load_settings(_env(API_KEYS=f"pro:{digest}")).api_keys)
    client = store.authenticate("s3cret-key-value")
    assert client is not None and client.tier == "pro" and client.key_id == digest[:12]
    assert store.authenticate(digest) is None  # the digest itself is not a key
    assert store.authenticate("") is None and store.authenticate(None) is None


def _env(**overrides: str) -> dict[str, str]:
    return {"API_KEYS": "free:" + "a" * 64, "UPSTREAM_PRIMARY_URL": "http://127.0.0.1:1"} | overrides


@pytest.mark.parametrize(("overrides", "variable"), [
    ({"API_KEYS": ""}, "API_KEYS"),
    ({"API_KEYS": "gold:" + "a" * 64}, "API_KEYS"),
    ({"API_KEYS": "free:plaintext-key"}, "API_KEYS"),
    ({"UPSTREAM_PRIMARY_URL": "ftp://x"}, "UPSTREAM_PRIMARY_URL"),
    ({"CIRCUIT_FAILURE_THRESHOLD": "0"}, "CIRCUIT_FAILURE_THRESHOLD"),
    ({"UPSTREAM_READ_TIMEOUT_S": "soon"}, "UPSTREAM_READ_TIMEOUT_S"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ({"DB_CONNECT_TIMEOUT_S": "1"}, "DB_CONNECT_TIMEOUT_S"),
    ({"DB_STATEMENT_TIMEOUT_MS": "0"}, "DB_STATEMENT_TIMEOUT_MS"),
    ({"DB_CALL_TIMEOUT_S": "0"}, "DB_CALL_TIMEOUT_S"),
    ({"SUT_DEFECTS": "no_cahce"}, "SUT_DEFECTS"),
])
def test_invalid_settings_name_the_variable(overrides: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        load_settings(_env(**overrides))


def test_missing_required_variables_are_named() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({})
    assert "API_KEYS: is required" in str(info.value) and "UPSTREAM_PRIMARY_URL" in str(info.value)


def test_settings_defaults_and_lists() -> None:
    settings = load_settings(_env(CORS_ALLOW_ORIGINS="https://a.example, https://b.example",
                                  SUT_DEFECTS="no_cache,no_auth"))
    assert settings.cors_allow_origins == ("https://a.example", "https://b.example")
    assert "no_cache" in settings.defects and "no_metrics" not in settings.defects
    assert settings.resolved_database_url.startswith("sqlite:///")


def test_defect_registry() -> None:
    assert len(REGISTRY) >= 22
    assert all(d.description and d.observable for d in REGISTRY.values())
    with pytest.raises(UnknownDefect, match="Did you mean 'no_retry'"):
        Defects.parse("no_retyr")
    with pytest.raises(KeyError):
        _ = "not_a_defect" in Defects()


def test_migrations_apply_in_order_once_with_indexes(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        assert apply_migrations(engine) == [m.version for m in discover()] == ["0001", "0002"]
        assert apply_migrations(engine) == []
        inspector = inspect(engine)
        assert {"orders", "jobs", "schema_migrations"} <= set(inspector.get_table_names())
        assert "ix_jobs_status_created" in {ix["name"] for ix in inspector.get_indexes("jobs")}
        unique = inspector.get_unique_constraints("orders")
        assert any(set(u["column_names"]) == {"client_id", "idempotency_key"} for u in unique)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM schema_migrations")).scalar_one() == 2
    finally:
        engine.dispose()
