"""Exceptions raised by the harness.

    HarnessError
    ├── ChecklistError        the checklist (or an attestation/waiver/target file) is invalid: exit 2
    │                         carries every problem found, each with file, line, path and a fix
    ├── TargetError           the target could not be provisioned or reached: exit 3
    └── CheckFailure          raised by a check to report that the service missed the bar

Exceptions from libraries are translated at the boundary (``raise TargetError(...) from exc``).
"""

from __future__ import annotations

from dataclasses import dataclass


class HarnessError(Exception):
    """Base class of every error the harness raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a user-written file."""

    file: str
    line: int | None
    path: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text}. {self.hint}" if self.hint else text


class ChecklistError(HarnessError):
    """A user-written file is invalid; ``problems`` lists everything found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class TargetError(HarnessError):
    """The target environment could not be started, reached or torn down."""


class CheckFailure(HarnessError):
    """Raised inside a check when the service missed the bar."""
