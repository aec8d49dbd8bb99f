"""Rate limits under load: a free-tier user driven above its limit and a pro-tier user within its own.

Both read portfolios in the same run. The free-tier user paces at ``HARNESS_FREE_RPS`` requests
per second (default 20, far above the free tier's limit) and its requests are named
``free portfolio``; the pro-tier user paces at ``HARNESS_PRO_RPS`` (default 5) as ``pro portfolio``.
Run with ``expected_statuses: [429]``: the harness then counts a 429 that carries ``Retry-After``
as an expected answer of its name, and one without ``Retry-After`` as a failure. Thresholds then
ask for 429s on the free name and none on the pro name. No ``target_rps``: each class keeps its
own ``constant_throughput``.
"""

from __future__ import annotations

from locust import FastHttpUser, constant_throughput, task

from readiness_harness.loadtests.common import api_key, env_float, expected_statuses, random_wallet, settle


class _TierUser(FastHttpUser):
    abstract = True
    tier = ""

    def on_start(self) -> None:
        self.headers = {"X-API-Key": api_key(self.tier), "Accept": "application/json"}
        self.expected = expected_statuses()

    @task
    def portfolio(self) -> None:
        chain, address = random_wallet()
        name = f"{self.tier} portfolio"
        with self.client.get(f"/v1/wallets/{chain}/{address}/portfolio", headers=self.headers,
                             name=name, catch_response=True) as response:
            settle(response, name, self.expected)


class FreeTierUser(_TierUser):
    tier = "free"
    wait_time = constant_throughput(env_float("HARNESS_FREE_RPS", 20.0))


class ProTierUser(_TierUser):
    tier = "pro"
    wait_time = constant_throughput(env_float("HARNESS_PRO_RPS", 5.0))
