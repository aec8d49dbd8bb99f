"""Probes for the operational defects: capacity, memory, restarts and TLS (see probes.py).

Each asserts a property whose defect leaves a mark that does not depend on how busy the
machine is: one worker serves at most 300 reads/s however fast the CPU; a memo grows by the
number of reads, not by the time they took; a restart and a certificate are what they are.
Where the clean side depends on the machine (how fast a burst is served), the bound sits far
from both sides and the best of several tries counts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
import uuid
import warnings

from cryptography import x509

from readiness_harness.system_under_test.hotpath import SERIAL_STEP_S
from tests.sut.conftest import Api, Upstreams
from tests.sut.strain import portfolio_load, rss_mb, warm

BURST = 40
BURSTS = 5
# A single worker answers at most 1 / SERIAL_STEP_S reads/s; the clean service does ~1,000 here.
MIN_BURST_RATE = 1.4 / SERIAL_STEP_S
LEAK_READS = 2000  # ~17 MB kept under memory_leak
MAX_GROWTH_MB = 6.0
MIN_DAYS_LEFT = 30


async def best_burst_rate(api: Api) -> float:
    """Reads/s of the fastest of BURSTS bursts of BURST concurrent cached reads."""
    load = portfolio_load(api.port, api.keys["pro"])
    try:
        await warm(load)
        best = 0.0
        for _ in range(BURSTS):
            step = await load.run(100_000, BURST / 100_000)
            assert step.errors == 0, step.summary()
            best = max(best, step.achieved)
            await asyncio.sleep(0.1)
        return best
    finally:
        load.close()


def serves_concurrently(api: Api, _: Upstreams) -> None:
    rate = asyncio.run(best_burst_rate(api))
    assert rate >= MIN_BURST_RATE, f"concurrent reads served at {rate:.0f}/s at best: one at a time?"


async def _reads(api: Api, count: int, rate: float) -> None:
    load = portfolio_load(api.port, api.keys["pro"])
    try:
        step = await load.run(rate, count / rate)
        assert step.errors == 0, step.summary()
    finally:
        load.close()


def bounded_memory(api: Api, _: Upstreams) -> None:
    asyncio.run(_reads(api, 500, 400))  # warm-up: caches filled, code paths taken once
    before = rss_mb(api.proc.pid)
    asyncio.run(_reads(api, LEAK_READS, 400))
    growth = rss_mb(api.proc.pid) - before
    assert growth < MAX_GROWTH_MB, f"RSS grew {growth:.1f} MB over {LEAK_READS} reads"


def replay_survives_restart(api: Api, _: Upstreams) -> None:
    body = {"chain": "ethereum", "address": "0x" + uuid.uuid4().hex[:40].rjust(40, "0"), "side": "buy",
            "asset": "USDC", "amount": "3"}
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    with api.client(headers=headers) as client:
        first = client.post("/v1/orders", json=body)
        same_life = client.post("/v1/orders", json=body)
    assert first.status_code == 201 and same_life.headers.get("Idempotent-Replayed") == "true"
    api.restart()
    with api.client(headers=headers) as client:
        replay = client.post("/v1/orders", json=body)
    assert replay.status_code == 201
    assert replay.json()["order_id"] == first.json()["order_id"], "the replay after a restart made a new order"
    assert replay.headers.get("Idempotent-Replayed") == "true"


def served_certificate(port: int) -> x509.Certificate:
    return x509.load_pem_x509_certificate(ssl.get_server_certificate(("127.0.0.1", port)).encode())


def legacy_handshake(port: int, version: ssl.TLSVersion) -> str | None:
    """The protocol agreed by a client that offers only ``version`` (OpenSSL security level 0), or None."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1 and TLSv1_1 are deprecated: that is the test
        context.minimum_version = context.maximum_version = version
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, context.wrap_socket(raw) as tls:
            return tls.version()
    except (ssl.SSLError, ConnectionError):
        return None


def strong_tls(api: Api, _: Upstreams) -> None:
    with api.client(tier=None) as client:  # the CA verifies the certificate for 127.0.0.1
        assert client.get("/health").status_code == 200
    days_left = (served_certificate(api.port).not_valid_after_utc - dt.datetime.now(dt.UTC)).days
    assert days_left >= MIN_DAYS_LEFT, f"the certificate expires in {days_left} days"
    assert legacy_handshake(api.port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        agreed = legacy_handshake(api.port, version)
        assert agreed is None, f"the server accepted {agreed}"
