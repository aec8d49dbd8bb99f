"""Choose and start the Toxiproxy server an audit talks to.

In order of preference:

1. ``TOXIPROXY_URL`` is set: use that server; nothing is started (kind ``external``).
2. ``toxiproxy-server`` is on PATH: start it on a free loopback port (kind ``real``).
3. Otherwise start the embedded server as a subprocess,
   ``python -m readiness_harness.chaos.server --host 127.0.0.1 --port 0`` (kind ``embedded``), and learn its
   port from the line it prints when ready.

``close()`` stops what was started (SIGTERM, then SIGKILL after a grace period); it is
idempotent and also runs at interpreter exit. The embedded server also watches a pipe on
its stdin and exits when it closes, so it does not outlive even a killed parent.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

import httpx

from readiness_harness.chaos.exceptions import ToxiproxyUnreachable
from readiness_harness.contract.net import free_port

Kind = Literal["external", "real", "embedded"]
READY_PREFIX = "toxiproxy listening on "


@dataclass
class ToxiproxyHandle:
    """A Toxiproxy server in use: where it answers, what it is, and how to stop it."""

    url: str
    kind: Kind
    version: str
    process: subprocess.Popen[bytes] | None = None
    grace: float = 5.0
    _closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        """Stop the server if this handle started it. Safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        if self.process is not None:
            stop_process(self.process, grace=self.grace)

    def __enter__(self) -> ToxiproxyHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def start_toxiproxy(
    *, env: Mapping[str, str] = os.environ, timeout: float = 10.0, grace: float = 5.0
) -> ToxiproxyHandle:
    """Find or start a Toxiproxy server and return a handle once its API answers."""
    url = env.get("TOXIPROXY_URL", "").strip()
    if url:
        return ToxiproxyHandle(url=url.rstrip("/"), kind="external", version=wait_ready(url, timeout=timeout))
    binary = shutil.which("toxiproxy-server", path=env.get("PATH"))
    if binary is not None:
        return _start_real(binary, env=env, timeout=timeout, grace=grace)
    return _start_embedded(env=env, timeout=timeout, grace=grace)


def _start_real(binary: str, *, env: Mapping[str, str], timeout: float, grace: float) -> ToxiproxyHandle:
    port = free_port()
    command = [binary, "-host", "127.0.0.1", "-port", str(port)]
    process = _spawn(command, env=dict(env), stdout=subprocess.DEVNULL)
    handle = ToxiproxyHandle(url=f"http://127.0.0.1:{port}", kind="real", version="", process=process, grace=grace)
    atexit.register(handle.close)
    try:
        handle.version = wait_ready(handle.url, timeout=timeout, process=process)
    except BaseException:
        handle.close()
        raise
    return handle


def _start_embedded(*, env: Mapping[str, str], timeout: float, grace: float) -> ToxiproxyHandle:
    command = [sys.executable, "-m", "readiness_harness.chaos.server", "--host", "127.0.0.1", "--port", "0",
               "--exit-on-stdin-eof"]
    process = _spawn(command, env=dict(env), stdout=subprocess.PIPE, stdin=subprocess.PIPE)
    handle = ToxiproxyHandle(url="", kind="embedded", version="", process=process, grace=grace)
    atexit.register(handle.close)
    try:
        handle.url = _read_ready_line(process, timeout=timeout)
        handle.version = wait_ready(handle.url, timeout=timeout, process=process)
    except BaseException:
        handle.close()
        raise
    return handle


def _spawn(
    command: list[str], *, env: dict[str, str], stdout: int, stdin: int = subprocess.DEVNULL
) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(command, env=env, stdin=stdin, stdout=stdout)
    except OSError as exc:
        raise ToxiproxyUnreachable(f"could not start {command[0]}: {exc}") from exc


def _read_ready_line(process: subprocess.Popen[bytes], *, timeout: float) -> str:
    """Wait (bounded) for ``toxiproxy listening on URL`` on the child's stdout."""
    stdout = process.stdout
    if stdout is None:
        raise ToxiproxyUnreachable("embedded toxiproxy has no stdout to read")
    deadline = time.monotonic() + timeout
    buffer = b""
    while b"\n" not in buffer:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            raise ToxiproxyUnreachable(f"embedded toxiproxy not ready (exit code {process.poll()})")
        if _readable(stdout.fileno(), min(remaining, 0.2)):
            chunk = os.read(stdout.fileno(), 4096)
            if not chunk:
                raise ToxiproxyUnreachable(f"embedded toxiproxy exited (code {process.wait(timeout=1)})")
            buffer += chunk
    line = buffer.split(b"\n", 1)[0].decode(errors="replace").strip()
    if not line.startswith(READY_PREFIX):
        raise ToxiproxyUnreachable(f"unexpected first line from embedded toxiproxy: {line!r}")
    return line.removeprefix(READY_PREFIX)


def _readable(fd: int, timeout: float) -> bool:
    ready, _, _ = select.select([fd], [], [], timeout)
    return bool(ready)


def stop_process(process: subprocess.Popen[bytes], *, grace: float = 5.0) -> None:
    """SIGTERM, wait up to ``grace`` seconds, then SIGKILL; always reaps the child."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for pipe in (process.stdin, process.stdout):
        if pipe is not None:
            pipe.close()


def wait_ready(url: str, *, timeout: float = 10.0, process: subprocess.Popen[bytes] | None = None) -> str:
    """Poll ``GET /version`` until it answers; return the version string."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    with httpx.Client(base_url=url, timeout=1.0) as http:
        while time.monotonic() < deadline:
            if process is not None and process.poll() is not None:
                raise ToxiproxyUnreachable(f"toxiproxy at {url} exited with code {process.returncode}")
            try:
                return _version_of(http.get("/version"))
            except httpx.HTTPError as exc:
                last_error = exc
            time.sleep(0.05)
    raise ToxiproxyUnreachable(f"toxiproxy at {url} did not answer within {timeout:.1f}s: {last_error!r}")


async def wait_ready_async(url: str, *, timeout: float = 10.0) -> str:
    """Async ``wait_ready``: poll ``GET /version`` until it answers; return the version."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    async with httpx.AsyncClient(base_url=url, timeout=1.0) as http:
        while time.monotonic() < deadline:
            try:
                return _version_of(await http.get("/version"))
            except httpx.HTTPError as exc:
                last_error = exc
            await asyncio.sleep(0.05)
    raise ToxiproxyUnreachable(f"toxiproxy at {url} did not answer within {timeout:.1f}s: {last_error!r}")


def _version_of(response: httpx.Response) -> str:
    response.raise_for_status()
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()
    return str(data.get("version", "")) if isinstance(data, dict) else str(data)
