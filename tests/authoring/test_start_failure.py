"""A target that fails to start: the console names the process, its exit status and its last 20 log lines; exit 3."""

from __future__ import annotations

from readiness_harness.cli import main

CHECKLIST = """
checklist: {id: broken, title: Broken, target: target.yaml}
sections:
  - id: s
    title: S
    items:
      - {id: live, title: Live, severity: high, check: {type: http, path: /, expect: {status: 200}}}
"""


def test_a_process_that_exits_is_named_with_its_code_and_log(write_yaml, capsys):
    write_yaml("target.yaml", """
        name: broken
        base_url: "http://127.0.0.1:{port.web}"
        processes:
          - name: web
            command: ["{python}", "-c", "import sys\\nfor i in range(30): print('boot line', i)\\n\\
                      print('DATABASE_URL is not set')\\nsys.exit(3)"]
            ready: {url: "{base_url}/", timeout_s: 10}
        """)
    checklist = write_yaml("checklist.yaml", CHECKLIST)
    assert main(["audit", str(checklist), "--out", str(checklist.parent / "out"), "--quiet"]) == 3
    captured = capsys.readouterr()
    assert "process 'web' exited with code 3" in captured.err
    assert "| DATABASE_URL is not set" in captured.err and "| boot line 11" in captured.err
    assert "boot line 10\n" not in captured.err, "only the last 20 lines"
    assert "REJECTED: the target could not run" in captured.out


def test_a_misspelled_command_is_named(write_yaml, capsys):
    write_yaml("target.yaml", """
        name: broken
        base_url: "http://127.0.0.1:{port.web}"
        processes:
          - {name: web, command: ["pyhton3-no-such-binary", "-m", "http.server"], ready: {url: "{base_url}/"}}
        """)
    checklist = write_yaml("checklist.yaml", CHECKLIST)
    assert main(["audit", str(checklist), "--out", str(checklist.parent / "out"), "--quiet"]) == 3
    err = capsys.readouterr().err
    assert "process 'web' could not start" in err and "pyhton3-no-such-binary" in err
