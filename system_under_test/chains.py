"""Supported chains and address validation.

Shared by the API and by the upstream stand-in, so both agree on what a chain is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EVM_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")


@dataclass(frozen=True)
class Token:
    contract: str
    symbol: str
    decimals: int


@dataclass(frozen=True)
class Chain:
    name: str
    chain_id: int
    native_symbol: str
    block_time_s: float
    genesis_block: int
    tokens: tuple[Token, ...]


CHAINS: dict[str, Chain] = {
    chain.name: chain
    for chain in (
        Chain(
            "ethereum", 1, "ETH", 12.0, 21_000_000,
            (
                Token("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48", "USDC", 6),
                Token("0xdac17f958d2ee523a2206206994597c13d831ec7", "USDT", 6),
                Token("0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2", "WETH", 18),
            ),
        ),
        Chain(
            "polygon", 137, "POL", 2.0, 64_000_000,
            (
                Token("0x3c499c542cef5e3811e1192ce70d8cc03d5c3359", "USDC", 6),
                Token("0x0d500b1d8e8ef31e21c99d1db9a6444d3adf1270", "WMATIC", 18),
            ),
        ),
        Chain(
            "arbitrum", 42161, "ETH", 0.25, 280_000_000,
            (Token("0xaf88d065e77c8cc2239327c5edb3a432268e5831", "USDC", 6),),
        ),
        Chain(
            "optimism", 10, "ETH", 2.0, 128_000_000,
            (Token("0x0b2c639c533813f4aa9d7837caf62653d097ff85", "USDC", 6),),
        ),
        Chain(
            "base", 8453, "ETH", 2.0, 22_000_000,
            (Token("0x833589fcd6edb6e08f4c7c32d4f71b54bda02913", "USDC", 6),),
        ),
    )
}


class InvalidAddress(ValueError):
    """The address does not have the format the chain requires."""


def normalise_address(address: str) -> str:
    """Return the canonical (lower-case) form of an EVM address, or raise InvalidAddress."""
    if not _EVM_ADDRESS.fullmatch(address):
        raise InvalidAddress("expected 0x followed by 40 hexadecimal characters")
    return address.lower()


def is_valid_address(address: str) -> bool:
    return _EVM_ADDRESS.fullmatch(address) is not None
