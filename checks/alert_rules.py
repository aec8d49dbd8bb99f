"""The ``alert_rules`` check type and :func:`alert_firing`, for fault scenarios.

``alert_rules`` runs ``promtool check rules`` on the service's alert-rules file and ``promtool
test rules`` on the unit tests shipped with it, then loads the rules into the audit's
Prometheus so that ``ALERTS`` can fire while a later fault scenario is active. A scenario asks
with ``await alert_firing(ctx, "UpstreamErrors", within_s=30)``.
"""

from __future__ import annotations

import asyncio
import math
import re
import shutil
import time
from pathlib import Path

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.contract.context import PROMETHEUS_INSTALL_HINT, CheckContext, PrometheusUnavailable
from readiness_harness.contract.crossref import CrossrefContext, Finding
from readiness_harness.contract.evidence import Observation, Text
from readiness_harness.contract.redaction import cut
from readiness_harness.contract.registry import Capability, Registry
from readiness_harness.contract.result import Result

PROMTOOL_TIMEOUT_S = 60.0


class AlertRulesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: str = Field(min_length=1, description="the alert-rules file, relative to the checklist's folder")
    tests: list[str] = Field(default_factory=list, description="promtool unit-test files for those rules")
    load: bool = Field(default=True, description="load the rules into the audit's Prometheus, when one runs")
    for_cap_s: float | None = Field(default=None, gt=0, le=3600, description=(
        "in the copy loaded into the audit's Prometheus, cap each rule's `for:` at this many seconds, "
        "so an alert held for minutes in production can fire during a short fault"))


async def promtool(*args: str, cwd: Path) -> tuple[int, str]:
    """Run promtool; (exit code, combined output). Raises FileNotFoundError when it is not installed."""
    binary = shutil.which("promtool")
    if binary is None:
        raise FileNotFoundError(f"promtool is not on PATH: {PROMETHEUS_INSTALL_HINT}")
    process = await asyncio.create_subprocess_exec(
        binary, *args, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        stdin=asyncio.subprocess.DEVNULL)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), PROMTOOL_TIMEOUT_S)
    except TimeoutError:
        return -1, f"promtool {' '.join(args)} did not finish within {PROMTOOL_TIMEOUT_S:g} s"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode or 0, output.decode(errors="replace")


async def run_alert_rules(params: AlertRulesParams, ctx: CheckContext) -> Result:
    """Validate alert rules and run their unit tests with promtool; load them into the audit's Prometheus."""
    rules = ctx.resolve(ctx.expand(params.rules))
    tests = [ctx.resolve(ctx.expand(path)) for path in params.tests]
    missing = [str(path) for path in [rules, *tests] if not path.is_file()]
    if missing:
        return Result.error(f"file not found: {', '.join(missing)}")
    observations, evidence = [], []
    try:
        runs = [("promtool check rules", await promtool("check", "rules", str(rules), cwd=rules.parent))]
        for test in tests:
            runs.append((f"promtool test rules {test.name}", await promtool("test", "rules", str(test),
                                                                              cwd=test.parent)))
    except FileNotFoundError as exc:
        return Result.error(str(exc))
    for title, (code, output) in runs:
        observations.append(Observation(label=title, observed=f"exit {code}", expected="exit 0", ok=code == 0))
        evidence.append(Text(title=title, body=cut(output.strip() or "(no output)")))
    if all(o.ok for o in observations) and params.load:
        observations.append(await _load(ctx, rules, params.for_cap_s))
    return Result.from_observations(observations, *evidence, ok_message=_summary(params, rules))


async def _load(ctx: CheckContext, rules: Path, for_cap_s: float | None) -> Observation:
    label = "loaded into the audit's Prometheus"
    if for_cap_s is not None:
        label += f" (`for:` capped at {for_cap_s:g} s)"
    try:
        server = ctx.prometheus()
    except PrometheusUnavailable as exc:
        return Observation(label=label, observed=f"not loaded: {exc}", expected="loaded when Prometheus runs")
    if for_cap_s is not None:
        rules = capped_copy(rules, for_cap_s, server.folder / "rules")
    try:
        await server.load_rules(rules, timeout_s=max(1.0, ctx.timeout_s - 5))
    except PrometheusUnavailable as exc:
        return Observation(label=label, observed=str(exc), expected="rule groups loaded", ok=False)
    return Observation(label=label, observed="rule groups loaded", expected="rule groups loaded", ok=True)


def capped_copy(rules: Path, cap_s: float, folder: Path) -> Path:
    """A copy of a rule file with every ``for:`` at most ``cap_s`` seconds."""
    data = yaml.safe_load(rules.read_text(encoding="utf-8")) or {}
    for group in data.get("groups") or []:
        for rule in group.get("rules") or []:
            if "for" in rule and _seconds(str(rule["for"])) > cap_s:
                rule["for"] = f"{cap_s:g}s"
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / rules.name
    copy.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return copy


_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def _seconds(duration: str) -> float:
    """A Prometheus duration (``1h30m``, ``90s``) in seconds."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)", duration)
    return sum(float(n) * _UNITS[unit] for n, unit in parts)


def _summary(params: AlertRulesParams, rules: Path) -> str:
    tested = f", {len(params.tests)} unit-test file(s) pass" if params.tests else ""
    return f"{rules.name} is valid{tested}"


async def alert_firing(ctx: CheckContext, alertname: str, *, within_s: float, rules: Path | None = None,
                       pending_ok: bool = False, poll_s: float = 0.5) -> bool:
    """True once ``ALERTS{alertname=..., alertstate="firing"}`` exists, False if not within ``within_s``.

    ``pending_ok`` also accepts ``alertstate="pending"`` (the condition holds, ``for:`` has not
    elapsed). ``rules`` loads a rule file first (when no ``alert_rules`` item did). Raises
    PrometheusUnavailable when the audit has no Prometheus.
    """
    server = ctx.prometheus()
    url = await server.wait_ready(timeout_s=max(within_s, 30.0))
    if rules is not None:
        await server.load_rules(rules)
    state = "firing|pending" if pending_ok else "firing"
    query = f'ALERTS{{alertname="{alertname}",alertstate=~"{state}"}}'
    deadline = time.monotonic() + within_s
    async with httpx.AsyncClient(base_url=url, timeout=2.0, trust_env=False) as client:
        for _ in range(math.ceil(within_s / poll_s) + 1):
            try:
                answer = await client.get("/api/v1/query", params={"query": query})
                if answer.status_code == 200 and answer.json()["data"]["result"]:
                    return True
            except (httpx.HTTPError, ValueError, KeyError):
                pass  # Prometheus busy reloading: ask again until the deadline
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(min(poll_s, max(0.0, deadline - time.monotonic())))
    return False


def crossref(params: AlertRulesParams, ctx: CrossrefContext) -> list[Finding]:
    """The rules file and its unit-test files exist."""
    found = ctx.file_missing(params.rules, ("rules",), what="alert rules file")
    for n, test in enumerate(params.tests):
        found += ctx.file_missing(test, ("tests", n), what="rule test file")
    return found


EXAMPLE = """\
type: alert_rules
rules: ../deploy/alerts.yml
tests: [../deploy/alerts_test.yml]
for_cap_s: 2
"""


def register(registry: Registry) -> None:
    registry.register("alert_rules", AlertRulesParams, default_timeout_s=90.0,
                      needs=frozenset({Capability.PROMETHEUS}), example=EXAMPLE, crossref=crossref)(run_alert_rules)
