"""The slope of a series with its confidence interval, and the time it would take to reach a limit.

Ordinary least squares over ``(t, y)``; the slope's standard error from the residuals, and the interval
from Student's t distribution with ``n - 2`` degrees of freedom. The t quantile is computed here
(the regularised incomplete beta function by its continued fraction, inverted by bisection), so
nothing beyond the standard library is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MIN_POINTS = 3


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz's method)."""
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= d * c
        if abs(d * c - 1) < 1e-14:
            break
    return result


def incomplete_beta(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(a, b, x) / a
    return 1 - front * _beta_fraction(b, a, 1 - x) / b


def t_cdf(t: float, df: float) -> float:
    tail = 0.5 * incomplete_beta(df / 2, 0.5, df / (df + t * t))
    return 1 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The value below which a t-distributed variable falls with probability ``p`` (0.5 < p < 1)."""
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low < 1e-10:
            break
    return (low + high) / 2


@dataclass(frozen=True)
class Trend:
    """A fitted line: the slope per second with its two-sided interval at ``confidence``."""

    slope: float
    low: float
    high: float
    intercept: float
    points: int
    confidence: float

    @property
    def significant(self) -> bool:
        """The slope is positive beyond doubt at the confidence asked (its interval excludes 0)."""
        return self.low > 0

    def at(self, t: float) -> float:
        return self.intercept + self.slope * t


def fit(t: list[float], y: list[float], confidence: float = 0.95) -> Trend | None:
    """Least squares over the points; None with fewer than three points or no spread in time."""
    n = len(t)
    if n < MIN_POINTS or n != len(y):
        return None
    mean_t, mean_y = sum(t) / n, sum(y) / n
    spread = sum((x - mean_t) ** 2 for x in t)
    if spread <= 0:
        return None
    slope = sum((x - mean_t) * (v - mean_y) for x, v in zip(t, y, strict=True)) / spread
    intercept = mean_y - slope * mean_t
    residual = sum((v - intercept - slope * x) ** 2 for x, v in zip(t, y, strict=True))
    error = math.sqrt(residual / (n - 2) / spread) if n > 2 else math.inf
    half = t_quantile(0.5 + confidence / 2, n - 2) * error
    return Trend(slope=slope, low=slope - half, high=slope + half, intercept=intercept, points=n,
                 confidence=confidence)


def duration(seconds: float) -> str:
    """``42 s``, ``5 min 10 s``, ``3 h 40 min``, ``6 d 2 h``."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min {int(seconds % 60)} s"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} h {minutes % 60} min"
    return f"{hours // 24} d {hours % 24} h"
