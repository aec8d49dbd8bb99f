"""The ``capacity`` check type: the highest request rate at which every SLO still holds, set against a claim.

    params    what an item asks: load, SLO, claim and margin, the search's shape, its time bound
    search    which rate next: grow geometrically, then bisect (a pure state machine)
    steps     one rate step judged from the live request record (held, broke, generator, noisy)
    session   one Locust run driven through the search by the plugin's control file
    verdict   the capacity found against the claim: passed, failed or inconclusive
    evidence  the step table, the rate chart with the knee marked, the run over time
"""

from readiness_harness.checks.capacity.check import register

__all__ = ["register"]
