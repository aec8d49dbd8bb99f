"""Changing the asked request rate of a running load: the plugin's control file.

The master (or the only Locust process) polls the file every 0.2 s and applies a change at once
(the master relays it to its workers); the record then carries the new asked rate in every bucket,
so a rate step's span can be judged against what was asked of it.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


class RateControl:
    """``set_rate(120)`` asks the running load for 120 req/s, shared by its ``users``."""

    def __init__(self, path: Path, users: int) -> None:
        self.path = path
        self.users = max(1, users)
        self.changes: list[tuple[float, float]] = []

    def set_rate(self, rps: float) -> None:
        if rps < 0:
            raise ValueError("a request rate cannot be negative")
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"rate_per_user": rps / self.users, "rate": rps}))
        os.replace(temporary, self.path)  # the plugin never reads a half-written file
        self.changes.append((time.time(), rps))
