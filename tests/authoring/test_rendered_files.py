"""`files:` in a target file: rendered with the placeholders into the run folder before processes start."""

from __future__ import annotations

import asyncio
import sys

import pytest

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.contract.errors import ChecklistError
from readiness_harness.contract.status import Status
from readiness_harness.target import load_target

# A process that serves {run_dir}/www, which exists only because `files:` wrote it.
TARGET = f"""
name: rendered
base_url: "http://127.0.0.1:{{port.web}}"
secrets: [token]
processes:
  - name: web
    command: ["{sys.executable}", "-m", "http.server", "--bind", "127.0.0.1", "--directory", "{{run_dir}}/www",
              "{{port.web}}"]
    ready: {{url: "{{base_url}}/health", timeout_s: 15}}
    stop: {{grace_s: 2}}
files:
  - path: www/health
    content: "ok"
  - path: www/config.json
    template: config.json.in
"""


def test_files_are_rendered_before_the_process_starts(write_yaml, registry):
    write_yaml("target.yaml", TARGET)
    write_yaml("config.json.in", '{"listen": "{base_url}", "token_sha256": "{secret.token|sha256}", '
                                 '"nginx_block": "server { listen 80; }"}\n')
    checklist = write_yaml("checklist.yaml", """
        checklist: {id: rendered, title: Rendered, target: target.yaml}
        sections:
          - id: s
            title: S
            items:
              - id: config
                title: The rendered configuration is served
                severity: high
                check:
                  type: http
                  path: /config.json
                  expect:
                    status: 200
                    json:
                      listen: {matches: "^http://127\\\\.0\\\\.0\\\\.1:\\\\d+$"}
                      token_sha256: {matches: "^[0-9a-f]{64}$"}
                      nginx_block: "server { listen 80; }"
        """)
    record = asyncio.run(run_audit(AuditOptions(checklist=checklist, out_dir=checklist.parent / "out"),
                                   registry)).record
    item = record.items[0]
    assert item.status == Status.PASSED, item.message


@pytest.mark.parametrize(("entry", "message"), [
    ("{path: ../escape.conf, content: x}", "stay inside it"),
    ("{path: /etc/x.conf, content: x}", "relative to the run folder"),
    ("{path: a.conf, content: x, template: a.in}", "exactly one of content and template"),
    ("{path: a.conf}", "exactly one of content and template"),
])
def test_entries_that_cannot_be_written_are_refused(write_yaml, entry, message):
    path = write_yaml("target.yaml", f"name: t\nbase_url: http://127.0.0.1:1\nfiles:\n  - {entry}\n")
    with pytest.raises(ChecklistError) as caught:
        load_target(path)
    assert message in str(caught.value)
