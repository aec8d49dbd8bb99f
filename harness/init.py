"""``harness init``: a starter checklist, target file and locustfile for a service, that validate and run.

    harness init --command "gunicorn -b 127.0.0.1:{port.app} myapp:app" --health /health
    harness init --base-url http://127.0.0.1:8080 --health /healthz --openapi /openapi.json

With ``--command`` the harness starts the service itself (a target file is written: the command must
listen on ``{port.NAME}``, a free loopback port picked per run, or on ``--port N``); with
``--base-url`` it audits a service that already runs (no target file). The checklist holds liveness,
a clean 404 for an unknown path, basic security headers, a bounded load test driven by a plain
locustfile, and an API fuzz item when an OpenAPI document is named. Nothing is overwritten without
``--force``; the files are validated before the command returns.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness_harness.contract.errors import ChecklistError
from readiness_harness.contract.registry import Registry
from readiness_harness.crossref import raise_for_references
from readiness_harness.loader import load_checklist
from readiness_harness.schemas import checklist_schema, render, target_schema

PORT = re.compile(r"\{port\.([A-Za-z0-9_-]+)\}")
SCHEMA_DIR = ".harness"
LOCUSTFILE = '''"""Load for the `load-health` item: a plain Locust user; it imports nothing of the harness."""

from locust import HttpUser, task


class ServiceUser(HttpUser):
    @task
    def health(self) -> None:
        self.client.get({path!r}, name="health")
'''


@dataclass(frozen=True)
class Starter:
    """What ``harness init`` was told about the service."""

    name: str
    health: str
    command: list[str] | None = None
    base_url: str | None = None
    port: int | None = None
    openapi: str | None = None
    cwd: str = "."
    schemas: str = SCHEMA_DIR

    @property
    def service_url(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        names = PORT.findall(" ".join(self.command or []))
        return f"http://127.0.0.1:{{port.{names[0]}}}" if names else f"http://127.0.0.1:{self.port}"


def add_init_parser(sub: Any) -> None:
    init = sub.add_parser("init", help="write a starter checklist, target file and locustfile for a service")
    where = init.add_mutually_exclusive_group(required=True)
    where.add_argument("--command", dest="start_command",
                       help="how to start the service; it listens on {port.NAME} (or --port)")
    where.add_argument("--base-url", help="a service that already runs (no target file is written)")
    init.add_argument("--health", default="/health", help="the health endpoint's path (default /health)")
    init.add_argument("--port", type=int, help="the fixed port the command listens on, when it has no {port.NAME}")
    init.add_argument("--openapi", help="the OpenAPI document: a path on the service, a URL or a local file")
    init.add_argument("--name", help="the service's name (default: the output folder's name)")
    init.add_argument("--out", type=Path, default=Path("."), help="where to write the files (default .)")
    init.add_argument("--force", action="store_true", help="overwrite files that exist")
    init.add_argument("--schemas", help="a folder that holds the JSON Schemas already (relative to --out): "
                      "reference it instead of writing them to .harness/")


def run_init(args: argparse.Namespace, registry: Registry) -> int:
    out: Path = args.out
    command = shlex.split(args.start_command) if args.start_command else None
    if command is not None and not PORT.search(args.start_command) and args.port is None:
        print("harness: the command must listen on {port.NAME} (a free port the harness picks per run), "
              'for example --command "gunicorn -b 127.0.0.1:{port.app} app:app", or pass --port N', file=sys.stderr)
        return 2
    health = args.health if args.health.startswith("/") else "/" + args.health.split("://", 1)[-1].split("/", 1)[-1]
    starter = Starter(name=_slug(args.name or out.resolve().name), health=health, command=command,
                      base_url=args.base_url, port=args.port, openapi=args.openapi,
                      cwd=Path(os.path.relpath(Path.cwd(), out.resolve())).as_posix(),
                      schemas=args.schemas or SCHEMA_DIR)
    files = starter_files(starter, registry)
    existing = [name for name in files if (out / name).exists()]
    if existing and not args.force:
        print(f"harness: {', '.join(str(out / n) for n in existing)} exist(s); pass --force to overwrite",
              file=sys.stderr)
        return 2
    for name, text in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text, encoding="utf-8")
    return _report(out, starter, registry)


def _report(out: Path, starter: Starter, registry: Registry) -> int:
    checklist = out / "checklist.yaml"
    try:
        loaded = load_checklist(checklist, registry)
        raise_for_references(loaded, registry, target_file=out / "target.yaml" if starter.command else None)
    except ChecklistError as exc:
        print(f"harness: the files written do not validate:\n{exc}", file=sys.stderr)
        return 2
    run = f"harness audit {checklist}" + (f" --base-url {starter.base_url}" if starter.base_url else "")
    print(f"wrote {checklist} ({len(loaded.checklist.items())} items), "
          + (f"{out / 'target.yaml'}, " if starter.command else "") + f"{out / 'locustfile.py'}")
    print(f"next: {run}\n      `harness checks TYPE` lists every field of a check type; edit, then "
          f"`harness validate {checklist}`")
    return 0


def starter_files(starter: Starter, registry: Registry) -> dict[str, str]:
    """File name -> text, relative to the output folder."""
    files = {"checklist.yaml": checklist_text(starter), "locustfile.py": LOCUSTFILE.format(path=starter.health)}
    if starter.command:
        files["target.yaml"] = target_text(starter)
    if starter.schemas == SCHEMA_DIR:
        files[f"{SCHEMA_DIR}/checklist.schema.json"] = render(checklist_schema(registry))
        if starter.command:
            files[f"{SCHEMA_DIR}/target.schema.json"] = render(target_schema())
    return files


def checklist_text(starter: Starter) -> str:
    target = "\n  target: target.yaml" if starter.command else ""
    items = [_item("liveness", "The health endpoint answers 200 within a second", "critical",
                   {"type": "http", "path": starter.health, "expect": {"status": 200, "max_latency_ms": 1000}}),
             _item("unknown-path", "An unknown path answers a clean 404: no stack trace, no server error", "high",
                   {"type": "http", "path": "/harness-init-no-such-path",
                    "expect": {"status": 404, "body_not_contains": ["Traceback", "Exception in", "stack trace"]}}),
             _item("security-headers", "Responses tell browsers not to sniff types or frame the page", "medium",
                   {"type": "http", "path": starter.health, "expect": {"headers": {
                       "X-Content-Type-Options": "nosniff", "X-Frame-Options": {"present": True}}}}),
             _item("load-health", "10 users for 15 s: p95 under 500 ms, under 1% errors", "medium",
                   {"type": "load", "locustfile": "locustfile.py", "users": 10, "duration_s": 15,
                    "thresholds": {"p95": 500, "error_rate": 1}})]
    if starter.openapi:
        items.append(_item("api-fuzz", "Generated requests from the OpenAPI document: no 5xx, answers as documented",
                           "high", {"type": "openapi_fuzz", "openapi": starter.openapi, "max_examples": 5,
                                    "time_budget_s": 60, "timeout": 120}))
    body = "".join(items)
    return f"""# yaml-language-server: $schema={starter.schemas}/checklist.schema.json
