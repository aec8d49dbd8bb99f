"""Single functions: schemathesis JUnit parsing, probe judgement (in-process transport), params validation."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from readiness_harness.checks.attack import Attack, AttackParams, judge, request_of
from readiness_harness.checks.openapi_fuzz.failures import read_failures
from readiness_harness.checks.promql import PromqlParams
from readiness_harness.checks.shared.body import DEFAULT_LIMIT, Body
from readiness_harness.checks.shared.exchange import Answer, Exchange
from readiness_harness.contract.evidence import HttpExchange

JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="schemathesis">
  <testcase name="POST /v1/orders"><failure type="failure" message="ST500">1. Test Case ID: abc

- Server error

- Response violates schema

    'id' is a required property

Reproduce with:

    curl -X POST -H 'X-API-Key: s3cret-key-value' -d '{"a": 1}' http://127.0.0.1:1/v1/orders

2. Test Case ID: def

- Server error

Reproduce with:

    curl -X POST http://127.0.0.1:1/v1/orders?token=s3cret-key-value</failure></testcase>
  <testcase name="GET /health" />
</testsuite></testsuites>
"""


def test_junit_failures_carry_check_message_and_a_redacted_curl(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    failures = read_failures(path, {"s3cret-key-value"})
    assert [(f.operation, f.check) for f in failures] == [
        ("POST /v1/orders", "Server error"), ("POST /v1/orders", "Response violates schema"),
        ("POST /v1/orders", "Server error")]
    assert failures[0].curl == "curl -X POST -H 'X-API-Key: [REDACTED]' -d '{\"a\": 1}' http://127.0.0.1:1/v1/orders"
    assert "s3cret" not in repr(failures)
    assert read_failures(tmp_path / "missing.xml", set()) == []


def _exchange(response: Answer) -> Exchange:
    evidence = HttpExchange(method="GET", url="http://t/", status=response.status_code)
    return Exchange(response=response, evidence=evidence, elapsed_ms=1.0)


def _answer(status: int, body: str, headers: dict[str, str] | None = None) -> Answer:
    data = body.encode()
    return Answer(status, httpx.Headers(headers or {}), Body(data, len(data), False, DEFAULT_LIMIT))


def _missed(attack: Attack, response: Answer) -> set[str]:
    params = AttackParams(attacks=[attack])
    return {o.label for o in judge(attack, _exchange(response), params) if o.ok is False}


def test_a_clean_refusal_passes_and_each_leak_is_named() -> None:
    attack = Attack(name="sqli", path="/x/{payload}", payload="' OR 1=1 --")
    clean = '{"error": {"code": "VALIDATION_ERROR", "message": "bad input"}}'
    assert _missed(attack, _answer(422, clean)) == set()
    assert _missed(attack, _answer(500, '{"error": {"code": "INTERNAL"}}')) == {"status"}
    reflected = '{"error": {"code": "VALIDATION_ERROR", "message": "bad: \' OR 1=1 --"}}'
    assert _missed(attack, _answer(422, reflected)) == {"payload not reflected"}
    leaky = '{"error": {"code": "X", "message": "sqlite3.OperationalError near \\"OR\\""}}'
    assert _missed(attack, _answer(400, leaky)) == {"no stack trace or database error"}
    assert _missed(attack, _answer(400, "plain text")) == {"error body error.code"}


def test_crlf_payloads_must_not_add_headers() -> None:
    attack = Attack(name="crlf", path="/x", query={"q": "{payload}"}, payload="a\r\nX-Injected: 1")
    body = '{"error": {"code": "VALIDATION_ERROR"}}'
    assert _missed(attack, _answer(422, body, {"X-Injected": "1"})) == {"no injected header X-Injected"}


def test_default_headers_are_sent_only_with_auth_and_the_payload_is_filled_in() -> None:
    defaults = {"X-API-Key": "{secret.k}"}
    spec = request_of(Attack(name="a", path="/v/{payload}", payload="p", json={"k": ["{payload}"]}), defaults)
    assert spec.path == "/v/p" and spec.json_body == {"k": ["p"]} and spec.headers == defaults
    assert request_of(Attack(name="b", auth=False), defaults).headers == {}


def test_promql_params_need_an_expectation_and_a_window_for_window_queries() -> None:
    with pytest.raises(ValidationError, match="at least one of"):
        PromqlParams(query="up")
    with pytest.raises(ValidationError, match="no window is named"):
        PromqlParams(query="increase(x[{window}])", min=1)
    with pytest.raises(ValidationError, match="extra"):
        PromqlParams.model_validate({"query": "up", "min": 1, "windw": "load:x"})
