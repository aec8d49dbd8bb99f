"""GET /v1/wallets/{chain}/{address}/portfolio."""

from __future__ import annotations

from fastapi import Path, Request

from readiness_harness.system_under_test.portfolio import Portfolio
from readiness_harness.system_under_test.routes.deps import get_services, v1_router

router = v1_router("wallets")


@router.get(
    "/wallets/{chain}/{address}/portfolio",
    response_model=Portfolio,
    summary="Balances of a wallet on one chain",
    description="Native and token balances as of a recent block. Served from cache when fresh; "
    "`source` says whether the primary provider, the fallback provider or the cache answered.",
)
async def get_portfolio(
    request: Request,
    chain: str = Path(max_length=32, description="ethereum, polygon, arbitrum, optimism or base"),
    address: str = Path(max_length=128, description="0x followed by 40 hex characters"),
) -> Portfolio:
    return await get_services(request).portfolio.get(chain, address, request.state.request_id)
