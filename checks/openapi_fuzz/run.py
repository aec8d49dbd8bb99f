"""The ``openapi_fuzz`` check type: schemathesis against the target's OpenAPI schema.

schemathesis runs as a subprocess (``python -m schemathesis.cli run``), bounded by examples per
operation and a time budget, and seeded, so a failure found once is found again. Its JSON report
gives the counts; its JUnit report gives each failure with the curl command that reproduces it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.openapi_fuzz.failures import Failure, read_failures
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.crossref import CrossrefContext, Finding
from readiness_harness.contract.evidence import Link, Observation, Table, Text
from readiness_harness.contract.redaction import cut, redact_text
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result

SchemathesisCheck = Literal[
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
    "response_schema_conformance", "negative_data_rejection", "positive_data_acceptance",
    "missing_required_header", "unsupported_method", "ignored_auth",
]
DEFAULT_CHECKS: list[SchemathesisCheck] = ["not_a_server_error", "response_schema_conformance",
                                           "negative_data_rejection"]
FuzzPhase = Literal["examples", "coverage", "fuzzing", "stateful"]
DEFAULT_PHASES: list[FuzzPhase] = ["examples", "fuzzing"]
STOP_GRACE_S = 10.0


class OpenapiFuzzParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    openapi: str = Field(default="/openapi.json", description="the schema: a path on the target (/openapi.json), "
                         "a full URL, or a file relative to the checklist's folder (openapi.yaml)")
    headers: dict[str, str] = Field(default_factory=dict, description="sent with every request (placeholders)")
    checks: list[SchemathesisCheck] = Field(default_factory=lambda: list(DEFAULT_CHECKS), min_length=1,
                                            description="schemathesis checks applied to every answer")
    phases: list[FuzzPhase] = Field(default_factory=lambda: list(DEFAULT_PHASES), min_length=1,
                                    description="schemathesis test phases")
    max_examples: int = Field(default=10, ge=1, le=1000, description="generated examples per operation")
    seed: int = Field(default=1, description="random seed, so a failure found once is found again")
    time_budget_s: float = Field(default=60.0, gt=0, le=1800,
                                 description="the run is stopped after this many seconds")
    exclude_paths: list[str] = Field(default_factory=list, description="operations' paths left out (exact)")
    include_path_regex: str | None = Field(default=None,
                                           description="only operations whose path matches this regular expression")
    parameters: dict[str, str | int | float | bool] = Field(default_factory=dict, description=(
        "fixed values for parameters in every operation, keyed as schemathesis does: 'query.ms', 'path.chain'"))
    rate_limit: str | None = Field(default=None, pattern=r"^\d+/[smh]$", description="for example 50/s")
    request_timeout_s: float = Field(default=5.0, gt=0, le=120, description="per request")


def config_toml(parameters: dict[str, str | int | float | bool]) -> str:
    """A schemathesis.toml fixing parameter values (JSON scalars are valid TOML values)."""
    lines = ["[parameters]"]
    lines += [f"{json.dumps(key)} = {json.dumps(value)}" for key, value in parameters.items()]
    return "\n".join(lines) + "\n"


def schema_location(openapi: str, ctx: CheckContext) -> str:
    """A URL as it is, a path on the target joined to its base URL, anything else a local file."""
    if "://" in openapi:
        return openapi
    return f"{ctx.base_url}{openapi}" if openapi.startswith("/") else str(ctx.resolve(openapi))


def crossref(params: OpenapiFuzzParams, ctx: CrossrefContext) -> list[Finding]:
    """A schema given as a local file exists."""
    if "://" in params.openapi or params.openapi.startswith("/"):
        return []
    return ctx.file_missing(params.openapi, ("openapi",), what="OpenAPI document")


def command(params: OpenapiFuzzParams, ctx: CheckContext, reports: Path, config: Path) -> list[str]:
    schema = schema_location(params.openapi, ctx)
    args = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", schema,
            "--url", ctx.base_url,
            "--checks", ",".join(params.checks), "--phases", ",".join(params.phases),
            "--max-examples", str(params.max_examples), "--seed", str(params.seed), "--workers", "1",
            "--no-shrink", "--request-timeout", f"{params.request_timeout_s:g}", "--max-redirects", "0",
            "--report", "junit,json", "--report-junit-path", str(reports / "junit.xml"),
            "--report-json-path", str(reports / "report.json"), "--suppress-health-check", "all"]
    for name, value in ctx.expand(params.headers).items():
        args += ["--header", f"{name}: {value}"]
    for path in params.exclude_paths:
        args += ["--exclude-path", path]
    if params.include_path_regex:
        args += ["--include-path-regex", params.include_path_regex]
    if params.rate_limit:
        args += ["--rate-limit", params.rate_limit]
    return args


async def run_schemathesis(args: list[str], *, scratch: str, budget_s: float, log: Path) -> bool:
    """Run schemathesis; True when it finished within the budget (else it is interrupted, then killed)."""
    with log.open("wb") as out:
        env = {**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": ""}
        process = await asyncio.create_subprocess_exec(*args, cwd=scratch, env=env, stdout=out, stderr=out,
                                                       stdin=asyncio.subprocess.DEVNULL, start_new_session=True)
        try:
            await asyncio.wait_for(process.wait(), budget_s)
            return True
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)  # schemathesis still writes its reports
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), STOP_GRACE_S)
            return False
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()


async def run_openapi_fuzz(params: OpenapiFuzzParams, ctx: CheckContext) -> Result:
    """Fuzz the API from its OpenAPI schema with schemathesis (seeded, bounded): no 5xx, schema-conformant answers."""
    reports = ctx.artifact_dir()
    log = reports / "schemathesis.log"
    budget = min(params.time_budget_s, max(1.0, ctx.timeout_s - STOP_GRACE_S - 5))
    with tempfile.TemporaryDirectory(prefix="harness-fuzz-") as scratch:
        config = Path(scratch) / "schemathesis.toml"
        config.write_text(config_toml(ctx.expand(params.parameters)), encoding="utf-8")
        args = command(params, ctx, reports, config)
        finished = await run_schemathesis(args, scratch=scratch, budget_s=budget, log=log)
    secrets = ctx.secret_values
    tail = redact_text("\n".join(log.read_text(errors="replace").splitlines()[-25:]), secrets)
    try:
        summary: dict[str, Any] = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return Result.error("schemathesis wrote no report", Text(title="schemathesis output", body=cut(tail)))
    failures = read_failures(reports / "junit.xml", secrets)
    evidence = _evidence(params, summary, failures, finished, budget)
    junit = (reports / "junit.xml").resolve()
    with contextlib.suppress(ValueError):
        evidence.append(Link(title="schemathesis JUnit report",
                             href=junit.relative_to(ctx.audit.run_dir.resolve()).as_posix()))
    cases = summary.get("test_cases", {})
    measurements = {"test_cases": float(cases.get("generated", 0)), "failures": float(len(failures))}
    if failures:
        kinds = sorted({f.check for f in failures})
        return Result.failed(f"{len(failures)} failure(s) found by schemathesis: {', '.join(kinds)}",
                             *evidence, **measurements)
    errors = summary.get("errors") or []
    if errors or summary.get("exit_code") not in (0, None) and finished:
        evidence.append(Text(title="schemathesis output", body=cut(tail)))
        return Result.error(f"schemathesis could not test the API ({len(errors)} error(s))", *evidence)
    operations = summary.get("operations", {})
    stopped = "" if finished else f", stopped at the {budget:g} s budget"
    return Result.passed(f"{cases.get('generated', 0)} generated cases over {operations.get('tested', 0)} "
                         f"operations, no failures{stopped}", *evidence, **measurements)


def _evidence(params: OpenapiFuzzParams, summary: dict[str, Any], failures: list[Failure], finished: bool,
              budget: float) -> list[Any]:
    operations, cases = summary.get("operations", {}), summary.get("test_cases", {})
    out: list[Any] = [
        Observation(label="failures", observed=len(failures), expected=0, ok=not failures),
        Table(title="Run", columns=["seed", "max examples", "checks", "operations tested", "cases", "stopped by"],
              rows=[[params.seed, params.max_examples, ", ".join(params.checks),
                     f"{operations.get('tested', 0)}/{operations.get('selected', 0)}", cases.get("generated", 0),
                     summary.get("stop_reason") if finished else f"time budget ({budget:g} s)"]]),
    ]
    if failures:
        out.append(Table(title="Failures", columns=["operation", "check", "message", "reproduce"],
                         rows=[[f.operation, f.check, f.message, f.curl] for f in failures[:50]]))
    return out


EXAMPLE = """\
type: openapi_fuzz
openapi: /openapi.json
headers: {X-API-Key: "{secret.api_key}"}
max_examples: 10
time_budget_s: 60
"""


def register(registry: Registry) -> None:
    registry.register("openapi_fuzz", OpenapiFuzzParams, default_timeout_s=180.0, example=EXAMPLE,
                      crossref=crossref)(run_openapi_fuzz)
