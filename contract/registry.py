"""The registry that maps a checklist's ``type:`` to a params model and a run function.

A check type declares when it runs (its phase), what the audit must provide for it (for example
a Prometheus) and whether it is the type that judges attestations; the core reads those
declarations and never names a check type itself.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from readiness_harness.contract.crossref import CrossrefHook
from readiness_harness.contract.result import Result

if TYPE_CHECKING:
    from readiness_harness.contract.context import CheckContext

# Keys of an item's ``check:`` that the loader reads itself; a params model may not use them.
CALL_KEYS = ("type", "timeout", "exclusive")


class Phase(StrEnum):
    """When a check runs: functional checks concurrently; load and fault checks each alone."""

    FUNCTIONAL = "functional"
    LOAD = "load"
    FAULT = "fault"


class Capability(StrEnum):
    """What a check type needs the audit to provide."""

    PROMETHEUS = "prometheus"


RunFunction = Callable[[Any, "CheckContext"], Awaitable[Result]]


@dataclass(frozen=True)
class CheckType:
    name: str
    params: type[BaseModel]
    run: RunFunction
    phase: Phase = Phase.FUNCTIONAL
    default_timeout_s: float = 30.0
    needs: frozenset[Capability] = frozenset()
    judges_attestations: bool = False
    formerly: tuple[str, ...] = ()  # earlier names, so a checklist using one is told the new name
    example: str = ""  # one working ``check:`` mapping in YAML, shown by ``harness checks TYPE``
    crossref: CrossrefHook | None = None  # names and files the params refer to, checked before anything starts

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


class RegistrationError(ValueError):
    """A check type that cannot be registered as it is written."""


class Registry:
    """Check types by name. Build a fresh one per audit or test; duplicates are rejected."""

    def __init__(self) -> None:
        self._types: dict[str, CheckType] = {}

    def add(self, check_type: CheckType) -> None:
        if check_type.name in self._types:
            raise RegistrationError(f"check type '{check_type.name}' is already registered")
        _validate_params(check_type)
        if check_type.judges_attestations and self.attestation_type() is not None:
            raise RegistrationError(f"check type '{check_type.name}' would be a second attestation judge")
        self._types[check_type.name] = check_type

    def register(
        self,
        name: str,
        params: type[BaseModel],
        *,
        phase: Phase = Phase.FUNCTIONAL,
        default_timeout_s: float = 30.0,
        needs: frozenset[Capability] = frozenset(),
        judges_attestations: bool = False,
        formerly: tuple[str, ...] = (),
        example: str = "",
        crossref: CrossrefHook | None = None,
    ) -> Callable[[RunFunction], RunFunction]:
        """Decorator form of :meth:`add`."""

        def decorate(run: RunFunction) -> RunFunction:
            self.add(CheckType(name, params, run, phase, default_timeout_s, needs, judges_attestations, formerly,
                               example, crossref))
            return run

        return decorate

    def get(self, name: str) -> CheckType | None:
        return self._types.get(name)

    def renamed(self, old_name: str) -> CheckType | None:
        """The check type that was once called ``old_name``."""
        return next((t for t in self._types.values() if old_name in t.formerly), None)

    def attestation_type(self) -> CheckType | None:
        """The check type that judges items bound to an ``attestation:``."""
        return next((t for t in self._types.values() if t.judges_attestations), None)

    def names(self) -> list[str]:
        return sorted(self._types)

    def __iter__(self) -> Iterator[CheckType]:
        return iter(self._types[name] for name in self.names())

    def __contains__(self, name: object) -> bool:
        return name in self._types


def _validate_params(check_type: CheckType) -> None:
    """A params model must refuse unknown keys (a typo would be ignored) and leave the call keys alone."""
    model = check_type.params
    if model.model_config.get("extra") != "forbid":
        raise RegistrationError(f"check type '{check_type.name}': {model.__name__} must forbid unknown keys "
                                "(model_config = ConfigDict(extra='forbid'))")
    taken = sorted({f.alias or n for n, f in model.model_fields.items()} & set(CALL_KEYS))
    if taken:
        raise RegistrationError(f"check type '{check_type.name}': {model.__name__} uses the reserved key(s) "
                                f"{', '.join(taken)}, which the loader reads itself")
