"""Placeholders a checklist or target file uses that nothing will provide, found before anything starts.

``{port.NAME}`` is allocated for every name the target file itself uses, so a checklist may only use
those; ``{secret.NAME}`` needs ``NAME`` in the target's ``secrets:``; ``{proxy.NAME}`` a proxy or a
proxied dependency; ``{dep.NAME.FIELD}`` a dependency and one of url, host, port, direct_url. A
placeholder-like word that is close to a known one (``{prot.api}``, ``{base_ur}``) is a typo.
Braces that are nothing like a placeholder (``{chain}`` in a route template, JSON) are left alone.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from readiness_harness.yamlsrc import PathKey

KINDS = ("port", "secret", "proxy", "env", "dep")
CHECK_KINDS = ("var", "fresh")  # filled inside a check, per run
BARE = ("python", "run_dir", "base_url")
CHECK_BARE = ("payload", "window")
DEP_FIELDS = ("url", "host", "port", "direct_url")
TRANSFORMS = ("|sha256",)
_LIKE = re.compile(r"\{([A-Za-z_]+)(?:\.([A-Za-z0-9_.-]+))?(\|[A-Za-z0-9_]+)?\}")


@dataclass(frozen=True)
class Provided:
    """What a target file provides to placeholders."""

    ports: frozenset[str]
    secrets: frozenset[str]
    proxies: frozenset[str]
    dependencies: frozenset[str]


def strings(value: Any, path: PathKey = ()) -> Iterator[tuple[PathKey, str]]:
    """Every string inside a parsed YAML value (mapping keys included), with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(key, str):
                yield (*path, key), key
            yield from strings(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from strings(inner, (*path, index))


def problems_in(text: str, provided: Provided | None, *, in_target: bool) -> list[tuple[str, str | None]]:
    """(message, hint) for each placeholder in ``text`` that nothing provides."""
    out = []
    for match in _LIKE.finditer(text):
        found = _judge(match.group(0), match.group(1), match.group(2), match.group(3), provided, in_target)
        if found is not None:
            out.append(found)
    return out


def _judge(whole: str, kind: str, name: str | None, transform: str | None, provided: Provided | None,
           in_target: bool) -> tuple[str, str | None] | None:
    if name is None:
        if kind in BARE or kind in CHECK_BARE or transform:
            return None
        close = difflib.get_close_matches(kind, BARE, n=1, cutoff=0.8)
        return (f"unknown placeholder {whole}", f"Did you mean {{{close[0]}}}?") if close else None
    if kind in CHECK_KINDS:
        return None
    if kind not in KINDS:
        close = difflib.get_close_matches(kind, (*KINDS, *CHECK_KINDS), n=1, cutoff=0.6)
        hint = f"Did you mean {{{close[0]}.{name}}}?" if close else None
        return (f"unknown placeholder {whole}", hint) if close else None
    if transform and transform not in TRANSFORMS:
        return f"unknown transform {transform} in {whole}", f"The only transform is {', '.join(TRANSFORMS)}."
    if provided is None:
        return None
    return _against_target(whole, kind, name, provided, in_target)


def _against_target(whole: str, kind: str, name: str, provided: Provided,
                    in_target: bool) -> tuple[str, str | None] | None:
    if kind == "port" and not in_target and name not in provided.ports:
        return _missing(whole, name, provided.ports, "the target file uses no such port",
                        "A port is allocated for each {port.NAME} the target file uses")
    if kind == "secret" and name not in provided.secrets:
        return _missing(whole, name, provided.secrets, "no such name in the target's `secrets:`",
                        "Add it to `secrets:` in the target file")
    if kind == "proxy" and name not in provided.proxies:
        return _missing(whole, name, provided.proxies, "the target has no such fault proxy",
                        "Proxies are the target's `proxies:` and its proxied `dependencies:`")
    if kind == "dep":
        dependency, _, field = name.rpartition(".")
        if field not in DEP_FIELDS or not dependency:
            return f"{whole} names no field of a dependency", f"Write {{dep.NAME.FIELD}}, FIELD one of " \
                   f"{', '.join(DEP_FIELDS)}."
        if dependency not in provided.dependencies:
            return _missing(whole, dependency, provided.dependencies, "the target has no such dependency",
                            "Dependencies are the target's `dependencies:`")
    return None


def _missing(whole: str, name: str, known: frozenset[str], why: str, where: str) -> tuple[str, str | None]:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    known_text = ", ".join(sorted(known)) or "none"
    hint = (f"Did you mean '{close[0]}'? " if close else "") + f"{where} (known: {known_text})."
    return f"unknown placeholder {whole}: {why}", hint
