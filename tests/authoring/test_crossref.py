"""`harness validate` checks a checklist with its target and every file it names; the audit does so first."""

from __future__ import annotations

import asyncio
import re

import pytest

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.cli import main
from readiness_harness.contract.errors import ChecklistError

TARGET = """
name: shop
base_url: "http://127.0.0.1:{port.web}"
secrets: [api_key]
processes:
  - name: web
    command: ["{python}", "-m", "http.server", "--bind", "127.0.0.1", "{port.web}"]
    ready: {url: "{base_url}/", timeout_s: 10}
proxies:
  - name: database
    listen: "127.0.0.1:{port.db_proxy}"
    upstream: "127.0.0.1:{port.db}"
"""

FOUR_MISTAKES = """
checklist: {id: shop, title: Shop, target: target.yaml}
sections:
  - id: s
    title: S
    items:
      - id: db-down
        title: Database down
        severity: high
        check:
          type: chaos
          steady_state: [{name: read, request: {path: /}, expect: {status: 200}}]
          faults: [{proxy: databse, down: true}]
      - id: load
        title: Load
        severity: medium
        check: {type: load, locustfile: locustfiles/shop.py, users: 5, duration_s: 5}
      - id: logs
        title: Logs
        severity: medium
        check: {type: logs, process: wbe, requests: [{path: /}]}
      - id: admin
        title: Admin port
        severity: low
        check: {type: http, path: "http://127.0.0.1:{port.nosuch}/admin", expect: {status: 200}}
"""


def test_validate_lists_all_four_mistakes_with_file_and_line(write_yaml, capsys):
    write_yaml("target.yaml", TARGET)
    checklist = write_yaml("checklist.yaml", FOUR_MISTAKES)
    assert main(["validate", str(checklist)]) == 2
    err = capsys.readouterr().err
    found = re.findall(r"checklist\.yaml:(\d+): (\S+): (.*)", err)
    assert [(int(line), path) for line, path, _ in found] == [
        (12, "sections[0].items[0].check.faults[0].proxy"), (16, "sections[0].items[1].check.locustfile"),
        (20, "sections[0].items[2].check.process"), (24, "sections[0].items[3].check.path")]
    messages = " | ".join(message for _, _, message in found)
    assert "no fault proxy named 'databse'" in messages and "Did you mean 'database'?" in messages
    assert "locustfile 'locustfiles/shop.py' does not exist" in messages
    assert "no process named 'wbe'" in messages and "Did you mean 'web'?" in messages
    assert "unknown placeholder {port.nosuch}" in messages


def test_the_audit_refuses_the_same_checklist_before_anything_starts(write_yaml, registry):
    write_yaml("target.yaml", TARGET)
    checklist = write_yaml("checklist.yaml", FOUR_MISTAKES)
    out = checklist.parent / "out"
    with pytest.raises(ChecklistError) as caught:
        asyncio.run(run_audit(AuditOptions(checklist=checklist, out_dir=out), registry))
    assert len(caught.value.problems) == 4
    assert not out.exists(), "a refused checklist started nothing and wrote nothing"


def test_the_cli_audit_exits_2(write_yaml, capsys):
    write_yaml("target.yaml", TARGET)
    checklist = write_yaml("checklist.yaml", FOUR_MISTAKES)
    assert main(["audit", str(checklist), "--out", str(checklist.parent / "out"), "--quiet"]) == 2
    assert "4 problem(s)" in capsys.readouterr().err


def test_placeholders_in_the_target_file_and_its_templates(write_yaml, capsys):
    write_yaml("target.yaml", TARGET.replace('command: ["{python}"', 'env: {KEY: "{secret.api_kye}", '
                                             'DB: "{proxy.db}", CACHE: "{dep.cache.url}"}\n'
                                             '    command: ["{pyton}"') + """
files:
  - {path: app.conf, template: app.conf.in}
  - {path: other.conf, template: missing.conf.in}
""")
    write_yaml("app.conf.in", "listen {port.web}\nupstream {proxy.database}\nkey {sekret.api_key}\n")
    checklist = write_yaml("checklist.yaml", """
        checklist: {id: shop, title: Shop, target: target.yaml}
        sections:
          - id: s
            title: S
            items:
              - {id: a, title: A, severity: low, check: {type: http, path: /, headers: {X-Key: "{secret.api_key}"}}}
        """)
    assert main(["validate", str(checklist)]) == 2
    err = capsys.readouterr().err
    assert "unknown placeholder {secret.api_kye}" in err and "Did you mean 'api_key'?" in err
    assert "unknown placeholder {proxy.db}" in err and "unknown placeholder {dep.cache.url}" in err
    assert "unknown placeholder {pyton}" in err and "Did you mean {python}?" in err
    assert re.search(r"app\.conf\.in:3: unknown placeholder \{sekret\.api_key\}.*Did you mean \{secret\.api_key\}",
                     err)
    assert "template 'missing.conf.in' does not exist" in err
    assert "{port.web}" not in err and "{proxy.database}" not in err


def test_route_templates_and_check_variables_are_not_placeholders(write_yaml, capsys):
    write_yaml("target.yaml", TARGET)
    checklist = write_yaml("checklist.yaml", """
        checklist: {id: shop, title: Shop, target: target.yaml}
        sections:
          - id: s
            title: S
            items:
              - id: a
                title: A
                severity: low
                check:
                  type: sequence
                  vars: {id: uuid}
                  steps:
                    - {name: one, request: {path: "/v1/{var.id}/{fresh.uuid}", json: {route: "/v1/{chain}/x"}}}
        """)
    assert main(["validate", str(checklist)]) == 0, capsys.readouterr().err
