"""The API's behaviour over HTTP, against real processes (shared API unless state is changed)."""

from __future__ import annotations

import sqlite3
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.sut.conftest import Api, ApiFactory, Upstreams, random_address
from tests.sut.probes import order_body


def test_portfolio_shape_and_normalisation(shared_api: Api) -> None:
    address = random_address()
    body = shared_api.portfolio(address, chain="polygon").json()
    assert body["source"] == "primary" and body["address"] == address and body["chain"] == "polygon"
    assert set(body) == {"chain", "address", "as_of_block", "fetched_at", "source", "balances"}
    assert body["balances"][0]["asset"] == "native" and body["balances"][0]["symbol"] == "POL"
    again = shared_api.portfolio("0x" + address[2:].upper(), chain="polygon").json()
    assert again["source"] == "cache" and again["balances"] == body["balances"]


def test_providers_agree_on_balances(upstreams: Upstreams) -> None:
    address = random_address()
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "eth_getBalance", "params": [address, "latest"]},
             {"jsonrpc": "2.0", "id": 2, "method": "wallet_getTokenBalances", "params": [address]}]
    answers = [httpx.post(f"{u.url}/rpc/ethereum", json=batch, headers={"X-Request-ID": "agree-check-1"}).json()
               for u in (upstreams.primary, upstreams.fallback)]
    assert answers[0] == answers[1] and answers[0][0]["result"].startswith("0x")
    assert upstreams.fallback.stats()["request_ids"] == ["agree-check-1"]


def test_errors_share_one_shape(shared_api: Api) -> None:
    with shared_api.client() as client:
        cases = {
            404: client.get("/v1/no-such-route"),
            405: client.post("/health"),
            422: client.post("/v1/orders", json=order_body() | {"extra": 1},
                             headers={"Idempotency-Key": uuid.uuid4().hex}),
        }
        unknown_chain = client.get(f"/v1/wallets/dogechain/{random_address()}/portfolio")
    for status, response in cases.items():
        assert response.status_code == status
        error = response.json()["error"]
        assert set(error) == {"code", "message", "request_id", "details"}
        assert error["request_id"] == response.headers["X-Request-ID"]
    assert cases[422].json()["error"]["code"] == "VALIDATION_ERROR"
    assert unknown_chain.status_code == 404 and unknown_chain.json()["error"]["code"] == "UNSUPPORTED_CHAIN"


