"""The ``harness`` command's entry point: the signal handlers first, everything else after.

Importing the command's modules takes a second or more; a SIGTERM or Ctrl-C in that second must end the
command with exit 130 like any other interrupt, not with a traceback or a bare -15. So this module
imports only the standard library before it installs the handlers (``interrupts.install_early``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from readiness_harness.interrupts import install_early

    install_early()
    from readiness_harness.cli import main as command

    return command(argv)


if __name__ == "__main__":
    sys.exit(main())
