"""``python -m readiness_harness.chaos.server --host 127.0.0.1 --port 8474``: run the embedded server.

Prints ``toxiproxy listening on http://HOST:PORT`` once ready (``--port 0`` picks a free
port) and exits cleanly on SIGTERM or SIGINT, or, with ``--exit-on-stdin-eof``, when its
standard input closes (the parent that started it has gone, even if killed).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from readiness_harness.chaos.server.service import ToxiproxyServer


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m readiness_harness.chaos.server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="control API address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8474, help="control API port; 0 picks a free one")
    parser.add_argument(
        "--exit-on-stdin-eof", action="store_true", help="stop when standard input is closed (parent gone)"
    )
    return parser.parse_args(argv)


async def _set_on_eof(reader: asyncio.StreamReader, stop: asyncio.Event) -> None:
    while await reader.read(4096):
        pass
    stop.set()


async def run(host: str, port: int, *, exit_on_stdin_eof: bool = False) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    watcher: asyncio.Task[None] | None = None
    if exit_on_stdin_eof:
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        watcher = loop.create_task(_set_on_eof(reader, stop))
    server = await ToxiproxyServer(host, port).start()
    try:
        print(f"toxiproxy listening on {server.url}", flush=True)
        await stop.wait()
    finally:
        if watcher is not None:
            watcher.cancel()
        await server.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        asyncio.run(run(args.host, args.port, exit_on_stdin_eof=args.exit_on_stdin_eof))
    except OSError as exc:
        print(f"toxiproxy: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
