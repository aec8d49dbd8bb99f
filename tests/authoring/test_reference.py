"""`harness checks TYPE` shows every field, nested ones included; docs/checks.md is current; examples validate."""

from __future__ import annotations

import pytest
import yaml

from readiness_harness.checks import default_registry
from readiness_harness.cli import main
from readiness_harness.loader import load_checklist
from readiness_harness.reference import field_rows, render_markdown, render_text
from tests.authoring.support import ROOT, checklist_with

REGISTRY = default_registry()
TYPES = REGISTRY.names()


def test_the_reference_page_is_current():
    committed = (ROOT / "docs" / "checks.md").read_text(encoding="utf-8")
    assert committed == render_markdown(default_registry()), "docs/checks.md is stale: run `make reference`"


@pytest.mark.parametrize("name", TYPES)
def test_checks_type_prints_every_field_and_an_example(name, capsys):
    assert main(["checks", name]) == 0
    out = capsys.readouterr().out
    check_type = REGISTRY.get(name)
    rows = field_rows(check_type.params)
    assert rows, f"{name} shows no field"
    for row in rows:  # every row of the tree, nested models included, by its own name
        assert f"{row.name}: {row.type}" in out, f"{name}: field {row.path} missing from `harness checks {name}`"
    assert "Example:" in out and f"type: {name}" in out


@pytest.mark.parametrize(("name", "paths"), [
    ("http", ["expect.body_contains", "expect.max_latency_ms", "expect.headers.<name>.matches",
              "expect.json.<path>.one_of"]),
    ("sequence", ["steps[].until", "steps[].poll_timeout_s", "steps[].capture", "steps[].repeat"]),
    ("chaos", ["hold_s", "load.baseline_s", "load.spec.thresholds.p95", "faults[].toxic.attributes",
               "recovery.within_s", "steady_state[].expect.status"]),
    ("burst", ["expect.min_status_count", "expect.headers_on_status"]),
])
def test_nested_fields_named_in_the_issue_are_listed(name, paths):
    found = {row.path for row in field_rows(REGISTRY.get(name).params)}
    assert set(paths) <= found


def test_a_nested_model_met_twice_points_at_its_first_listing():
    rows = {row.path: row for row in field_rows(REGISTRY.get("chaos").params)}
    assert "fields as under steady_state[]" in rows["during"].type
    assert "during[].name" not in rows


@pytest.mark.parametrize("name", TYPES)
def test_every_example_validates(name, tmp_path):
    check_type = REGISTRY.get(name)
    assert check_type.example, f"{name} has no example"
    path = tmp_path / "example.yaml"
    path.write_text(yaml.safe_dump(checklist_with(yaml.safe_load(check_type.example))), encoding="utf-8")
    loaded = load_checklist(path, REGISTRY)
    assert loaded.checklist.sections[0].items[0].check.type == name


def test_text_shows_types_defaults_bounds_and_descriptions():
    text = render_text(REGISTRY.get("burst"))
    assert "count: integer, required, >= 1, <= 5000" in text
    assert "concurrency: integer, default 10, >= 1, <= 200" in text
    assert "how many requests in the burst" in text


def test_an_unknown_type_is_refused_with_the_nearest_name(capsys):
    assert main(["checks", "htpp"]) == 2
    assert "Did you mean 'http'?" in capsys.readouterr().err
