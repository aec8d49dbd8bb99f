"""A hostile or broken target costs no report and gives no false verdict (issue items 2, 13, 14, 15).

Every server here is a real socket server on loopback (``tests/security/hostile.py``) audited by a
whole audit run, outputs included.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

from markdown_it import MarkdownIt

from readiness_harness.console import PlainConsole
from readiness_harness.contract.status import Status
from tests.security.hostile import (
    MIB,
    HostileServer,
    big_body,
    control_chars,
    early_413,
    gzip_bomb,
    login,
    lone_surrogate,
    metric_series,
    ok,
    reset_without_answer,
    session_only,
)
from tests.security.support import audit_url, by_id, checklist

EARLY_413_ITEMS = """
- id: body-limit-http
  title: An 8 MiB body is refused with 413
  severity: high
  check: {type: http, method: POST, path: /orders, body_size: 8388608, expect: {status: 413}}
- id: body-limit-attack
  title: An 8 MiB order is refused cleanly
  severity: high
  check:
    type: attack
    attacks:
      - {name: 8 MiB order body, method: POST, path: /orders, body_size: 8388608,
         expect: {status: 413, json: {error.code: PAYLOAD_TOO_LARGE}}}
- id: body-limit-burst
  title: Every large body is refused
  severity: high
  check:
    type: burst
    request: {method: POST, path: /orders, body_size: 6291456}
    count: 4
    concurrency: 4
    expect: {min_status_count: {413: 4}}
"""


def test_an_early_413_then_a_reset_is_the_answer(tmp_path: Path) -> None:
    """The server answers from the headers and resets while the body is still going out (a small
    receive buffer and a body larger than every socket buffer make the reset land mid-send)."""
    with HostileServer({"/orders": early_413}, receive_buffer=4096) as server:
        results = by_id(audit_url(checklist(tmp_path, EARLY_413_ITEMS), server.url))
    for item_id in ("body-limit-http", "body-limit-attack", "body-limit-burst"):
        assert results[item_id].status == Status.PASSED, (item_id, results[item_id].message)


def test_a_reset_before_any_answer_is_still_an_error(tmp_path: Path) -> None:
    items = """
    - id: body-limit-http
      title: An 8 MiB body is refused with 413
      severity: high
      check: {type: http, method: POST, path: /orders, body_size: 8388608, expect: {status: 413}}
    """
    with HostileServer({"/orders": reset_without_answer}, receive_buffer=4096) as server:
        result = by_id(audit_url(checklist(tmp_path, items), server.url))["body-limit-http"]
    assert result.status == Status.FAILED and result.message.startswith("response: "), result.message
    assert "Error" in result.message


def test_cookies_an_answer_sets_are_sent_by_the_next_steps(tmp_path: Path) -> None:
    items = """
    - id: session
      title: A session cookie is kept between steps
      severity: medium
      check:
        type: sequence
        steps:
          - {name: sign in, request: {method: POST, path: /login, json: {}}, expect: {status: 200}}
          - {name: use it, request: {path: /me}, expect: {status: 200}}
    """
    with HostileServer({"/login": login, "/me": session_only}) as server:
        result = by_id(audit_url(checklist(tmp_path, items), server.url))["session"]
    assert result.status == Status.PASSED, result.message


SURROGATE_ITEMS = """
- id: name-field
  title: The name is plain text
  severity: high
  check: {type: http, path: /name, expect: {json: {name: ok, nested.list.0: {type: string}}}}
- id: sequence-capture
  title: A captured value is sent back
  severity: medium
  check:
    type: sequence
    steps:
      - name: read
        request: {path: /name}
        capture: {name: status}
      - name: echo
        request: {path: /ok, query: {name: "{var.name}"}}
        expect: {status: 200}
