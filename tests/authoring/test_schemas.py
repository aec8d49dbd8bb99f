"""JSON Schemas for checklist and target files: generated from the models, current, and every shipped file fits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from readiness_harness.checks import default_registry
from readiness_harness.schemas import as_json_document, checklist_schema, render, target_schema
from tests.authoring.support import SCHEMAS, checklist_with, shipped_checklists, shipped_targets

FIRST_LINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


def _validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_committed_schemas_are_current():
    assert (SCHEMAS / "checklist.schema.json").read_text() == render(checklist_schema(default_registry())), \
        "schemas/checklist.schema.json is stale: run `make reference`"
    assert (SCHEMAS / "target.schema.json").read_text() == render(target_schema()), \
        "schemas/target.schema.json is stale: run `make reference`"


@pytest.mark.parametrize("path", shipped_checklists(), ids=lambda p: p.name)
def test_every_shipped_checklist_fits_the_schema_and_points_at_it(path: Path):
    errors = list(_validator("checklist.schema.json").iter_errors(as_json_document(yaml.safe_load(path.read_text()))))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    _points_at(path, "checklist.schema.json")


@pytest.mark.parametrize("path", shipped_targets(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_target_file_fits_the_schema_and_points_at_it(path: Path):
    errors = list(_validator("target.schema.json").iter_errors(as_json_document(yaml.safe_load(path.read_text()))))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    _points_at(path, "target.schema.json")


def _points_at(path: Path, schema: str) -> None:
    match = FIRST_LINE.match(path.read_text().splitlines()[0])
    assert match, f"{path} does not start with a yaml-language-server $schema line"
    referenced = (path.parent / match.group(1)).resolve()
    assert referenced == (SCHEMAS / schema).resolve()


def test_params_are_chosen_by_type_and_typos_are_flagged():
    validator = _validator("checklist.schema.json")
    good = checklist_with({"type": "http", "path": "/health", "timeout": 5, "expect": {"status": 200}})
    assert not list(validator.iter_errors(good))
    wrong_key = checklist_with({"type": "http", "expect": {"status_code": 200}})
    assert any("status_code" in e.message for e in validator.iter_errors(wrong_key))
    other_types_key = checklist_with({"type": "http", "count": 5})  # a burst key on an http check
    assert any("count" in e.message for e in validator.iter_errors(other_types_key))
    burst = checklist_with({"type": "burst", "request": {"path": "/"}, "count": 5,
                            "expect": {"min_status_count": {429: 1}}})
    assert not list(validator.iter_errors(as_json_document(burst)))


def test_an_item_needs_exactly_one_binding():
    document = checklist_with({"type": "http"})
    document["sections"][0]["items"][0]["not_applicable"] = {"reason": "not here"}
    assert list(_validator("checklist.schema.json").iter_errors(document))
