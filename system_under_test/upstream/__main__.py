"""Entry point of the upstream stand-in: ``python -m readiness_harness.system_under_test.upstream``."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from readiness_harness.system_under_test.upstream.server import create_upstream_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m readiness_harness.system_under_test.upstream",
                                     description="Chain-RPC provider stand-in (loopback test helper).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", default="primary", help="provider name reported by /health and /control")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stdout,
                        format='{"level":"%(levelname)s","logger":"%(name)s","message":"%(message)s"}')
    uvicorn.run(create_upstream_app(args.name), host=args.host, port=args.port, access_log=False,
                log_config=None, log_level="warning", timeout_graceful_shutdown=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
