"""What a ``capacity`` item asks: the load, the SLO every step must hold, the search, and the claim.

::

    type: capacity
    locustfile: ../loadtests/locustfiles/portfolio.py
    env: {HARNESS_API_KEY_PRO: "{secret.pro_key}"}
    slo: {p95: 50, error_rate: 1}
    claim: {users: 100, rps_per_user: 4}     # or {rps: 400}
    margin: 1.0                              # passed when capacity >= 400 x 1.0
    start_rps: 100
    ceiling_rps: 2000
    max_duration_s: 60
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, model_validator

from readiness_harness.loadtests.spec import WorkersSpec

MAX_DURATION_S = 1800.0
MAX_USERS = 1000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Slo(_Strict):
    """Limits every judged step must hold (latency in ms, errors in percent of requests)."""

    p50: float | None = Field(default=None, gt=0, description="median latency limit, ms")
    p95: float | None = Field(default=None, gt=0, description="95th percentile latency limit, ms")
    p99: float | None = Field(default=None, gt=0, description="99th percentile latency limit, ms")
    error_rate: float = Field(default=1.0, ge=0, le=100,
                              description="failed requests limit, percent (a 429 or any other error status counts)")

    @model_validator(mode="after")
    def _some_latency(self) -> Slo:
        if self.p50 is None and self.p95 is None and self.p99 is None:
            raise ValueError("slo needs a latency limit (p50, p95 or p99): without one, an overloaded service "
                             "that queues requests would never break it")
        return self

    @property
    def slowest_ms(self) -> float:
        return max(limit for limit in (self.p50, self.p95, self.p99) if limit is not None)

    def describe(self) -> str:
        parts = [f"{name} < {value:g} ms" for name, value in (("p50", self.p50), ("p95", self.p95),
                                                              ("p99", self.p99)) if value is not None]
        return ", ".join([*parts, f"errors <= {self.error_rate:g}%"])


class Claim(_Strict):
    """What the service is said to sustain: a request rate, or users each making requests at a rate."""

    rps: float | None = Field(default=None, gt=0, le=1_000_000, description="claimed request rate, req/s")
    users: int | None = Field(default=None, ge=1, le=10_000_000, description="claimed concurrent users")
    rps_per_user: float | None = Field(default=None, gt=0, le=10_000,
                                       description="requests per second each claimed user makes")

    @model_validator(mode="after")
    def _one_form(self) -> Claim:
        by_users = self.users is not None or self.rps_per_user is not None
        if (self.rps is None) == (not by_users):
            raise ValueError("claim is either {rps: R} or {users: N, rps_per_user: r}")
        if by_users and (self.users is None or self.rps_per_user is None):
            raise ValueError("a claim in users needs both users and rps_per_user (the rate each user makes)")
        return self

    @property
    def rate(self) -> float:
        if self.rps is not None:
            return self.rps
        return (self.users or 0) * (self.rps_per_user or 0.0)  # both set: the validator saw to it

    def describe(self) -> str:
        if self.rps is not None:
            return f"{self.rps:g} req/s"
        return f"{self.users} users x {self.rps_per_user:g} req/s = {self.rate:g} req/s"

    def in_users(self, rate: float) -> str:
        """A rate shown in the claim's own terms too (``412 req/s = 103 users at 4 req/s``)."""
        if self.rps_per_user is None:
            return f"{rate:.0f} req/s"
        return f"{rate:.0f} req/s = {rate / self.rps_per_user:.0f} users at {self.rps_per_user:g} req/s"


class CapacityParams(_Strict):
    """Params of ``type: capacity``: a Locust locustfile driven at rising request rates."""

    locustfile: str = Field(description="path relative to the checklist's folder")
    user_classes: list[str] = Field(default_factory=list, description="user classes to run (default: every one)")
    env: dict[str, str] = Field(default_factory=dict, description="environment for the locustfile")
    host: str | None = Field(default=None, description="the URL to load (default: the target's base_url)")
    slo: Slo = Field(description="what every step must hold")
    claim: Claim = Field(description="the rate the service is said to sustain")
    margin: float = Field(default=1.0, gt=0, le=100, description="passed when capacity >= claim x margin")
    start_rps: float | None = Field(default=None, gt=0, le=1_000_000,
                                    description="first step (default: half the claimed rate)")
    growth: float = Field(default=1.5, gt=1.05, le=4, description="each growing step asks this times the last")
    ceiling_rps: float | None = Field(default=None, gt=0, le=1_000_000,
                                      description="highest rate asked (default: 4 x the claim x margin)")
    resolution: float = Field(default=0.1, ge=0.01, le=1, description="bisect until (bad - good) / good is at most "
                                                                     "this")
    warmup_s: float = Field(default=1.0, ge=0.5, le=60, description="seconds of each step not judged")
    step_s: float = Field(default=3.0, ge=1, le=600, description="seconds of each step judged")
    confirm_s: float = Field(default=6.0, ge=1, le=600, description="seconds of the final hold at the found rate")
    max_drain_s: float = Field(default=5.0, ge=0, le=120,
                               description="longest pause after an overloaded step, for its backlog to drain")
    max_duration_s: float = Field(default=120.0, ge=10, le=MAX_DURATION_S,
                                  description="the whole search, Locust's start-up included, ends within this")
    users: int | None = Field(default=None, ge=1, le=MAX_USERS,
                              description="Locust users sharing the schedule (default: enough for the ceiling "
                                          "with every request taking the slowest latency limit)")
    processes: int | None = Field(default=None, ge=1, le=64, description="Locust processes (--processes)")
    workers: WorkersSpec | None = Field(default=None, description="Locust master/worker mode")

    @model_validator(mode="after")
    def _consistent(self) -> CapacityParams:
        if self.processes and self.processes > 1 and self.workers is not None:
            raise ValueError("use processes or workers, not both")
        if self.start_rps is not None and self.start_rps > self.ceiling:
            raise ValueError(f"start_rps {self.start_rps:g} is above ceiling_rps {self.ceiling:g}")
        if self.ceiling < self.required:
            raise ValueError(f"ceiling_rps {self.ceiling:g} is below the rate the claim needs ({self.claim.describe()} "
                             f"x margin {self.margin:g} = {self.required:g} req/s): the item could never pass")
        return self

    @property
    def required(self) -> float:
        """The rate the service must sustain to pass: claim x margin."""
        return self.claim.rate * self.margin

    @property
    def ceiling(self) -> float:
        return self.ceiling_rps if self.ceiling_rps is not None else 4 * self.required

    @property
    def start(self) -> float:
        return self.start_rps if self.start_rps is not None else min(self.ceiling, self.required / 2)

    @property
    def user_count(self) -> int:
        """Users enough that, at the ceiling, every request may take the slowest latency limit. More would
        book the schedule further ahead at low rates (each idle user holds one future slot), which delays
        every rate change by ``users / rate`` seconds."""
        if self.users is not None:
            return self.users
        wanted = math.ceil(self.ceiling * self.slo.slowest_ms / 1000)
        return max(10, min(MAX_USERS, wanted))
