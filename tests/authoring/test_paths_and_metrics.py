"""One JSON path syntax (a.0.b and a[0].b, wildcards, refused with the fix) and metric families by sample name."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.checks.metrics import closest_names, find_family, parse_exposition
from readiness_harness.checks.shared.jsonpath import MISSING, PathError, lookup, single_path, walk
from readiness_harness.contract.errors import ChecklistError
from readiness_harness.contract.status import Status
from readiness_harness.loader import load_checklist
from tests.authoring.support import checklist_with
from tests.conftest import static_site

DOC = {"tables": [{"name": "users", "rows": 3}, {"name": "orders", "rows": 9}], "counts": {"404": 2},
       "labels": {"app.kubernetes.io/name": "shop"}}


@pytest.mark.parametrize(("path", "expected"), [
    ("tables.0.name", "users"), ("tables[0].name", "users"), ("tables.-1.rows", 9), ("tables[-1].rows", 9),
    ("counts.404", 2), ('labels["app.kubernetes.io/name"]', "shop"), ("tables.2.name", MISSING),
    ("tables.0.nope", MISSING), ("tables.name", MISSING),
])
def test_dotted_and_bracketed_indices_read_the_same_value(path, expected):
    assert lookup(DOC, path) == expected


def test_wildcards_fan_out_in_both_forms():
    assert walk(DOC, "tables[*].name") == walk(DOC, "tables.*.name") == ["users", "orders"]
    assert walk({"a": [{"b": 1}, {}]}, "a[*].b") == [1, MISSING]


@pytest.mark.parametrize(("path", "fix"), [
    ("$.error.code", "error.code"), ("error..code", "error.code"), ("items.[0]", "items[0]"),
    ("items[0]name", "items[0].name"), ("items[x]", "items.x"), ("error.", "error"), (".error", "error"),
    ("items[*].id", "items[0].id"),
])
def test_a_path_that_can_never_match_is_refused_with_the_fix(path, fix):
    with pytest.raises(PathError) as caught:
        single_path(path)
    assert caught.value.fix == fix


def test_the_loader_refuses_a_bad_path_at_its_line(tmp_path, registry):
    document = checklist_with({"type": "http", "path": "/", "expect": {"json": {"tables..name": "users"}}})
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(ChecklistError) as caught:
        load_checklist(path, registry)
    assert "write 'tables.name'" in str(caught.value) and caught.value.problems[0].line is not None


@pytest.fixture
def json_site(write_yaml, tmp_path) -> Path:
    """A third-party static server (Python's http.server) serving a JSON document and a metrics page."""
    www = tmp_path / "www"
    www.mkdir()
    (www / "tables.json").write_text(json.dumps(DOC))
    (www / "metrics").write_text(EXPOSITION)
    (www / "health").write_text("ok\n")
    return static_site(tmp_path, www)


EXPOSITION = """# HELP prometheus_http_requests_total Counter of HTTP requests.
# TYPE prometheus_http_requests_total counter
prometheus_http_requests_total{code="200",handler="/metrics"} 7
# HELP request_seconds Latency.
# TYPE request_seconds histogram
request_seconds_bucket{le="0.1"} 3
request_seconds_bucket{le="+Inf"} 4
request_seconds_sum 0.5
request_seconds_count 4
"""


def test_a_healthy_service_passes_with_either_index_form_and_either_counter_name(json_site, write_yaml, registry):
    checks = [
        ("dotted", {"type": "http", "path": "/tables.json", "expect": {"json": {"tables.0.name": "users"}}}),
        ("bracketed", {"type": "http", "path": "/tables.json", "expect": {"json": {"tables[1].rows": {"min": 9}}}}),
        ("counter", {"type": "metrics", "families": [{"name": "prometheus_http_requests_total", "min": 7},
                                                     {"name": "prometheus_http_requests", "type": "counter"},
                                                     {"name": "request_seconds_count", "min": 4, "max": 4}]}),
        ("absent", {"type": "metrics", "families": [{"name": "prometheus_http_request_total"}]}),
    ]
    items = [{"id": name, "title": name, "severity": "high", "check": check} for name, check in checks]
    checklist = write_yaml("c.yaml", yaml.safe_dump({"checklist": {"id": "p", "title": "P", "target": str(json_site)},
                                                      "sections": [{"id": "s", "title": "S", "items": items}]}))
    options = AuditOptions(checklist=checklist, out_dir=checklist.parent / "out")
    record = asyncio.run(run_audit(options, registry)).record
    statuses = {i.id: (i.status, i.message) for i in record.items}
    for name in ("dotted", "bracketed", "counter"):
        assert statuses[name][0] == Status.PASSED, statuses[name]
    assert statuses["absent"][0] == Status.FAILED
    assert "did you mean prometheus_http_requests_total" in statuses["absent"][1]


def test_families_are_found_by_family_or_sample_name():
    families = parse_exposition(EXPOSITION)
    assert find_family("prometheus_http_requests_total", families) == ("prometheus_http_requests",
                                                                       "prometheus_http_requests_total")
    assert find_family("prometheus_http_requests", families) == ("prometheus_http_requests", None)
    assert find_family("request_seconds_bucket", families) == ("request_seconds", "request_seconds_bucket")
    assert find_family("request_seconds_created", families) == ("request_seconds", "request_seconds_created")
    assert find_family("nope_total", families) is None
    assert closest_names("request_second_count", families)[0] == "request_seconds_count"
