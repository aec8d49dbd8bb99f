"""The application's components, built once per app from the settings and shared by the routes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

import httpx
from sqlalchemy import Engine

from readiness_harness.system_under_test.cache import Cache, MemoryCache, NullCache, RedisCache
from readiness_harness.system_under_test.circuit import CircuitBreaker
from readiness_harness.system_under_test.config import Settings
from readiness_harness.system_under_test.db import JobRepository, OrderRepository, WriteGate, create_db_engine
from readiness_harness.system_under_test.dbcalls import DatabaseCalls
from readiness_harness.system_under_test.defects import Defects
from readiness_harness.system_under_test.idempotency import MemoryKeys
from readiness_harness.system_under_test.jobs import JobRunner
from readiness_harness.system_under_test.metrics import Metrics
from readiness_harness.system_under_test.portfolio import PortfolioService
from readiness_harness.system_under_test.providers import Provider, ProviderPool, RetryPolicy
from readiness_harness.system_under_test.ratelimit import Limit, RateLimiter
from readiness_harness.system_under_test.security import KeyStore

log = logging.getLogger(__name__)

# With the no_timeout defect the read timeout is effectively unbounded.
NO_TIMEOUT_READ_S: float | None = None
# The configuration folder inside DATA_DIR (only the hardcoded_secret defect writes to it).
CONFIG_DIR = "config"


@dataclass
class Services:
    settings: Settings
    defects: Defects
    metrics: Metrics
    engine: Engine
    db: DatabaseCalls
    orders: OrderRepository
    cache: Cache
    pool: ProviderPool
    portfolio: PortfolioService
    jobs: JobRunner
    limiter: RateLimiter
    keys: KeyStore
    tier_limits: dict[str, Limit]
    ip_limit: Limit
    memory_keys: MemoryKeys | None = None  # only under the idempotency_in_memory defect

    async def aclose(self) -> None:
        await self.pool.aclose()
        await self.cache.close()
        self.engine.dispose()


def _build_cache(settings: Settings, metrics: Metrics) -> Cache:
    if "no_cache" in settings.defects:
        return NullCache()
    if settings.redis_url:
        return RedisCache(settings.redis_url, ttl_s=settings.cache_ttl_s, metrics=metrics,
                          fail_open="no_cache_fallback" not in settings.defects)
    return MemoryCache(ttl_s=settings.cache_ttl_s, max_entries=settings.cache_max_entries)


def _gauge_value(breaker: CircuitBreaker) -> float:
    return breaker.state.gauge_value


def _build_pool(settings: Settings, metrics: Metrics) -> ProviderPool:
    defects = settings.defects
    read_timeout = NO_TIMEOUT_READ_S if "no_timeout" in defects else settings.upstream_read_timeout_s
    timeout = httpx.Timeout(connect=settings.upstream_connect_timeout_s, read=read_timeout,
                            write=settings.upstream_read_timeout_s, pool=settings.upstream_connect_timeout_s)
    retry = RetryPolicy(
        attempts=1 if "no_retry" in defects else 1 + settings.upstream_retries,
        backoff_base_s=settings.upstream_backoff_base_s,
        backoff_max_s=settings.upstream_backoff_max_s,
        retry_4xx="retry_on_4xx" in defects,
    )
    urls = {"primary": settings.upstream_primary_url, "fallback": settings.upstream_fallback_url}
    providers = []
    for name, url in urls.items():
        if not url:
            continue
        breaker = CircuitBreaker(failure_threshold=settings.circuit_failure_threshold,
                                 reset_timeout_s=settings.circuit_reset_timeout_s,
                                 enabled="no_circuit_breaker" not in defects)
        metrics.watch_circuit(name, partial(_gauge_value, breaker))
        http = httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=100),
                                 headers={"User-Agent": "wallet-api/1.0"}, trust_env=False)
        providers.append(Provider(name=name, base_url=url, http=http, breaker=breaker, retry=retry,
                                  metrics=metrics))
    return ProviderPool(providers, use_fallback="no_fallback" not in defects)


def _bake_in_credentials(settings: Settings) -> None:
    """The hardcoded_secret defect: load the credential from source and write it into configuration."""
    from readiness_harness.system_under_test.defects_assets import hardcoded_secret_config

    path = hardcoded_secret_config.write_credentials_file(settings.data_dir / CONFIG_DIR)
    log.warning("hardcoded_secret defect: credentials written into the configuration folder",
                extra={"path": str(path)})


def build_services(settings: Settings) -> Services:
    defects = settings.defects
    if "hardcoded_secret" in defects:
        _bake_in_credentials(settings)
    metrics = Metrics()
    engine = create_db_engine(settings)
    writes = WriteGate(engine, timeout_s=settings.db_busy_timeout_s)
    db = DatabaseCalls(timeout_s=settings.db_call_timeout_s)
    cache = _build_cache(settings, metrics)
    pool = _build_pool(settings, metrics)
    portfolio = PortfolioService(pool=pool, cache=cache, metrics=metrics, defects=defects,
                                 cache_ttl_s=settings.cache_ttl_s)
    jobs = JobRunner(repo=JobRepository(engine, writes=writes), db=db, portfolio=portfolio, metrics=metrics,
                     workers=settings.job_workers)
    return Services(
        settings=settings, defects=defects, metrics=metrics, engine=engine, db=db,
        orders=OrderRepository(engine, writes=writes),
        cache=cache, pool=pool, portfolio=portfolio, jobs=jobs, limiter=RateLimiter(),
        keys=KeyStore(settings.api_keys, plaintext="plaintext_keys" in defects),
        tier_limits={
            "free": Limit(settings.rate_limit_free_rps, settings.rate_limit_free_burst),
            "pro": Limit(settings.rate_limit_pro_rps, settings.rate_limit_pro_burst),
        },
        ip_limit=Limit(settings.rate_limit_ip_rps, settings.rate_limit_ip_burst),
        memory_keys=MemoryKeys() if "idempotency_in_memory" in defects else None,
    )
