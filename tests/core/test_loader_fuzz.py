"""Generated malformed checklists: the loader's only outcomes are a checklist or a located error."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness_harness.checks import default_registry
from readiness_harness.contract.errors import ChecklistError
from readiness_harness.loader import load_checklist

EXAMPLES = int(os.environ.get("HARNESS_FUZZ_EXAMPLES", "200"))
REGISTRY = default_registry()

VALID: dict[str, Any] = {
    "checklist": {"id": "fuzz", "title": "Fuzz", "default_timeout": 5},
    "sections": [{"id": "s", "title": "S", "items": [
        {"id": "a", "title": "A", "severity": "high",
         "check": {"type": "http", "path": "/", "expect": {"status": 200}}},
        {"id": "b", "title": "B", "severity": "low", "attestation": {"role": "SRE"}},
        {"id": "c", "title": "C", "severity": "medium", "not_applicable": {"reason": "none here"}},
        {"id": "d", "title": "D", "severity": "critical",
         "check": {"type": "burst", "count": 5, "request": {"path": "/"}, "expect": {"max_status_count": {500: 0}}}},
    ]}],
}

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                    st.text(max_size=20), st.sampled_from(["http", "burst", "high", "critical", "", "timout"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)), max_leaves=12)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += paths(value, (*prefix, index))
    return out


def mutate(doc: Any, path: tuple, action: str, value: Any) -> Any:
    if not path:
        return value
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete" and isinstance(parent, dict):
        del parent[last]
    elif action == "extra" and isinstance(parent, dict):
        parent[f"{last}_x"] = value
    else:
        parent[last] = value
    return doc


def assert_located(tmp: Path, text: str) -> None:
    path = tmp / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_checklist(path, REGISTRY)
    except ChecklistError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file == str(path)
            assert problem.message
            assert problem.line is not None or "file" in problem.message or "YAML" in problem.message


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), action=st.sampled_from(["replace", "delete", "extra"]), value=values)
def test_mutated_documents_fail_with_locations(tmp_path, data, action, value):
    import copy

    doc = copy.deepcopy(VALID)
    path = data.draw(st.sampled_from(paths(doc)))
    doc = mutate(doc, path, action, value)
    assert_located(tmp_path, yaml.safe_dump(doc, sort_keys=False))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("abc:-[]{}'\"\n  #&*!|>%@`0123,.")), max_size=200))
def test_arbitrary_text_fails_with_locations(tmp_path, text):
    assert_located(tmp_path, text)