# A starting point written by `harness init`: add what your service promises. `harness checks TYPE`
# lists every field of a check type; `harness validate checklist.yaml` checks this file, its target
# and every file it names without starting anything.
checklist:
  id: {starter.name}
  title: {json.dumps(f"{starter.name} production readiness")}{target}
  signoff: {{roles: [Engineering Lead]}}
sections:
  - id: service
    title: The service as a client sees it
    items:
{body}"""


def _item(item_id: str, title: str, severity: str, check: dict[str, Any]) -> str:
    return (f"      - id: {item_id}\n        title: {json.dumps(title)}\n        severity: {severity}\n"
            f"        check: {_flow(check)}\n")


def _flow(value: Any) -> str:
    """A value in YAML flow style (JSON-compatible strings)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z_/][A-Za-z0-9_./-]*", value) and value not in ("true", "false"):
        return value
    return json.dumps(value)


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key) else json.dumps(key)


def target_text(starter: Starter) -> str:
    command = ", ".join(json.dumps(part) for part in starter.command or [])
    return f"""# yaml-language-server: $schema={starter.schemas}/target.schema.json
# How the harness starts the service for an audit (README: "Target files"). Paths are relative to
# this file; {{port.NAME}} is a free loopback port picked per run.
name: {starter.name}
base_url: {json.dumps(starter.service_url)}
cwd: {json.dumps(starter.cwd)}
processes:
  - name: app
    command: [{command}]
    ready: {{url: "{{base_url}}{starter.health}", timeout_s: 30}}
    stop: {{signal: SIGTERM, grace_s: 10}}
"""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._") or "service"
