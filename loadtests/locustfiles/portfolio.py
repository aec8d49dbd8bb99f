"""Cached portfolio reads: ``GET /v1/wallets/{chain}/{address}/portfolio`` over a small wallet set.

The wallet set is small (``HARNESS_WALLETS``, default 16) so that after the first read of each
wallet the service answers from its cache; the request name is ``portfolio`` for every wallet.
Uses ``HARNESS_API_KEY_PRO`` (or ``HARNESS_API_KEY``).
"""

from __future__ import annotations

from locust import FastHttpUser, between, task

from readiness_harness.loadtests.common import api_key, expected_statuses, random_wallet, settle


class CachedPortfolioUser(FastHttpUser):
    wait_time = between(0.05, 0.2)  # without a target rate; with one the harness paces

    def on_start(self) -> None:
        self.headers = {"X-API-Key": api_key("pro"), "Accept": "application/json"}
        self.expected = expected_statuses()

    @task
    def portfolio(self) -> None:
        chain, address = random_wallet()
        with self.client.get(f"/v1/wallets/{chain}/{address}/portfolio", headers=self.headers,
                             name="portfolio", catch_response=True) as response:
            settle(response, "portfolio", self.expected)
