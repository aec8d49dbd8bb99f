"""The loader reports every problem of a file at once, each with its line and a fix."""

from __future__ import annotations

import pytest

from readiness_harness.contract.errors import ChecklistError
from readiness_harness.loader import load_checklist

HEADER = """
checklist:
  id: demo
  title: Demo
sections:
  - id: one
    title: One
    items:
"""


def problems(write_yaml, registry, body: str) -> list:
    path = write_yaml("c.yaml", HEADER + body)
    with pytest.raises(ChecklistError) as info:
        load_checklist(path, registry)
    return info.value.problems


def test_valid_checklist_binds_typed_params(write_yaml, registry):
    path = write_yaml("c.yaml", HEADER + """
      - id: health
        title: Liveness answers
        severity: high
        check: {type: http, path: /health, timeout: 5, expect: {status: 200}}
      - id: oncall
        title: On-call rotation exists
        severity: medium
        attestation: {role: SRE lead}
      - id: telegram
        title: Telegram limits
        severity: low
        not_applicable: {reason: no Telegram bot here}
    """)
    loaded = load_checklist(path, registry)
    items = [item for _, item in loaded.checklist.items()]
    assert [i.id for i in items] == ["health", "oncall", "telegram"]
    assert items[0].check.timeout == 5
    assert items[0].check.params.expect.status == 200
    assert type(items[0].check.params).__name__ == "HttpParams"
    assert len(loaded.sha256) == 64


def test_three_mistakes_are_all_reported_with_lines(write_yaml, registry):
    found = problems(write_yaml, registry, """
      - id: a
        title: A
        severity: hihg
        check:
          type: http
          timout: 5
      - id: b
        title: B
        severity: low
        check: {type: htp}
    """)
    text = [str(p) for p in found]
    assert len(found) == 3, text
    assert found[0].line == 11 and "Did you mean 'high'?" in text[0]
    assert found[1].line == 14 and "unknown key 'timout'" in text[1] and "Did you mean 'timeout'?" in text[1]
    assert found[2].line == 18 and "unknown check type 'htp'" in text[2]
    assert "Known types:" in text[2] and "http" in text[2]


def test_duplicate_ids_and_missing_binding(write_yaml, registry):
    found = problems(write_yaml, registry, """
      - id: a
        title: A
        severity: low
        not_applicable: {reason: not here}
      - id: a
        title: again
        severity: low
    """)
    messages = [p.message for p in found]
    assert any("duplicate item id 'a'" in m for m in messages)
    assert any("exactly one of check, attestation, not_applicable" in m for m in messages)
    assert {p.line for p in found} == {13}


def test_nested_unknown_key_suggests(write_yaml, registry):
    found = problems(write_yaml, registry, """
      - id: a
        title: A
        severity: low
        check: {type: http, path: /x, expect: {stauts: 200}}
    """)
    assert len(found) == 1
    assert found[0].path.endswith("check.expect")
    assert found[0].hint == "Did you mean 'status'?"


def test_yaml_syntax_error_has_a_line(write_yaml, registry):
    path = write_yaml("c.yaml", "checklist:\n  id: x\n  title: [unclosed\nsections: []\n")
    with pytest.raises(ChecklistError) as info:
        load_checklist(path, registry)
    assert info.value.problems[0].line is not None
    assert "YAML syntax error" in info.value.problems[0].message


def test_duplicate_yaml_keys_are_rejected(write_yaml, registry):
    path = write_yaml("c.yaml", "checklist:\n  id: x\n  id: y\n  title: T\nsections: []\n")
    with pytest.raises(ChecklistError) as info:
        load_checklist(path, registry)
    assert "duplicate key 'id'" in str(info.value)
    assert info.value.problems[0].line == 3


def test_missing_file_and_empty_file(tmp_path, registry):
    with pytest.raises(ChecklistError, match="file not found"):
        load_checklist(tmp_path / "nope.yaml", registry)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(ChecklistError, match="empty"):
        load_checklist(empty, registry)


def test_wrong_types_are_located(write_yaml, registry):
    found = problems(write_yaml, registry, """
      - id: a
        title: A
        severity: low
        check: {type: http, path: /x, timeout: -1, expect: {status: "two hundred"}}
    """)
    assert any("timeout must be a positive number" in p.message for p in found)
    assert any(p.path.endswith("expect.status") for p in found)


def test_a_partial_check_must_say_what_it_does_not_cover(registry, write_yaml):
    text = """
        checklist: {id: c, title: C}
        sections:
          - id: s
            title: S
            items:
              - {id: a, title: A, severity: high, covers: partial, check: {type: http, path: /}}
              - {id: b, title: B, severity: high, uncovered: "something", check: {type: http, path: /}}
              - {id: c, title: C, severity: high, covers: partial, uncovered: "the pool under load",
                 check: {type: http, path: /}}
        """
    with pytest.raises(ChecklistError) as caught:
        load_checklist(write_yaml("c.yaml", text), registry)
    messages = [p.message for p in caught.value.problems]
    assert len(messages) == 2
    assert any("needs `uncovered:`" in m for m in messages)
    assert any("goes with `covers: partial`" in m for m in messages)
