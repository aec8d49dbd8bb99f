"""Portfolio reads: validate, consult the cache, fetch from providers, shape the answer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from system_under_test.cache import Cache
from system_under_test.chains import CHAINS, Chain, InvalidAddress, normalise_address
from system_under_test.defects import Defects
from system_under_test.errors import ApiError, ErrorCode
from system_under_test.metrics import Metrics
from system_under_test.providers import AllProvidersFailed, ProviderPool

SLOW_ENDPOINT_DELAY_S = 0.12


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
        raise ApiError(404, ErrorCode.UNSUPPORTED_CHAIN, f"unsupported chain '{name}'",
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
    def __init__(self, *, pool: ProviderPool, cache: Cache, metrics: Metrics, defects: Defects) -> None:
        self._pool = pool
        self._cache = cache
        self._metrics = metrics
        self._defects = defects

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
        chain, address = self.validate(chain_name, address)
        if "slow_endpoint" in self._defects:
            await asyncio.sleep(SLOW_ENDPOINT_DELAY_S)
        key = f"portfolio:v1:{chain.name}:{address}"
        cached = await self._cache.get(key)
        if cached is not None:
            self._metrics.cache_hits.inc()
            return Portfolio.model_validate({**cached, "source": "cache"})
        self._metrics.cache_misses.inc()
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
