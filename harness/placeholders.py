"""``{port.api}``, ``{secret.key}``, ``{secret.key|sha256}``, ``{proxy.db}``, ``{env.HOME}``, ``{python}``...

Placeholders are filled from values the harness picks at provisioning time. Secrets are
random per run and remembered so that every report can redact them; so are the other values
that must never be shown (the rule is in ``contract/redaction.py``): ``{env.NAME}`` values used
by a placeholder that look like secrets, and the password of every URL with ``user:password@``
that a placeholder hands out (``{dep.NAME.url}``) or that an expanded value holds.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sys
from collections.abc import Mapping
from typing import Any

from readiness_harness.contract.errors import TargetError
from readiness_harness.contract.net import free_port
from readiness_harness.contract.redaction import env_value_is_secret, url_passwords

PATTERN = re.compile(r"\{((?:port|secret|proxy|env|dep)\.[A-Za-z0-9_.-]+|python|run_dir|base_url)(\|sha256)?\}")


def names_in(value: Any, kind: str) -> set[str]:
    """Every ``{kind.NAME}`` used anywhere in a nested value."""
    found: set[str] = set()
    for text in _strings(value):
        for match in PATTERN.finditer(text):
            key = match.group(1)
            if key.startswith(kind + "."):
                found.add(key.split(".", 1)[1])
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


class Placeholders:
    def __init__(self, values: Mapping[str, str] | None = None, *, environ: Mapping[str, str] | None = None):
        self._values: dict[str, str] = {"python": sys.executable, **(values or {})}
        self._environ = os.environ if environ is None else environ
        self._secrets: set[str] = set()

    def put(self, key: str, value: str) -> None:
        self._values[key] = value
        self._secrets = self._secrets | url_passwords(value)  # replaced, never changed: log pumps read it

    def add_secret(self, name: str) -> str:
        token = secrets.token_urlsafe(24)
        self._values[f"secret.{name}"] = token
        self._secrets = self._secrets | {token}
        return token

    def allocate_ports(self, names: set[str], host: str = "127.0.0.1") -> None:
        for name in sorted(names):
            self._values.setdefault(f"port.{name}", str(free_port(host)))

    @property
    def secret_values(self) -> set[str]:
        """Every value that must never reach a report (the set grows as placeholders are expanded)."""
        return set(self._secrets)

    def get(self, key: str) -> str | None:
        return self._values.get(key)

    def expand(self, value: Any) -> Any:
        """Fill every placeholder in ``value`` (strings inside lists and mappings too)."""
        if isinstance(value, str):
            expanded = PATTERN.sub(self._replace, value)
            if "://" in expanded:
                self._secrets = self._secrets | url_passwords(expanded)
            return expanded
        if isinstance(value, Mapping):
            return {k: self.expand(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.expand(v) for v in value]
        return value

    def _replace(self, match: re.Match[str]) -> str:
        key, transform = match.group(1), match.group(2)
        found = self._environ.get(key[4:]) if key.startswith("env.") else self._values.get(key)
        if found is None:
            raise TargetError(f"unknown placeholder {{{key}}}: nothing provides it")
        if key.startswith("env.") and env_value_is_secret(key[4:], found):
            self._secrets = self._secrets | {found}
        elif "://" in found:
            self._secrets = self._secrets | url_passwords(found)
        return hashlib.sha256(found.encode()).hexdigest() if transform == "|sha256" else found
