"""Dotted paths into JSON documents: ``error.code``, ``balances[0].symbol``, ``components.db.status``."""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class Missing:
    """Marker for a path that does not exist in the document."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING = Missing()


def lookup(document: Any, path: str) -> Any:
    current = document
    for name, index in _TOKEN.findall(path):
        if index:
            if not isinstance(current, list) or int(index) >= len(current):
                return MISSING
            current = current[int(index)]
        elif isinstance(current, dict) and name in current:
            current = current[name]
        else:
            return MISSING
    return current
