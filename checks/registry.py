"""The registry that maps a checklist's ``type:`` to a params model and a run function."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from readiness_harness.result import Result

if TYPE_CHECKING:
    from readiness_harness.context import CheckContext


class Phase(StrEnum):
    """When a check runs: functional checks concurrently; load and fault checks each alone."""

    FUNCTIONAL = "functional"
    LOAD = "load"
    FAULT = "fault"


RunFunction = Callable[[Any, "CheckContext"], Awaitable[Result]]


@dataclass(frozen=True)
class CheckType:
    name: str
    params: type[BaseModel]
    run: RunFunction
    phase: Phase = Phase.FUNCTIONAL
    default_timeout_s: float = 30.0

    @property
    def description(self) -> str:
        """The first line of the run function's docstring."""
        doc = inspect.getdoc(self.run) or ""
        return doc.splitlines()[0] if doc else ""

    def parameters(self) -> list[tuple[str, str, bool]]:
        """(name, annotation, required) for each parameter, for ``harness checks``."""
        out = []
        for name, field in self.params.model_fields.items():
            shown = field.alias or name
            out.append((shown, _annotation(field.annotation), field.is_required()))
        return out


def _annotation(annotation: Any) -> str:
    if isinstance(annotation, type) and not getattr(annotation, "__args__", None):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("NoneType", "None")


class Registry:
    """Check types by name. Build a fresh one per audit or test; duplicates are rejected."""

    def __init__(self) -> None:
        self._types: dict[str, CheckType] = {}

    def add(self, check_type: CheckType) -> None:
        if check_type.name in self._types:
            raise ValueError(f"check type '{check_type.name}' is already registered")
        self._types[check_type.name] = check_type

    def register(
        self,
        name: str,
        params: type[BaseModel],
        *,
        phase: Phase = Phase.FUNCTIONAL,
        default_timeout_s: float = 30.0,
    ) -> Callable[[RunFunction], RunFunction]:
        """Decorator form of :meth:`add`."""

        def decorate(run: RunFunction) -> RunFunction:
            self.add(CheckType(name, params, run, phase, default_timeout_s))
            return run

        return decorate

    def get(self, name: str) -> CheckType | None:
        return self._types.get(name)

    def names(self) -> list[str]:
        return sorted(self._types)

    def __iter__(self) -> Iterator[CheckType]:
        return iter(self._types[name] for name in self.names())

    def __contains__(self, name: object) -> bool:
        return name in self._types
