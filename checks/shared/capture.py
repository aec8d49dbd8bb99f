"""Values captured from one answer for the requests after it: ``capture: {order: order_id, where: "header:Location"}``.

A source is ``header:NAME`` (a response header) or a JSON path that reads one value. Captured values
and generated ones (``vars:``) are used as ``{var.NAME}`` in later requests and expectations; a
string that is only one variable keeps the variable's type (a captured number stays a number).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel

from readiness_harness.checks.shared.exchange import Exchange
from readiness_harness.checks.shared.jsonpath import MISSING, lookup, single_path
from readiness_harness.checks.shared.variables import substitute, unresolved


def _capture_source(source: str) -> str:
    """``header:NAME`` or a JSON path that reads one value."""
    if source.startswith("header:"):
        if not source[7:].strip():
            raise ValueError("'header:' needs a header name, for example header:Location")
        return source
    return single_path(source)


CaptureSource = Annotated[str, AfterValidator(_capture_source)]


def captured(exchange: Exchange, source: str) -> Any:
    """The value at ``source`` in the exchange's answer, or None when there is none."""
    if source.startswith("header:"):
        return exchange.response.headers.get(source[7:]) if exchange.response is not None else None
    found = lookup(exchange.json(), source)
    return None if found is MISSING else found


def capture_all(capture: dict[str, str], exchange: Exchange, variables: dict[str, Any]) -> list[str]:
    """Store every capture in ``variables``; the sources that held nothing (left unset)."""
    missing = []
    for name, source in capture.items():
        value = captured(exchange, source)
        if value is None:
            missing.append(source)
        else:
            variables[name] = value
    return missing


def with_variables(model: type[BaseModel], value: BaseModel, variables: dict[str, Any]) -> tuple[Any, list[str]]:
    """``value`` with ``{var.NAME}`` filled, validated as ``model`` again; and the names left unresolved."""
    data = substitute(value.model_dump(by_alias=True, exclude_unset=True), variables)
    missing = unresolved(data)
    return (None, missing) if missing else (model.model_validate(data), [])
