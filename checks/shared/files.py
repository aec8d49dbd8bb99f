"""Files a checklist names: the result for a missing one, and regular expressions over their text."""

from __future__ import annotations

import re
from pathlib import Path

from readiness_harness.contract.evidence import Observation
from readiness_harness.contract.result import Result


def missing_file(path: Path, what: str = "file") -> Result:
    """Failed: the file (or folder) the checklist names is not there."""
    return Result.failed(f"{path} does not exist",
                         Observation(label=what, observed="<absent>", expected=f"{path}", ok=False))


def pattern_observations(text: str, patterns: list[str], present: bool) -> list[Observation]:
    """One observation per pattern: found where it must be, absent where it must not."""
    out = []
    for pattern in patterns:
        found = re.search(pattern, text, re.MULTILINE) is not None
        out.append(Observation(label=f"pattern /{pattern}/", observed="found" if found else "absent",
                               expected="found" if present else "absent", ok=found == present))
    return out
