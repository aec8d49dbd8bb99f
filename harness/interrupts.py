"""SIGINT and SIGTERM for the ``harness`` command, from its first instant to its last.

    before and after an audit   the command ends at once with exit 130 (nothing is running)
    during an audit             1st signal: the audit stops; teardown runs and the report is written
                                2nd signal: acknowledged on stderr and ignored (teardown and report go on)
                                3rd signal: the process ends at once with exit 130; what it started is
                                            in the ledger, and the next run removes it

``install_early()`` is the first thing the command does (before the heavy imports); ``during_audit()``
replaces those handlers while an audit runs and puts them back afterwards. Only light parts of the
standard library are imported here (not asyncio), so installing costs a few milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

EXIT_INTERRUPTED = 130
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def say(line: str) -> None:
    """One line on stderr; never raises (stderr may be a closed pipe)."""
    try:
        sys.stderr.write(f"harness: {line}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _early(signum: int, frame: FrameType | None) -> None:
    say(f"interrupted ({signal.Signals(signum).name})")
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    os._exit(EXIT_INTERRUPTED)  # nothing of ours is running; raising here could land in any library's code


def install_early() -> None:
    """A signal outside an audit ends the command with exit 130 and no traceback. For the ``harness``
    command's process only: it replaces the process's handlers (a test calling ``cli.main`` keeps its own)."""
    if threading.current_thread() is threading.main_thread():
        for sig in SIGNALS:
            signal.signal(sig, _early)


@contextmanager
def during_audit(stop: Callable[[str], bool]) -> Iterator[None]:
    """While inside: the first signal calls ``stop(name)`` on the running loop (it returns False when there
    is nothing left to stop), the second is acknowledged and ignored, the third ends the process (130).
    Outside the main thread nothing is installed: whoever runs the audit there handles signals."""
    import asyncio  # here, not at the top: install_early() must not wait for asyncio's import

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    received = 0

    def handle(signum: int, frame: FrameType | None) -> None:
        nonlocal received
        received += 1
        name = signal.Signals(signum).name
        if received == 1:
            say(f"{name}: stopping the audit; teardown and the report follow (a third signal aborts at once)")
            loop.call_soon_threadsafe(stop, name)
        elif received == 2:
            say(f"{name} again: ignored while teardown and the report finish; one more aborts at once")
        else:
            say(f"{name}: aborted; the next run removes what this one left running (see the ledger)")
            os._exit(EXIT_INTERRUPTED)

    previous = {sig: signal.signal(sig, handle) for sig in SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
