"""Load generation efficiency: the harness's load check against bare Locust (filled in below)."""

from __future__ import annotations

from typing import Any


def run() -> dict[str, Any]:
    raise NotImplementedError("load benchmark lands with the Locust runner")
