"""`harness import` on plans written for these tests: claims pre-filled, items mapped to the right types."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from readiness_harness.cli import main
from readiness_harness.importer.claims import extract
from readiness_harness.importer.suggest import suggest

PLANS = Path(__file__).parent / "plans"


def _import(tmp_path: Path, plan: str, *extra: str) -> dict:
    output = tmp_path / "checklist.yaml"
    assert main(["import", str(PLANS / plan), "-o", str(output), *extra]) == 0
    document = yaml.safe_load(output.read_text(encoding="utf-8"))
    return {item["title"]: item for section in document["sections"] for item in section["items"]}


def test_measurable_claims_are_pre_filled(tmp_path):
    items = _import(tmp_path, "orders-api.md")
    load = items["p95 < 200ms at 50 users for 2 minutes, error rate under 1%"]["check"]
    assert load == {"type": "load", "locustfile": "locustfile.py", "users": 50, "duration_s": 120,
                    "thresholds": {"p95": 200, "error_rate": 1}}
    throughput = items["Throughput: 500 req/s sustained with p99 under 400 ms"]["check"]
    assert throughput["target_rps"] == 500 and throughput["thresholds"] == {"p99": 400}
    health = items["Health check: GET /healthz answers 200 within 100ms"]["check"]
    assert health == {"type": "http", "path": "/healthz", "expect": {"status": 200, "max_latency_ms": 100}}
    assert items["GET /v1/orders/unknown returns 404"]["check"] == {
        "type": "http", "method": "GET", "path": "/v1/orders/unknown", "expect": {"status": 404}}


@pytest.mark.parametrize(("title", "kind"), [
    ("Health check: GET /healthz answers 200 within 100ms", "http"),
    ("Graceful shutdown: SIGTERM drains in-flight requests within 20 seconds", "shutdown"),
    ("Database migrations are versioned and applied in order", "migrations"),
    ("Prometheus metrics on /metrics: `http_requests_total` and `http_request_duration_seconds`", "metrics"),
    ("Structured JSON logs with request_id and level on every line", "logs"),
    ("Rate limiting: 20 requests per second per API key, then 429 with Retry-After", "burst"),
    ("Security headers: HSTS and X-Content-Type-Options nosniff", "http"),
])
def test_items_map_to_the_right_types(tmp_path, title, kind):
    assert _import(tmp_path, "orders-api.md")[title]["check"]["type"] == kind


def test_details_of_each_type_come_from_the_claim(tmp_path):
    items = _import(tmp_path, "orders-api.md")
    shutdown = items["Graceful shutdown: SIGTERM drains in-flight requests within 20 seconds"]["check"]
    assert shutdown["exit_within_s"] == 20 and shutdown["process"] == "api"
    metrics = items["Prometheus metrics on /metrics: `http_requests_total` and `http_request_duration_seconds`"]
    assert metrics["check"]["families"] == [{"name": "http_requests_total"}, {"name": "http_request_duration_seconds"}]
    logs = items["Structured JSON logs with request_id and level on every line"]["check"]["expect"]
    assert logs == {"json_lines": True, "keys": ["request_id", "level"], "request_id_logged": True}
    burst = items["Rate limiting: 20 requests per second per API key, then 429 with Retry-After"]["check"]
    assert burst["count"] == 50 and burst["expect"]["min_status_count"] == {429: 1}
    assert burst["expect"]["headers_on_status"] == {429: ["Retry-After"]}


def test_the_target_s_process_name_is_used(tmp_path, write_yaml):
    write_yaml("target.yaml", 'name: t\nbase_url: "http://127.0.0.1:{port.web}"\nprocesses:\n'
                              '  - {name: orders, command: ["{python}", "-V"]}\n')
    items = _import(tmp_path, "orders-api.md", "--target", "target.yaml")
    assert items["Graceful shutdown: SIGTERM drains in-flight requests within 20 seconds"]["check"]["process"] \
        == "orders"


def test_heading_items_are_pre_filled_too(tmp_path):
    items = _import(tmp_path, "search-service.md")
    assert items["Liveness"]["check"] == {"type": "http", "path": "/live", "expect": {"status": 200,
                                                                                      "max_latency_ms": 50}}
    load = items["Latency under load"]["check"]
    assert (load["users"], load["duration_s"], load["thresholds"]) == (200, 600, {"p95": 1500})
    assert items["Throttling"]["check"]["type"] == "burst"
    assert [f["name"] for f in items["Metrics"]["check"]["families"]] == ["search_queries_total",
                                                                          "search_latency_seconds"]
    assert items["Telegram alerts bot"]["check"] == {"type": "todo", "suggested": "not_applicable (names a platform "
                                                     "or domain the service does not have)"}


def test_validate_repeats_each_todo_once_with_its_suggestion(tmp_path, capsys):
    _import(tmp_path, "orders-api.md")
    capsys.readouterr()
    assert main(["validate", str(tmp_path / "checklist.yaml")]) == 2
    problems = [line for line in capsys.readouterr().err.splitlines() if line.startswith("  ")]
    assert len(problems) == 2
    assert "not bound yet (type: todo). Suggested: attestation" in problems[1]
    assert "Suggested: nothing in the wording points at a check" in problems[0]


def test_a_bound_import_validates_once_its_todos_are_settled(tmp_path, capsys):
    output = tmp_path / "checklist.yaml"
    assert main(["import", str(PLANS / "orders-api.md"), "-o", str(output)]) == 0
    text = output.read_text().replace('check: {type: todo, suggested: "attestation (a decision or process a person '
                                      'vouches for)"}', "attestation: {role: SRE}")
    text = text.replace('check: {type: todo, suggested: "nothing in the wording points at a check; bind it by hand"}',
                        "not_applicable: {reason: dashboards are reviewed by hand}")
    output.write_text(text)
    (tmp_path / "migrations").mkdir()
    (tmp_path / "locustfile.py").write_text("from locust import HttpUser, task\n")
    capsys.readouterr()
    assert main(["validate", str(output)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize(("wording", "expected"), [
    ("/healthz answers 200", "http"), ("Graceful shutdown on deploy", "shutdown"), ("500 req/s sustained", "load"),
    ("/metrics endpoint exposed", "metrics"), ("Structured logs", "logs"), ("Rate limiting per key", "burst"),
    ("Migrations run in order", "migrations"),
])
def test_suggestions_the_issue_found_wrong_are_right(wording, expected):
    assert suggest(wording)[0] == expected


def test_claims_extraction():
    claims = extract("p99 latency: 300ms at 1,000 users, error rate < 0.1% for 30s; GET /v1/x returns 503")
    assert (claims.percentiles, claims.users, claims.error_rate, claims.duration_s) == ({"p99": 300}, 1000, 0.1, 30)
    assert claims.paths == ("/v1/x",) and claims.statuses == (503,)
    assert extract("Tested 24/7 and/or nightly").paths == ()
