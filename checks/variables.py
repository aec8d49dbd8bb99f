"""``{var.NAME}`` values captured or generated inside one check (for example a sequence of requests)."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any, Literal

VAR = re.compile(r"\{var\.([A-Za-z0-9_]+)\}")
Generator = Literal["uuid", "token"]


def generate(kind: Generator) -> str:
    return str(uuid.uuid4()) if kind == "uuid" else secrets.token_hex(12)


def substitute(value: Any, variables: dict[str, Any]) -> Any:
    """Replace ``{var.NAME}``; a string that is only one variable keeps the variable's type."""
    if isinstance(value, str):
        whole = VAR.fullmatch(value)
        if whole and whole.group(1) in variables:
            return variables[whole.group(1)]
        return VAR.sub(lambda m: str(variables.get(m.group(1), m.group(0))), value)
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    return value


def unresolved(value: Any) -> list[str]:
    """Names of ``{var.NAME}`` still present after substitution."""
    if isinstance(value, str):
        return VAR.findall(value)
    if isinstance(value, dict):
        return [n for v in value.values() for n in unresolved(v)]
    if isinstance(value, list):
        return [n for v in value for n in unresolved(v)]
    return []
