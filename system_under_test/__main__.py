"""``python -m readiness_harness.system_under_test --host H --port P`` runs the API; ``--list-defects`` lists switches.

Configuration comes from the environment (see ``.env.example``); an invalid or missing variable
ends the process with exit code 2 and a message naming the variable. SIGTERM drains in-flight
requests for up to SHUTDOWN_GRACE_S seconds, then closes pools. ``--tls-dir DIR`` serves HTTPS
with a throwaway CA and certificate kept in DIR (see tls.py). Everything the service writes at
start-up (its certificate, and the hardcoded_secret defect's credentials file) is written
before it listens: whoever gets an answer from it can rely on those files.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from types import FrameType

import uvicorn
from fastapi import FastAPI

from readiness_harness.system_under_test.config import ConfigError, Settings, load_settings
from readiness_harness.system_under_test.defects import describe_all
from readiness_harness.system_under_test.logs import configure_logging
from readiness_harness.system_under_test.serving import TimedH11Protocol

EXIT_CONFIG = 2


class AbruptServer(uvicorn.Server):
    """The no_graceful_shutdown defect: SIGTERM ends the process with requests still in flight."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        sys.stdout.flush()
        os._exit(128 + sig)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m readiness_harness.system_under_test",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--list-defects", action="store_true", help="print the defect switches and exit")
    parser.add_argument("--tls-dir", type=Path, default=None,
                        help="serve HTTPS; the CA (ca.pem) and certificate are kept in this folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list_defects:
        print(describe_all())
        return 0
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.log_level, structured="unstructured_logs" not in settings.defects)
    from readiness_harness.system_under_test.app import create_app  # after validation, so config errors fail fast

    try:
        app = create_app(settings)
    except ValueError as exc:  # e.g. an unsupported DATABASE_URL scheme
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    config = server_config(app, args, settings)
    server_class = AbruptServer if "no_graceful_shutdown" in settings.defects else uvicorn.Server
    server = server_class(config)
    server.run()
    if not server.started:
        return 3
    return 0


def server_config(app: FastAPI, args: argparse.Namespace, settings: Settings) -> uvicorn.Config:
    """uvicorn's configuration, loaded; with ``--tls-dir``, the certificate is issued first."""
    certfile = keyfile = None
    weak = "weak_tls" in settings.defects
    if args.tls_dir is not None:
        from readiness_harness.system_under_test.tls import prepare

        files = prepare(args.tls_dir, weak=weak)
        certfile, keyfile = str(files.cert), str(files.key)
    config = uvicorn.Config(
        app, host=args.host, port=args.port, workers=1, access_log=False, log_config=None,
        timeout_graceful_shutdown=math.ceil(settings.shutdown_grace_s), server_header=False,
        proxy_headers=False, lifespan="on", http=TimedH11Protocol, ssl_certfile=certfile, ssl_keyfile=keyfile,
    )
    config.load()
    if config.ssl is not None:
        from readiness_harness.system_under_test.tls import harden

        harden(config.ssl, weak=weak)
    return config


if __name__ == "__main__":
    sys.exit(main())
