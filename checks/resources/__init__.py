"""The ``resources`` check type: memory, CPU, descriptors, threads and connections of the target under load.

    sampler  readings of a process tree from /proc, and the series they make
    trend    least squares with a Student's t confidence interval; time to a limit
    judge    one series: its bound, its trend after the warm-up, a leak when it reaches its limit in time
    view     the table of every series and a chart per series
    check    params, the sampling loop beside the check's own load, the verdict
"""

from readiness_harness.checks.resources.check import register

__all__ = ["register"]
