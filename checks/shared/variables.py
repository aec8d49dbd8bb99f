"""``{var.NAME}`` values captured or generated inside one check (for example a sequence of requests)."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any, Literal

VAR = re.compile(r"\{var\.([A-Za-z0-9_]+)\}")
FRESH = re.compile(r"\{fresh\.(uuid|token|evm_address)\}")
Generator = Literal["uuid", "token", "evm_address"]


def generate(kind: Generator) -> str:
    """A fresh value per run: a UUID, a 24-hex-digit token, or a random EVM address (lower case)."""
    if kind == "uuid":
        return str(uuid.uuid4())
    if kind == "evm_address":
        return "0x" + secrets.token_hex(20)
    return secrets.token_hex(12)


def fresh(value: Any) -> Any:
    """Replace ``{fresh.KIND}`` with a new value at every call (a new address per request sent)."""
    if isinstance(value, str):
        return FRESH.sub(lambda m: generate(m.group(1)), value)  # type: ignore[arg-type]
    if isinstance(value, dict):
        return {k: fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fresh(v) for v in value]
    return value


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
