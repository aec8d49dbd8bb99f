"""A started process's output, written to its log file with secrets redacted: never a raw copy on disk.

The process writes into a pipe (grown to 1 MiB, so a busy service does not wait on the harness);
a thread reads the pipe and appends to the log file whatever is complete: whole lines, redacted
with the secrets known at that moment (the set grows while the audit runs). A line longer than
``MAX_PENDING`` is written in pieces, holding back as many bytes as the longest secret, so that a
secret split between two reads is still found. If the harness dies, what was not yet written is
lost with it, rather than left on disk unredacted. Which secrets it redacted, and where, is kept
(:meth:`LogPump.redacted_since`), so a check can still tell that a service logged its keys.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Callable, Collection
from pathlib import Path
from typing import BinaryIO

from readiness_harness.contract.redaction import redactor

MAX_PENDING = 64 * 1024
PIPE_SIZE = 1024 * 1024
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)

Secrets = Callable[[], Collection[str]]


def no_secrets() -> Collection[str]:
    return ()


class StreamRedactor:
    """Redacts a byte stream fed in pieces: :meth:`feed` returns what is safe to write now."""

    def __init__(self, secrets: Secrets = no_secrets) -> None:
        self.secrets = secrets
        self.changed = False
        self.hits: set[str] = set()  # the secrets redacted by the last feed
        self._pending = b""

    def feed(self, data: bytes) -> bytes:
        self.hits = set()
        buffer = self._pending + data
        end = buffer.rfind(b"\n") + 1
        if end:
            self._pending = buffer[end:]
            return self._redacted(buffer[:end])
        if len(buffer) <= MAX_PENDING:
            self._pending = buffer
            return b""
        redacted = self._redacted(buffer)
        keep = max(redactor(frozenset(self.secrets())).longest - 1, 0)
        self._pending = redacted[len(redacted) - keep:]
        return redacted[: len(redacted) - keep]

    def finish(self) -> bytes:
        self.hits = set()
        rest, self._pending = self._pending, b""
        return self._redacted(rest) if rest else b""

    def _redacted(self, data: bytes) -> bytes:
        out = redactor(frozenset(self.secrets())).bytes(data, self.hits)
        self.changed = self.changed or out != data
        return out


class LogPump:
    """Copies a pipe into ``log_path``, redacted; :meth:`open` gives the end the process writes to."""

    def __init__(self, log_path: Path, secrets: Secrets = no_secrets) -> None:
        self.log_path = log_path
        self.secrets = secrets
        self._read_fd: int | None = None
        self._thread: threading.Thread | None = None
        self._written_at: dict[str, int] = {}  # secret -> where the log ended after it was last redacted

    def redacted_since(self, offset: int) -> set[str]:
        """The secrets the process wrote (and the pump redacted) after ``offset`` bytes of the log."""
        return {secret for secret, end in dict(self._written_at).items() if end > offset}

    def open(self) -> int:
        """A new pipe; returns its write end (the caller closes it once the process has it)."""
        self._read_fd, write_fd = os.pipe()
        with contextlib.suppress(OSError):
            fcntl.fcntl(write_fd, _F_SETPIPE_SZ, PIPE_SIZE)
        return write_fd

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"log pump {self.log_path.name}", daemon=True)
        self._thread.start()

    def discard(self) -> None:
        """The process did not start: close the pipe's read end."""
        if self._read_fd is not None:
            os.close(self._read_fd)
            self._read_fd = None

    def join(self, timeout_s: float = 5.0) -> None:
        """Wait until every writer closed the pipe and the log holds everything."""
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        fd = self._read_fd
        if fd is None:
            return
        stream = StreamRedactor(self.secrets)
        try:
            with self.log_path.open("ab") as log:
                while data := os.read(fd, 65536):
                    if ready := stream.feed(data):
                        self._write(log, ready, stream.hits)
                self._write(log, stream.finish(), stream.hits)
        finally:
            os.close(fd)

    def _write(self, log: BinaryIO, data: bytes, hits: set[str]) -> None:
        if hits:  # recorded first: whoever reads these lines must also learn what they hid
            self._written_at.update(dict.fromkeys(hits, log.tell() + len(data)))
        log.write(data)
        log.flush()
