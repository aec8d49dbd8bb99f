"""POST /v1/orders (idempotent by Idempotency-Key) and GET /v1/orders/{order_id}.

Idempotency is enforced by the database: (client_id, idempotency_key) is UNIQUE. Of two
concurrent requests with the same key exactly one insert succeeds; the other gets an
IntegrityError, reads the stored row and replays its status and body with
``Idempotent-Replayed: true``. Reusing a key with a different body is answered 422. The key is
stored with its order, so a replay is recognised after a restart too (the
``idempotency_in_memory`` defect keeps keys in process memory instead: see idempotency.py).

When the database is unreachable, too slow or out of connections, both routes answer 503
DATABASE_UNAVAILABLE with Retry-After (see dbcalls.py), never a 500. A write cut off by the
deadline may still have committed; retrying with the same Idempotency-Key replays it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from readiness_harness.system_under_test.db import StoredResponse
from readiness_harness.system_under_test.errors import ApiError, ErrorCode, error_responses
from readiness_harness.system_under_test.idempotency import MemoryKeys
from readiness_harness.system_under_test.routes.deps import get_services, require_client, v1_router
from readiness_harness.system_under_test.security import Client
from readiness_harness.system_under_test.services import Services

router = v1_router("orders")

IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{1,255}$"


class OrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chain: str = Field(max_length=32)
    address: str = Field(max_length=128)
    side: Literal["buy", "sell"]
    asset: str = Field(pattern=r"^[A-Z0-9]{2,10}$")
    amount: str = Field(pattern=r"^\d{1,30}(\.\d{1,18})?$", description="decimal string, > 0")

    @field_validator("amount")
    @classmethod
    def _positive(cls, value: str) -> str:
        if Decimal(value) <= 0:
            raise ValueError("must be greater than zero")
        return value


class Order(BaseModel):
    order_id: str
    status: Literal["accepted"]
    chain: str
    address: str
    side: str
    asset: str
    amount: str
    created_at: str


def _replay(stored: StoredResponse, request_hash: str) -> JSONResponse:
    if stored.request_hash != request_hash:
        raise ApiError(422, ErrorCode.IDEMPOTENCY_KEY_REUSED,
                       "Idempotency-Key was already used with a different request body")
    return JSONResponse(stored.body, status_code=stored.status_code, headers={
        "Idempotent-Replayed": "true", "Location": f"/v1/orders/{stored.body['order_id']}"})


@router.post(
    "/orders", status_code=201, response_model=Order,
    responses={**error_responses(400, 409), 201: {"description": "Created, or replayed for a known key"}},
    summary="Place an order (idempotent)",
)
async def create_order(
    request: Request,
    body: OrderRequest,
    client: Client = Depends(require_client),
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", pattern=IDEMPOTENCY_KEY_PATTERN),
) -> JSONResponse:
    services = get_services(request)
    _, address = services.portfolio.validate(body.chain, body.address)
    normalised = body.model_copy(update={"chain": body.chain.lower(), "address": address})
    request_hash = hashlib.sha256(normalised.model_dump_json().encode()).hexdigest()
    idempotent = "no_idempotency" not in services.defects
    if idempotent and idempotency_key is None:
        raise ApiError(400, ErrorCode.IDEMPOTENCY_KEY_MISSING, "the Idempotency-Key header is required")
    key = idempotency_key if idempotent else None
    if key is not None and services.memory_keys is not None:
        return await _create_with_memory_keys(services, services.memory_keys, client=client, normalised=normalised,
                                              key=key, request_hash=request_hash)
    if key is not None:
        stored = await services.db.run(services.orders.find_by_key, client.key_id, key)
        if stored is not None:
            return _replay(stored, request_hash)
    order, row = _new_order(normalised, client, key, request_hash)
    if not await services.db.run(services.orders.insert, row):
        stored = await services.db.run(services.orders.find_by_key, client.key_id, key or "")
        if stored is None:  # the conflicting row vanished: only possible if someone deleted it
            raise ApiError(409, ErrorCode.IDEMPOTENCY_KEY_REUSED, "conflicting request; retry")
        return _replay(stored, request_hash)
    return _created(order)


def _new_order(normalised: OrderRequest, client: Client, key: str | None,
               request_hash: str) -> tuple[Order, dict[str, Any]]:
    order = Order(order_id=str(uuid.uuid4()), status="accepted", created_at=datetime.now(UTC).isoformat(),
                  **normalised.model_dump())
    row = {**normalised.model_dump(), "id": order.order_id, "client_id": client.key_id,
           "idempotency_key": key, "request_hash": request_hash, "status_code": 201,
           "response_body": json.dumps(order.model_dump()), "created_at": order.created_at}
    return order, row


def _created(order: Order) -> JSONResponse:
    return JSONResponse(order.model_dump(), status_code=201, headers={"Location": f"/v1/orders/{order.order_id}"})


async def _create_with_memory_keys(services: Services, keys: MemoryKeys, *, client: Client,
                                   normalised: OrderRequest, key: str, request_hash: str) -> JSONResponse:
    """The idempotency_in_memory defect: the key is claimed in this process's memory, the order
    stored without it (see idempotency.py)."""
    stored = await keys.claim(client.key_id, key)
    if stored is not None:
        return _replay(stored, request_hash)
    answer = None
    try:
        order, row = _new_order(normalised, client, None, request_hash)
        await services.db.run(services.orders.insert, row)
        answer = StoredResponse(201, order.model_dump(), request_hash)
    finally:
        keys.settle(client.key_id, key, answer)
    return _created(order)


@router.get("/orders/{order_id}", response_model=Order, summary="Read an order")
async def get_order(request: Request, order_id: uuid.UUID, client: Client = Depends(require_client)) -> Order:
    services = get_services(request)
    found = await services.db.run(services.orders.get, client.key_id, str(order_id))
    if found is None:
        raise ApiError(404, ErrorCode.NOT_FOUND, "order not found")
    return Order.model_validate(found)
