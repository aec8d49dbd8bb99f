"""What a fault scenario asks: its probes, faults, background load, alerts, variables and recovery."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from readiness_harness.chaos.faults import Fault
from readiness_harness.checks.chaos.background import BackgroundLoad
from readiness_harness.checks.chaos.probes import Probe
from readiness_harness.checks.shared.variables import Generator


class Recovery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    probes: list[Probe] = Field(default_factory=list, description="default: the steady-state probes")
    within_s: float = Field(default=10.0, gt=0, le=600,
                            description="the steady state must return within this many seconds after rollback")
    interval_s: float = Field(default=0.25, gt=0, le=10, description="pause between recovery polls")


class AlertProbe(BaseModel):
    """An alert of the audit's Prometheus that must fire while the fault is active."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="the alert's name (alertname) in the audit's Prometheus")
    within_s: float = Field(default=30.0, gt=0, le=600,
                            description="it must fire within this many seconds of the injection")
    pending_ok: bool = Field(default=False, description="a pending alert (inside its `for:`) counts as firing")


class ScenarioParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vars: dict[str, Generator] = Field(default_factory=dict,
                                       description="name -> a fresh value per run (uuid, token, evm_address), used "
                                                   "as {var.NAME} by every probe")
    steady_state: list[Probe] = Field(min_length=1,
                                      description="probes that must hold before the fault (and after, by default)")
    faults: list[Fault] = Field(min_length=1,
                                description="what to inject: toxics on named proxies, proxies taken down, or a "
                                            "process killed, stopped (frozen) or restarted")
    settle_s: float = Field(default=0.2, ge=0, le=60, description="wait after injecting, before observing")
    during: list[Probe] = Field(default_factory=list, description="probes that must hold while the fault is active")
    alerts: list[AlertProbe] = Field(default_factory=list, description="alerts that must fire during the fault")
    load: BackgroundLoad | None = Field(default=None, description="Locust load running through the fault")
    hold_s: float = Field(default=0.0, ge=0, le=600, description="keep the fault at least this long")
    recovery: Recovery = Field(default_factory=Recovery,
                               description="how fast the steady state must return after rollback")
    request_timeout_s: float | None = Field(default=None, gt=0, le=600,
                                            description="a probe's request gives up (no answer) after this many "
                                                        "seconds (default: the item's timeout); a frozen "
                                                        "dependency's hung requests then fail their probe")

    @model_validator(mode="after")
    def _load_covers_the_fault(self) -> ScenarioParams:
        if self.load is not None:
            problem = self.load.coverage_problem(max(self.hold_s, self.settle_s))
            if problem:
                raise ValueError(problem)
        return self

    @property
    def proxy_faults(self) -> list[Fault]:
        return [fault for fault in self.faults if fault.proxy is not None]

    @property
    def process_faults(self) -> list[Fault]:
        return [fault for fault in self.faults if fault.process is not None]