"""


def test_a_lone_surrogate_in_json_still_gives_every_report(tmp_path: Path) -> None:
    with HostileServer({"/name": lone_surrogate, "/ok": ok}) as server:
        outcome = audit_url(checklist(tmp_path, SURROGATE_ITEMS), server.url)
    run_dir = outcome.run_dir
    for name in ("results.json", "index.html", "junit.xml", "summary.md", "journal.jsonl"):
        assert (run_dir / name).is_file(), name
    data = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    item = next(i for i in data["items"] if i["id"] == "name-field")
    assert item["status"] == "failed" and "\\ud800" in item["message"], item["message"]
    assert by_id(outcome)["sequence-capture"].status in (Status.PASSED, Status.FAILED)


def test_control_characters_and_markdown_from_the_target_are_neutralised(tmp_path: Path) -> None:
    items = """
    - id: status-text
      title: The status is ok
      severity: high
      check: {type: http, path: /status, expect: {json: {status: ok}, headers: {X-Evil: {equals: fine}}}}
    """
    console = io.StringIO()
    with HostileServer({"/status": control_chars}) as server:
        outcome = audit_url(checklist(tmp_path, items), server.url)
    PlainConsole(out=console).item_finished(outcome.record.items[0])
    run_dir = outcome.run_dir
    assert outcome.record.items[0].status == Status.FAILED
    ET.parse(run_dir / "junit.xml")  # expat: a control character is "not well-formed"
    assert "\x1b" not in console.getvalue() and "\x00" not in console.getvalue() and "\\x1b" in console.getvalue()
    html = (run_dir / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", html)
    _assert_inert_markdown((run_dir / "summary.md").read_text(encoding="utf-8"))


def _assert_inert_markdown(summary: str) -> None:
    assert "RED" in summary, "the target's text is shown"
    tokens = MarkdownIt("commonmark").enable("table").parse(summary)
    inline = [child for token in tokens for child in (token.children or [])]
    live = [t.type for t in inline if t.type in ("link_open", "image", "html_inline")]
    assert not live and not any(t.type == "html_block" for t in tokens), live
    text = " ".join(t.content for t in inline if t.type in ("text", "code_inline"))
    assert not re.search(r"(?<![\w\u200b])@[A-Za-z0-9]", text), "a live @mention"
    assert not re.search(r"https?://|www\.", text), "text GitHub would autolink"
    assert not re.search(r"[\x00-\x08\x0b-\x1f]", summary)


def test_answers_are_cut_at_the_byte_cap_and_the_message_says_so(tmp_path: Path) -> None:
    items = """
    - id: huge
      title: A 64 MiB answer
      severity: high
      check: {type: http, path: /huge, expect: {status: 200, body_contains: [xxxx]}}
    - id: huge-unread-text
      title: A text past the cap cannot be looked for
      severity: high
      check: {type: http, path: /huge, expect: {status: 200, body_contains: [never-there]}}
    - id: huge-json
      title: JSON cut at the cap cannot be read
      severity: high
      check: {type: http, path: /huge, expect: {status: 200, json: {a: 1}}}
    - id: bomb
      title: A gzip bomb
      severity: high
      check: {type: http, path: /bomb, max_response_bytes: 1048576, expect: {status: 200}}
    - id: burst
      title: Many large answers
      severity: medium
      check:
        type: burst
        request: {path: /five}
        count: 12
        concurrency: 6
        expect: {min_status_count: {200: 12}}
    """
    routes = {"/huge": big_body(64 * MIB), "/bomb": gzip_bomb(512 * MIB), "/five": big_body(5 * MIB)}
    with HostileServer(routes) as server:
        results = by_id(audit_url(checklist(tmp_path, items), server.url))
    assert results["huge"].status == Status.PASSED and "cut at 8 MiB" in results["huge"].message
    for item_id in ("huge-unread-text", "huge-json"):
        assert results[item_id].status == Status.INCONCLUSIVE, (item_id, results[item_id].message)
        assert results[item_id].message.startswith("not judged: ") and "cut at 8 MiB" in results[item_id].message
    assert results["bomb"].status == Status.PASSED and "cut at 1 MiB" in results["bomb"].message
    bomb_body = next(e for e in results["bomb"].evidence if e.kind == "http").response_body or ""
    assert bomb_body.startswith("\x00" * 100) or "[response cut at 1 MiB" in bomb_body
    assert results["burst"].status == Status.PASSED, results["burst"].message


def test_a_metrics_endpoint_beyond_the_series_cap_is_read_up_to_it(tmp_path: Path) -> None:
    items = """
    - id: exposed
      title: Families are exposed
      severity: high
      check: {type: metrics, max_series: 50000, families: [{name: up_total}, {name: wide_series}]}
    - id: bounded
      title: A sum over the cut family cannot be judged
      severity: high
      check: {type: metrics, max_series: 50000, families: [{name: wide_series, max: 10}]}
    - id: absent
      title: A family never reached cannot be called absent
      severity: high
      check: {type: metrics, max_series: 50000, families: [{name: not_there_total}]}
    """
    with HostileServer({"/metrics": metric_series(300_000)}) as server:
        results = by_id(audit_url(checklist(tmp_path, items), server.url))
    assert results["exposed"].status == Status.PASSED, results["exposed"].message
    assert "first 50000 series" in results["exposed"].message
    for item_id in ("bounded", "absent"):
        assert results[item_id].status == Status.INCONCLUSIVE, (item_id, results[item_id].message)
        assert "50000 series" in results[item_id].message


def test_the_journal_and_results_json_are_written_whatever_an_item_holds(tmp_path: Path) -> None:
    """Past every guard where evidence is made, the writers still write (the text escaped)."""
    from readiness_harness.journal import journal_line, read_journal
    from readiness_harness.reports.results_json import render_json
    from tests.reports.conftest import make_item, make_record

    item = make_item("a", Status.FAILED).model_copy(update={"message": "name \ud800 from the target"})
    (tmp_path / "journal.jsonl").write_text(journal_line(item) + "\n", encoding="utf-8")
    assert read_journal(tmp_path / "journal.jsonl")[0].message == "name \\ud800 from the target"
    assert json.loads(render_json(make_record([item])))["items"][0]["message"] == "name \\ud800 from the target"
