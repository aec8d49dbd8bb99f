"""The ``attack`` check type: attack requests, each expected to be refused cleanly.

Every attack is one request (the ``http`` check's request fields) with an optional ``payload``
put wherever the request says ``{payload}``. By default an attack must be answered with a 4xx
carrying an error code in the uniform error body (``{"error": {"code": ...}}``), never with a
stack trace or database error text, and its payload must not come back verbatim in the body
or the headers (nor may a CRLF payload add a header). ``expect`` adds or overrides expectations.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.checks.shared.exchange import Exchange, RequestSpec, send
from readiness_harness.checks.shared.expectations import NOT_JUDGED, ResponseExpect, conclude, evaluate
from readiness_harness.checks.shared.jsonpath import MISSING, JsonPath, lookup
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import Observation, Table
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result

PAYLOAD_TOKEN = "{payload}"
DEFAULT_LEAKS = ["Traceback (most recent call last)", "Traceback", "sqlite3.", "psycopg", "SQLSTATE",
                 "syntax error at or near", '.py", line', "sqlalchemy.exc"]
_INJECTED_HEADER = re.compile(r"[\r\n]+([A-Za-z0-9-]+)\s*:")


class Attack(RequestSpec):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, description="a label for the attack in the report")
    payload: str | None = Field(default=None, description="put where the request says {payload}")
    auth: bool = Field(default=True, description="send the default headers of the item (for example the API key)")
    expect: ResponseExpect = Field(default_factory=ResponseExpect,
                                   description="expectations added to (or overriding) the default ones")
    error_body: bool = Field(default=True, description="expect {\"error\": {\"code\": ...}} on a 4xx/5xx")
    reflect_ok: bool = Field(default=False, description="echoing the payload is the intended behaviour")


class AttackParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    headers: dict[str, str] = Field(default_factory=dict, description="sent with every attack whose auth is true")
    error_code_path: JsonPath = Field(default="error.code", description="where a 4xx body carries its error code")
    leak_patterns: list[str] = Field(default_factory=lambda: list(DEFAULT_LEAKS),
                                     description="texts that reveal a stack trace or database error")
    attacks: list[Attack] = Field(min_length=1, max_length=200, description="the attack requests")


def _fill(value: Any, payload: str) -> Any:
    if isinstance(value, str):
        return value.replace(PAYLOAD_TOKEN, payload)
    if isinstance(value, dict):
        return {k: _fill(v, payload) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, payload) for v in value]
    return value


def request_of(attack: Attack, defaults: dict[str, str]) -> RequestSpec:
    """The attack's request: default headers under its own, the payload filled in."""
    fields = attack.model_dump(by_alias=True, include=set(RequestSpec.model_fields) | {"json_body"})
    fields["headers"] = {**(defaults if attack.auth else {}), **attack.headers}
    if attack.payload is not None:
        fields = _fill(fields, attack.payload)
    return RequestSpec.model_validate(fields)


def judge(attack: Attack, exchange: Exchange, params: AttackParams) -> list[Observation]:
    """Every expectation on one attack's answer; the ones that missed have ``ok=False``."""
    expect = attack.expect
    out = evaluate(expect.model_copy(update={"status": None}), exchange)
    if exchange.response is None:
        return out
    status = exchange.status or 0
    if expect.status is None:
        out.append(Observation(label="status", observed=status, expected="4xx", ok=400 <= status < 500))
    else:
        wanted = expect.status if isinstance(expect.status, list) else [expect.status]
        out.append(Observation(label="status", observed=status, expected=wanted, ok=status in wanted))
    if attack.error_body and status >= 400:
        out.append(_error_code(exchange, params))
    headers_text = "\n".join(f"{k}: {v}" for k, v in exchange.response.headers.items())
    leaks = [p for p in params.leak_patterns if p in exchange.text or p in headers_text]
    out.append(_absent("no stack trace or database error", ", ".join(leaks) or "none", "none", exchange.cut))
    if attack.payload and not attack.reflect_ok:
        where = [name for name, text in (("body", exchange.text), ("headers", headers_text)) if attack.payload in text]
        out.append(_absent("payload not reflected", ", ".join(where) or "not reflected", "not reflected",
                           exchange.cut))
    for name in _INJECTED_HEADER.findall(attack.payload or ""):
        present = name in exchange.response.headers
        out.append(Observation(label=f"no injected header {name}", observed="present" if present else "absent",
                               expected="absent", ok=not present))
    return out


def _error_code(exchange: Exchange, params: AttackParams) -> Observation:
    label = f"error body {params.error_code_path}"
    if exchange.cut:  # the JSON of a body cut at the cap cannot be read
        return Observation(label=label, observed=NOT_JUDGED, expected="an error code")
    code = lookup(exchange.json(), params.error_code_path) if exchange.json() is not None else MISSING
    return Observation(label=label, observed="<missing>" if code is MISSING else code, expected="an error code",
                       ok=isinstance(code, str) and bool(code))


def _absent(label: str, observed: str, clean: str, cut: bool) -> Observation:
    """Something that must not be in the answer: found is a failure, not found in a cut body not judged."""
    if observed == clean and cut:
        return Observation(label=label, observed=NOT_JUDGED, expected=clean)
    return Observation(label=label, observed=observed, expected=clean, ok=observed == clean)


async def run_attack(params: AttackParams, ctx: CheckContext) -> Result:
    """Send attack requests; expect a clean 4xx with an error code, no stack traces, nothing reflected."""
    rows: list[list[Any]] = []
    verdicts: list[Observation] = []
    failing: list[Any] = []
    exchanges: list[Exchange] = []
    async with ctx.client() as client:
        for attack in params.attacks:
            exchange = await send(client, request_of(attack, params.headers), ctx)
            exchanges.append(exchange)
            missed = [o for o in judge(attack, exchange, params) if o.ok is False]
            problems = "; ".join(f"{o.label}: {o.observed} (expected {o.expected})" for o in missed)
            rows.append([attack.name, exchange.evidence.method, exchange.evidence.url,
                         exchange.status if exchange.status is not None else exchange.error,
                         "as expected" if not missed else "FAILED", problems])
            verdicts.append(Observation(label=attack.name, observed=problems or "as expected",
                                        expected="no problems", ok=not missed))
            if missed:
                failing.append(exchange.evidence)
    table = Table(title="Attacks", columns=["attack", "method", "url", "status", "verdict", "problems"], rows=rows)
    passed = sum(1 for v in verdicts if v.ok)
    return conclude(verdicts, table, *failing, ok_message=f"all {len(verdicts)} attacks answered as expected",
                    exchanges=exchanges, attacks=float(len(verdicts)), refused=float(passed))


EXAMPLE = """\
type: attack
headers: {X-API-Key: "{secret.api_key}"}
attacks:
  - name: missing API key
    path: /v1/orders
    auth: false
    expect: {status: 401}
  - name: SQL injection in an id
    path: "/v1/orders/{payload}"
    payload: "1' OR '1'='1"
"""


def register(registry: Registry) -> None:
    registry.register("attack", AttackParams, formerly=("probe",), example=EXAMPLE)(run_attack)
