"""A service that leaks every secret it is given: it logs them, echoes them and answers with them.

Started by the harness from a target file (``python -m tests.security.leaky_service PORT WITNESS``).
Its secrets come from the environment (``LEAKY_*`` variables). It writes them once to ``WITNESS``,
a file outside the run folder, so that a test can grep the run folder for every one of them.
"""

from __future__ import annotations

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

COPIES_AT_START = 500


def secrets() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name.startswith("LEAKY_")}


class Leaky(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._answer()

    def do_POST(self) -> None:  # noqa: N802
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode(errors="replace") if length else ""
        parts = urlsplit(self.path)
        echo = {"path": parts.path, "query": dict(parse_qsl(parts.query)), "headers": dict(self.headers.items()),
                "body": body, "config": secrets(),
                "dsn": f"postgresql://leaky:{os.environ.get('LEAKY_PASSWORD', '')}@db.internal:5432/app"}
        print(f"request {self.command} {self.path} headers={dict(self.headers.items())} body={body} "
              f"config={secrets()}", flush=True)
        status = 200 if parts.path in ("/echo", "/health") else 404
        data = json.dumps(echo).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Config", json.dumps(secrets()))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        print(f"access {self.address_string()} {format % args}", flush=True)


def main(argv: list[str]) -> int:
    port, witness = int(argv[0]), argv[1]
    with open(witness, "w", encoding="utf-8") as handle:
        json.dump(secrets(), handle)
    for n in range(COPIES_AT_START):
        print(f"starting ({n}): configuration {secrets()}", flush=True)
    print(f"database at {os.environ.get('LEAKY_DATABASE_URL')}", file=sys.stderr, flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Leaky).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
