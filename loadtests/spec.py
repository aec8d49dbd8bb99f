"""What a load test asks for, as a checklist author writes it: the ``load`` check's params.

Thresholds use a compact form, on the aggregate and per request name::

    thresholds:
      p95: 50            # ms
      error_rate: 0.5    # percent of requests
      min_rps: 150       # achieved request rate
      per_name:
        free portfolio: {min_expected: 1}    # at least one expected-status answer (429)
        pro portfolio: {max_expected: 0}
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_DURATION_S = 3600.0


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ThresholdSet(_Spec):
    """Limits on one set of requests; every field is optional."""

    p50: float | None = Field(default=None, gt=0, description="median latency limit, ms")
    p95: float | None = Field(default=None, gt=0, description="95th percentile latency limit, ms")
    p99: float | None = Field(default=None, gt=0, description="99th percentile latency limit, ms")
    error_rate: float | None = Field(default=None, ge=0, le=100, description="failed requests limit, percent")
    min_rps: float | None = Field(default=None, gt=0, description="lowest acceptable request rate")
    min_expected: int | None = Field(default=None, ge=0, description="fewest expected-status answers")
    max_expected: int | None = Field(default=None, ge=0, description="most expected-status answers")

    def empty(self) -> bool:
        return all(value is None for value in self.model_dump().values())


class Thresholds(ThresholdSet):
    """Limits on the aggregate of all requests, and per request name under ``per_name``."""

    per_name: dict[str, ThresholdSet] = Field(default_factory=dict)


class WorkersSpec(_Spec):
    """Locust master/worker mode, the harness's Locust process being the master.

    ``local`` workers are started by the harness on this machine. ``remote`` workers are
    attached by you from other machines, with the same locustfile and environment::

        locust -f loadtests/locustfiles/portfolio.py --worker --master-host <harness host> --master-port <port>

    For remote workers set ``master_bind_host`` to an address they can reach and a fixed
    ``master_port``; the master waits up to ``wait_s`` seconds for every expected worker.
    """

    local: int = Field(default=0, ge=0, le=64)
    remote: int = Field(default=0, ge=0, le=1000)
    master_bind_host: str = "127.0.0.1"
    master_port: int | None = Field(default=None, ge=1, le=65535)
    wait_s: float = Field(default=60.0, gt=0, le=600)

    @model_validator(mode="after")
    def _some_worker(self) -> WorkersSpec:
        if self.local + self.remote < 1:
            raise ValueError("workers needs at least one local or remote worker")
        return self

    @property
    def expected(self) -> int:
        return self.local + self.remote


class LoadSpec(_Spec):
    """One Locust run and the bar it must clear."""

    locustfile: str = Field(description="path relative to the checklist's folder")
    user_classes: list[str] = Field(default_factory=list)
    users: int | None = Field(default=None, ge=1, le=10_000)
    spawn_rate: float | None = Field(default=None, gt=0)
    duration_s: float = Field(default=10.0, gt=0, le=MAX_DURATION_S)
    target_rps: float | None = Field(default=None, gt=0, le=1_000_000)
    rps_per_user: float = Field(default=5.0, gt=0, description="pacing per user: with target_rps it sets how many "
                                "users; with users and no target_rps each user paces at this rate")
    processes: int | None = Field(default=None, ge=1, le=64)
    workers: WorkersSpec | None = None
    env: dict[str, str] = Field(default_factory=dict)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    expected_statuses: list[int] = Field(default_factory=list)
    host: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> LoadSpec:
        if self.processes and self.processes > 1 and self.workers is not None:
            raise ValueError("use processes or workers, not both")
        for status in self.expected_statuses:
            if not 100 <= status <= 599:
                raise ValueError(f"expected_statuses: {status} is not an HTTP status")
        return self
