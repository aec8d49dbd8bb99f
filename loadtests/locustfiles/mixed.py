"""A mixed workload: cached reads, idempotent orders, and report jobs submitted then polled.

Weights: 6 reads, 2 orders (each with a fresh ``Idempotency-Key``, one order in ten replayed
with the same key and body to exercise the replay path), 1 report job (``POST /v1/reports``
then ``GET /v1/jobs/{id}`` until it is done, at most ``HARNESS_JOB_POLLS`` polls, default 20,
``HARNESS_JOB_POLL_S`` apart, default 0.1 s). Uses ``HARNESS_API_KEY_PRO`` (or ``HARNESS_API_KEY``).
"""

from __future__ import annotations

import random
import uuid

import gevent
from locust import FastHttpUser, between, task

from readiness_harness.loadtests.common import (
    api_key,
    env_float,
    env_int,
    expected_statuses,
    random_wallet,
    settle,
)

DONE = frozenset({"succeeded", "failed"})


class MixedWorkloadUser(FastHttpUser):
    wait_time = between(0.05, 0.2)  # without a target rate; with one the harness paces

    def on_start(self) -> None:
        self.headers = {"X-API-Key": api_key("pro"), "Accept": "application/json"}
        self.expected = expected_statuses()

    @task(6)
    def read_portfolio(self) -> None:
        chain, address = random_wallet()
        with self.client.get(f"/v1/wallets/{chain}/{address}/portfolio", headers=self.headers,
                             name="portfolio", catch_response=True) as response:
            settle(response, "portfolio", self.expected)

    @task(2)
    def place_order(self) -> None:
        chain, address = random_wallet()
        body = {"chain": chain, "address": address, "side": random.choice(("buy", "sell")),
                "asset": "USDC", "amount": f"{random.randint(1, 500)}.25"}
        headers = {**self.headers, "Idempotency-Key": f"load-{uuid.uuid4().hex}"}
        repeats = 2 if random.random() < 0.1 else 1
        for attempt in range(repeats):
            name = "order" if attempt == 0 else "order (replay)"
            with self.client.post("/v1/orders", json=body, headers=headers, name=name,
                                  catch_response=True) as response:
                settle(response, name, self.expected)

    @task(1)
    def report_job(self) -> None:
        chain, address = random_wallet()
        with self.client.post("/v1/reports", json={"chain": chain, "addresses": [address]},
                              headers=self.headers, name="report submit", catch_response=True) as response:
            settle(response, "report submit", self.expected)
            job_id = _job_id(response)
        if job_id is None:
            return
        interval = env_float("HARNESS_JOB_POLL_S", 0.1)
        for _ in range(env_int("HARNESS_JOB_POLLS", 20)):
            gevent.sleep(interval)
            with self.client.get(f"/v1/jobs/{job_id}", headers=self.headers, name="job status",
                                 catch_response=True) as response:
                settle(response, "job status", self.expected)
                if response.status_code != 200 or _status(response) in DONE:
                    return


def _job_id(response: object) -> str | None:
    if getattr(response, "status_code", 0) != 202:
        return None
    try:
        return str(response.json()["job_id"])  # type: ignore[attr-defined]
    except (ValueError, KeyError, TypeError):
        return None


def _status(response: object) -> str:
    try:
        return str(response.json().get("status", ""))  # type: ignore[attr-defined]
    except (ValueError, AttributeError):
        return ""
