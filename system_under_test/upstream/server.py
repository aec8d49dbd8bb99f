"""The stand-in provider's HTTP app: JSON-RPC endpoint, health, and fault-control knobs."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import time
from collections import deque
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from readiness_harness.system_under_test.chains import CHAINS, Chain, is_valid_address
from readiness_harness.system_under_test.upstream import MALFORMED_FIXTURE_ADDRESS

# Fixed origin so that every instance reports the same block number at the same moment.
_EPOCH = 1_735_689_600.0  # 2025-01-01T00:00:00Z
_RECENT = 50


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fault: Literal["status", "delay", "reset"]
    status: int = Field(default=500, ge=400, le=599)
    delay_ms: int = Field(default=0, ge=0, le=60_000)
    count: int = Field(default=1, ge=-1, description="calls affected; -1 until reset")

    @field_validator("count")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("count must be -1 or at least 1")
        return value


class ProviderState:
    def __init__(self, name: str) -> None:
        self.name = name
        self.reset()

    def reset(self) -> None:
        self.faults: deque[Fault] = deque()
        self.calls = 0
        self.methods: dict[str, int] = {}
        self.request_ids: deque[str] = deque(maxlen=_RECENT)
        self.addresses: deque[str] = deque(maxlen=_RECENT)

    def next_fault(self) -> Fault | None:
        if not self.faults:
            return None
        fault = self.faults[0]
        if fault.count > 0:
            fault.count -= 1
            if fault.count == 0:
                self.faults.popleft()
        return fault

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "calls": self.calls, "methods": dict(self.methods),
                "pending_faults": [f.model_dump() for f in self.faults],
                "request_ids": list(self.request_ids), "addresses": list(self.addresses)}


def block_number(chain: Chain, now: float | None = None) -> int:
    return chain.genesis_block + int(((now or time.time()) - _EPOCH) / chain.block_time_s)


def _seed(chain: str, address: str) -> bytes:
    return hashlib.sha256(f"{chain}:{address.lower()}".encode()).digest()


def native_balance(chain: Chain, address: str) -> int:
    seed = _seed(chain.name, address)
    return int.from_bytes(seed[:6], "big") * 10**6  # up to ~281 whole units, in wei


def token_balances(chain: Chain, address: str) -> list[dict[str, Any]]:
    if address.lower() == MALFORMED_FIXTURE_ADDRESS:
        token = chain.tokens[0]
        return [{"contract": token.contract, "symbol": token.symbol, "decimals": token.decimals,
                 "balance": "0xnot-a-quantity"}]
    seed = _seed(chain.name, address)
    balances = []
    for i, token in enumerate(chain.tokens):
        chunk = seed[8 + 4 * i: 12 + 4 * i]
        if chunk[0] % 4 == 0:  # about a quarter of wallets do not hold a given token
            continue
        raw = int.from_bytes(chunk, "big") * 10 ** max(0, token.decimals - 4)
        balances.append({"contract": token.contract, "symbol": token.symbol, "decimals": token.decimals,
                         "balance": hex(raw)})
    return balances


def _rpc_error(call_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": call_id, "error": {"code": code, "message": message}}


def handle_call(chain: Chain, call: Any, state: ProviderState) -> dict[str, Any]:
    if not isinstance(call, dict) or not isinstance(call.get("method"), str):
        return _rpc_error(None, -32600, "invalid request")
    call_id, method, params = call.get("id"), call["method"], call.get("params") or []
    state.methods[method] = state.methods.get(method, 0) + 1
    if method == "eth_chainId":
        return {"jsonrpc": "2.0", "id": call_id, "result": hex(chain.chain_id)}
    if method == "eth_blockNumber":
        return {"jsonrpc": "2.0", "id": call_id, "result": hex(block_number(chain))}
    if method in ("eth_getBalance", "wallet_getTokenBalances"):
        address = params[0] if params and isinstance(params[0], str) else ""
        state.addresses.append(address[:128])
        if not is_valid_address(address):
            return _rpc_error(call_id, -32602, "invalid address")
        if method == "eth_getBalance":
            return {"jsonrpc": "2.0", "id": call_id, "result": hex(native_balance(chain, address))}
        return {"jsonrpc": "2.0", "id": call_id, "result": token_balances(chain, address)}
    return _rpc_error(call_id, -32601, f"method not found: {method}")


def _is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def create_upstream_app(name: str) -> FastAPI:
    app = FastAPI(title=f"chain-RPC stand-in ({name})", docs_url=None, redoc_url=None)
    state = ProviderState(name)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "name": name}

    @app.post("/rpc/{chain_name}")
    async def rpc(chain_name: str, request: Request) -> JSONResponse:
        state.calls += 1
        if request_id := request.headers.get("x-request-id"):
            state.request_ids.append(request_id[:128])
        fault = state.next_fault()
        if fault is not None and fault.fault == "delay":
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault is not None and fault.fault == "status":
            return JSONResponse({"error": f"injected HTTP {fault.status}"}, status_code=fault.status)
        chain = CHAINS.get(chain_name)
        if chain is None:
            return JSONResponse({"error": f"unknown chain {chain_name}"}, status_code=404)
        try:
            payload = await request.json()
        except ValueError:
            return JSONResponse(_rpc_error(None, -32700, "parse error"), status_code=400)
        if isinstance(payload, list):
            return JSONResponse([handle_call(chain, call, state) for call in payload[:100]])
        return JSONResponse(handle_call(chain, payload, state))

    @app.post("/control")
    async def control(fault: Fault, request: Request) -> JSONResponse:
        if not _is_loopback(request):
            return JSONResponse({"error": "control is loopback-only"}, status_code=403)
        if fault.fault == "reset":
            state.reset()
        else:
            state.faults.append(fault)
        return JSONResponse(state.snapshot())

    @app.get("/control")
    async def control_state(request: Request) -> JSONResponse:
        if not _is_loopback(request):
            return JSONResponse({"error": "control is loopback-only"}, status_code=403)
        return JSONResponse(state.snapshot())

    return app
