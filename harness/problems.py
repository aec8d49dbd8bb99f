"""The problems of one user-written file, kept up to a limit and counted beyond it.

A file with 190,000 bad entries is answered with the first few hundred problems and "... and N more":
building a problem (its line, a "did you mean") costs far more than counting one.
"""

from __future__ import annotations

from collections.abc import Iterable

from readiness_harness.contract.errors import ChecklistError, Problem

MAX_PROBLEMS = 200


class Problems:
    """The problems of one file, kept up to ``limit``; beyond it they are only counted, so a file with
    200,000 bad entries costs a count, not 200,000 suggestions."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.limit = limit
        self.kept: list[Problem] = []
        self.omitted = 0

    @property
    def full(self) -> bool:
        return len(self.kept) >= self.limit

    @property
    def room(self) -> int:
        return max(0, self.limit - len(self.kept))

    def add(self, problem: Problem) -> None:
        if self.full:
            self.omitted += 1
        else:
            self.kept.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.add(problem)

    def count(self, found: int) -> None:
        """Problems found but not built (the list is full)."""
        self.omitted += found

    def __bool__(self) -> bool:
        return bool(self.kept)

    def error(self) -> ChecklistError:
        return ChecklistError(sorted(self.kept, key=lambda p: (p.line or 0, p.path)), omitted=self.omitted)
