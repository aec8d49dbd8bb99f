"""Portfolio reads: validate, consult the cache, fetch from providers, shape the answer.

Reads never stampede upstream when entries expire under load:

* Coalescing (singleflight.py): of the concurrent misses for one wallet, the first fetches from
  upstream and stores the answer; the others wait for that fetch.
* Refresh ahead: a hit on an entry older than ``REFRESH_AHEAD`` of CACHE_TTL_S is answered from
  the cache at once and starts a background refresh of that entry (coalesced too, so at most one
  per key at a time). A wallet read steadily is refreshed before it expires, and its readers do
  not wait for upstream. Nothing older than CACHE_TTL_S is ever served: an entry that was not
  refreshed in time expires as usual, and the next read is a miss.

Metrics: ``cache_hits_total`` counts answers read from the cache; ``cache_misses_total`` counts
misses that fetched from upstream (one per upstream fetch on a request's path);
``cache_coalesced_total`` counts misses that waited for a fetch already in flight (neither a hit
nor an upstream call); ``cache_refreshes_total`` counts background refreshes. A waiter's answer
carries the fetch's ``source`` (primary or fallback); an upstream call carries the request id of
the request that started it. Under the ``no_cache`` defect nothing is cached, coalesced or
refreshed: every request fetches on its own. The ``capacity_collapse`` and ``memory_leak`` defects
add what hotpath.py describes to every read.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from readiness_harness.system_under_test.cache import Cache
from readiness_harness.system_under_test.chains import CHAINS, Chain, InvalidAddress, normalise_address
from readiness_harness.system_under_test.defects import Defects
from readiness_harness.system_under_test.errors import ApiError, ErrorCode
from readiness_harness.system_under_test.hotpath import AnswerMemo, Throttle
from readiness_harness.system_under_test.metrics import Metrics
from readiness_harness.system_under_test.providers import AllProvidersFailed, ProviderPool
from readiness_harness.system_under_test.singleflight import SingleFlight

log = logging.getLogger(__name__)

SLOW_ENDPOINT_DELAY_S = 0.12
REFRESH_AHEAD = 0.7  # of CACHE_TTL_S; entries live between 0.8 and 1.0 of it (cache.TTL_JITTER)


class Balance(BaseModel):
    asset: str  # "native" or the token contract address
    symbol: str
    decimals: int
    amount_raw: str  # integer in the asset's smallest unit, as a string (exceeds 2**53)
    amount: str  # decimal string in whole units


class Portfolio(BaseModel):
    chain: str
    address: str
    as_of_block: int
    fetched_at: datetime
    source: Literal["primary", "fallback", "cache"]
    balances: list[Balance]


def upstream_error(exc: AllProvidersFailed) -> ApiError:
    """503 with Retry-After; CIRCUIT_OPEN when every circuit refused the call without trying."""
    retry_after = str(max(1, round(exc.retry_after_s + 0.49)))
    if exc.circuits_open:
        return ApiError(503, ErrorCode.CIRCUIT_OPEN, "upstream providers are failing; circuit open",
                        details={"providers": exc.failures}, headers={"Retry-After": retry_after})
    return ApiError(503, ErrorCode.UPSTREAM_UNAVAILABLE, "no upstream provider could answer",
                    details={"providers": exc.failures}, headers={"Retry-After": retry_after})


def resolve_chain(name: str) -> Chain:
    chain = CHAINS.get(name.lower())
    if chain is None:
        # The message never repeats the input: the caller knows what they sent.
        raise ApiError(404, ErrorCode.UNSUPPORTED_CHAIN, "unsupported chain; see details.supported",
                       details={"supported": sorted(CHAINS)})
    return chain


def _quantity(value: Any) -> int:
    """Decode a JSON-RPC hex quantity ("0x1a")."""
    return int(str(value), 16)


def _balance(asset: str, symbol: str, decimals: int, raw: int) -> Balance:
    amount = Decimal(raw).scaleb(-decimals)
    return Balance(asset=asset, symbol=symbol, decimals=decimals, amount_raw=str(raw),
                   amount=format(amount.normalize(), "f") if raw else "0")


class PortfolioService:
    def __init__(self, *, pool: ProviderPool, cache: Cache, metrics: Metrics, defects: Defects,
                 cache_ttl_s: float) -> None:
        self._pool = pool
        self._cache = cache
        self._refresh_after_s = cache_ttl_s * REFRESH_AHEAD
        self._metrics = metrics
        self._defects = defects
        self._flights: SingleFlight[Portfolio] | None = None if "no_cache" in defects else SingleFlight()
        self._throttle = Throttle() if "capacity_collapse" in defects else None
        self._memo = AnswerMemo() if "memory_leak" in defects else None

    def validate(self, chain_name: str, address: str) -> tuple[Chain, str]:
        chain = resolve_chain(chain_name)
        if "no_input_validation" in self._defects:
            return chain, address
        try:
            return chain, normalise_address(address)
        except InvalidAddress as exc:
            raise ApiError(422, ErrorCode.INVALID_ADDRESS, f"invalid {chain.name} address: {exc}",
                           details={"chain": chain.name}) from None

    async def get(self, chain_name: str, address: str, request_id: str | None) -> Portfolio:
        if self._throttle is not None:
            await self._throttle.admit()
        portfolio = await self._read(chain_name, address, request_id)
        if self._memo is not None:
            self._memo.keep(portfolio.model_dump_json().encode())
        return portfolio

    async def _read(self, chain_name: str, address: str, request_id: str | None) -> Portfolio:
        chain, address = self.validate(chain_name, address)
        if "slow_endpoint" in self._defects:
            await asyncio.sleep(SLOW_ENDPOINT_DELAY_S)
        key = f"portfolio:v1:{chain.name}:{address}"
        cached = await self._cache.get(key)
        if cached is not None:
            self._metrics.cache_hits.inc()
            portfolio = Portfolio.model_validate({**cached, "source": "cache"})
            if self._flights is not None and key not in self._flights and self._due(portfolio):
                self._flights.board(key, lambda: self._refresh(key, chain, address, request_id))
                self._metrics.cache_refreshes.inc()
            return portfolio
        if self._flights is None:
            self._metrics.cache_misses.inc()
            return await self._fetch(chain, address, request_id)
        flight = self._flights.board(key, lambda: self._fetch_and_store(key, chain, address, request_id))
        (self._metrics.cache_coalesced if flight.shared else self._metrics.cache_misses).inc()
        return await flight.wait()

    def _due(self, portfolio: Portfolio) -> bool:
        return (datetime.now(UTC) - portfolio.fetched_at).total_seconds() >= self._refresh_after_s

    async def _refresh(self, key: str, chain: Chain, address: str, request_id: str | None) -> Portfolio:
        try:
            return await self._fetch_and_store(key, chain, address, request_id)
        except ApiError as exc:
            log.warning("cache refresh failed; the entry expires as usual", extra={"code": exc.code.value})
            raise

    async def _fetch_and_store(self, key: str, chain: Chain, address: str, request_id: str | None) -> Portfolio:
        portfolio = await self._fetch(chain, address, request_id)
        await self._cache.set(key, portfolio.model_dump(mode="json", exclude={"source"}))
        return portfolio

    async def _fetch(self, chain: Chain, address: str, request_id: str | None) -> Portfolio:
        calls: list[tuple[str, list[Any]]] = [
            ("eth_blockNumber", []),
            ("eth_getBalance", [address, "latest"]),
            ("wallet_getTokenBalances", [address]),
        ]
        try:
            (block, native, tokens), provider = await self._pool.rpc_batch(chain.name, calls, request_id)
        except AllProvidersFailed as exc:
            raise upstream_error(exc) from exc
        balances = [_balance("native", chain.native_symbol, 18, _quantity(native))]
        for token in tokens or []:
            balances.append(_balance(token["contract"], token["symbol"], int(token["decimals"]),
                                     _quantity(token["balance"])))
        return Portfolio(chain=chain.name, address=address, as_of_block=_quantity(block),
                         fetched_at=datetime.now(UTC), source="primary" if provider == "primary" else "fallback",
                         balances=balances)