def test_openapi_documents_error_codes(shared_api: Api) -> None:
    with shared_api.client(None) as client:
        spec = client.get("/openapi.json").json()
        assert client.get("/docs").status_code == 200
    schemas = spec["components"]["schemas"]
    assert "ErrorResponse" in schemas and {"INTERNAL", "DATABASE_UNAVAILABLE"} <= set(schemas["ErrorCode"]["enum"])
    order_responses = spec["paths"]["/v1/orders"]["post"]["responses"]
    assert order_responses["503"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    responses = spec["paths"]["/v1/wallets/{chain}/{address}/portfolio"]["get"]["responses"]
    for status in ("401", "422", "429", "503"):
        assert responses[status]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    assert "APIKeyHeader" in spec["components"]["securitySchemes"]


def test_concurrent_duplicate_orders_create_one_record(shared_api: Api) -> None:
    key, body = uuid.uuid4().hex, order_body()

    def post(_: int) -> httpx.Response:
        with shared_api.client(headers={"Idempotency-Key": key}) as client:
            return client.post("/v1/orders", json=body)

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(post, range(8)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["order_id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 7
    with sqlite3.connect(shared_api.data_dir / "wallet-api.db") as conn:
        rows = conn.execute("SELECT COUNT(*) FROM orders WHERE idempotency_key = ?", (key,)).fetchone()[0]
    assert rows == 1
    with shared_api.client(headers={"Idempotency-Key": key}) as client:
        reused = client.post("/v1/orders", json=body | {"amount": "99"})
        order = client.get(responses[0].headers["Location"])
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert order.status_code == 200 and order.json()["order_id"] == responses[0].json()["order_id"]
    with shared_api.client("free") as other_tenant:
        assert other_tenant.get(responses[0].headers["Location"]).status_code == 404


def _wait_for_job(client: httpx.Client, location: str) -> dict[str, object]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        job = client.get(location).json()
        if job["status"] in ("succeeded", "failed"):
            return dict(job)
        time.sleep(0.05)
    raise AssertionError("job did not finish in 10 s")


def test_report_job_runs_in_background(shared_api: Api) -> None:
    addresses = [random_address() for _ in range(3)]
    with shared_api.client() as client:
        accepted = client.post("/v1/reports", json={"chain": "ethereum", "addresses": addresses})
        assert accepted.status_code == 202 and accepted.json()["status"] == "queued"
        location = accepted.headers["Location"]
        assert location == f"/v1/jobs/{accepted.json()['job_id']}"
        job = _wait_for_job(client, location)
        assert "job_queue_depth" in client.get("/metrics").text
    assert job["status"] == "succeeded"
    assert [w["address"] for w in job["result"]["wallets"]] == addresses  # type: ignore[index]


def test_failing_job_reports_failure_and_both_down_is_503(api_factory: ApiFactory, upstreams: Upstreams) -> None:
    api = api_factory.start(env={"CIRCUIT_RESET_TIMEOUT_S": "2"})
    upstreams.primary.fault(fault="status", status=500, count=-1)
    upstreams.fallback.fault(fault="status", status=500, count=-1)
    with api.client() as client:
        down = client.get(f"/v1/wallets/ethereum/{random_address()}/portfolio")
        assert down.status_code == 503 and down.json()["error"]["code"] == "UPSTREAM_UNAVAILABLE"
        assert int(down.headers["Retry-After"]) >= 1
        fast = client.get(f"/v1/wallets/ethereum/{random_address()}/portfolio")
        assert fast.json()["error"]["code"] == "CIRCUIT_OPEN" and fast.elapsed.total_seconds() < 0.5
        ready = client.get("/ready")
        assert ready.status_code == 503 and ready.json()["status"] == "not_ready"
        job = _wait_for_job(client, client.post(
            "/v1/reports", json={"chain": "ethereum", "addresses": [random_address()]}).headers["Location"])
        assert job["status"] == "failed"
        assert job["error"]["code"] in ("CIRCUIT_OPEN", "UPSTREAM_UNAVAILABLE")  # type: ignore[index]
        upstreams.primary.reset()
        upstreams.fallback.reset()
        time.sleep(2.1)  # CIRCUIT_RESET_TIMEOUT_S: the next call is a half-open probe
        recovered = client.get(f"/v1/wallets/ethereum/{random_address()}/portfolio")
        assert recovered.status_code == 200 and recovered.json()["source"] == "primary"
        providers = client.get("/ready").json()["components"]["providers"]
    assert providers["primary"]["circuit"] == "closed"


def test_rate_limits_per_tier_and_per_ip(api_factory: ApiFactory) -> None:
    api = api_factory.start(env={"RATE_LIMIT_IP_BURST": "12", "RATE_LIMIT_IP_RPS": "1"})
    with api.client("free") as free, api.client("pro") as pro:
        assert free.get("/v1/slow?ms=0").headers["X-RateLimit-Limit"] == "5"
        assert pro.get("/v1/slow?ms=0").headers["X-RateLimit-Limit"] == "1000"
        statuses = [pro.get("/v1/slow?ms=0") for _ in range(12)]
    ip_limited = [r for r in statuses if r.status_code == 429]
    assert ip_limited and ip_limited[0].json()["error"]["details"]["scope"] == "ip"
    with api.client() as client:
        assert 'rate_limit_rejections_total{scope="ip"}' in client.get("/metrics").text


def test_metrics_use_route_templates_not_raw_paths(shared_api: Api) -> None:
    address = random_address()
    shared_api.portfolio(address)
    with shared_api.client() as client:
        text = client.get("/metrics").text
    assert address not in text
    assert 'upstream_requests_total{outcome="ok",provider="primary"}' in text


def test_slow_endpoint_is_bounded(shared_api: Api) -> None:
    with shared_api.client() as client:
        assert client.get("/v1/slow", params={"ms": 20}).json() == {"slept_ms": 20}
        assert client.get("/v1/slow", params={"ms": 10_001}).status_code == 422


def test_upstream_control_is_documented_and_loopback(upstreams: Upstreams) -> None:
    upstreams.primary.fault(fault="delay", delay_ms=10, count=2)
    assert upstreams.primary.stats()["pending_faults"][0]["count"] == 2
    bad = httpx.post(f"{upstreams.primary.url}/control", json={"fault": "status", "count": 0})
    assert bad.status_code == 422


def test_error_messages_never_reflect_the_input(shared_api: Api) -> None:
    marker = "Reflected<b>7f3a"
    address = random_address()
    with shared_api.client() as client:
        chain = client.get(f"/v1/wallets/{marker}/{address}/portfolio")
        responses = [
            chain,
            client.get(f"/v1/wallets/ethereum/{marker}/portfolio"),
            client.get(f"/v1/jobs/{marker}"),
            client.get(f"/v1/{marker}"),
            client.post("/v1/orders", json=order_body() | {"asset": marker, "side": marker},
                        headers={"Idempotency-Key": uuid.uuid4().hex}),
            client.post("/v1/orders", json=order_body(), headers={"Idempotency-Key": f"{marker} x"}),
            client.post("/v1/reports", json={"chain": marker, "addresses": [address]}),
        ]
    assert chain.status_code == 404
    error = chain.json()["error"]
    assert error["code"] == "UNSUPPORTED_CHAIN"
    assert error["details"]["supported"] == ["arbitrum", "base", "ethereum", "optimism", "polygon"]
    for response in responses:
        assert response.status_code >= 400
        assert marker not in response.text and marker.lower() not in response.text, response.text
