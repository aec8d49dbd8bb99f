"""Which rate to ask next: grow geometrically until the SLO breaks, then bisect between the last rate that
held and the first that broke.

A pure state machine over the rates judged so far, so its choices are plain to test::

    search = Search(start=100, growth=1.5, ceiling=2000, resolution=0.1, required=400)
    search.next_rate()          # 100
    search.judged(100, True)    # held
    search.next_rate()          # 150 ... until a rate breaks, say 506
    search.next_rate()          # 400: the rate the claim needs is asked directly once it lies in the bracket

When even the first rate breaks, the search steps down (``start / growth``, ...) at most ``MAX_DOWN`` times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_DOWN = 4


def _rounded(rate: float) -> float:
    """Rates are asked to 0.1 req/s (below 10 req/s, to 0.01)."""
    return round(rate, 2 if rate < 10 else 1)


@dataclass
class Search:
    """Rates that held and broke; :meth:`next_rate` is the next to ask, None when the search is over."""

    start: float
    growth: float
    ceiling: float
    resolution: float
    required: float
    held: list[float] = field(default_factory=list)
    broke: list[float] = field(default_factory=list)

    @property
    def bad(self) -> float | None:
        """The lowest rate that broke the SLO."""
        return min(self.broke) if self.broke else None

    @property
    def good(self) -> float | None:
        """The highest rate that held, below every rate that broke."""
        bad = self.bad
        below = [rate for rate in self.held if bad is None or rate < bad]
        return max(below) if below else None

    def judged(self, rate: float, held: bool) -> None:
        (self.held if held else self.broke).append(rate)

    @property
    def resolved(self) -> bool:
        """The bracket is narrow enough: (bad - good) / good at most ``resolution``."""
        good, bad = self.good, self.bad
        return good is not None and bad is not None and (bad - good) / good <= self.resolution + 1e-9

    @property
    def ceiling_held(self) -> bool:
        good = self.good
        return good is not None and good >= self.ceiling - 1e-9

    @property
    def floor_reached(self) -> bool:
        """Even the lowest rate the search may ask broke."""
        bad = self.bad
        return self.good is None and bad is not None and bad / self.growth < self.start / self.growth ** MAX_DOWN

    def next_rate(self) -> float | None:
        good, bad = self.good, self.bad
        if bad is None:
            if good is None:
                return _rounded(self.start)
            return None if self.ceiling_held else _rounded(min(self.ceiling, good * self.growth))
        if good is None:
            return None if self.floor_reached else _rounded(bad / self.growth)
        if self.resolved:
            return None
        required = _rounded(self.required)
        if good < required < bad and required not in self.held + self.broke:
            return required
        middle = _rounded((good + bad) / 2)
        return middle if good < middle < bad else None
