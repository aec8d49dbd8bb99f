"""The ``chaos`` check type: fault scenarios through Toxiproxy.

    scenario    steady state -> inject -> observe -> roll back (always) -> recover
    probes      requests with expectations, run before, during and after a fault
    background  a Locust load running through the fault, judged per window
"""

from readiness_harness.checks.chaos.scenario import register

__all__ = ["register"]
