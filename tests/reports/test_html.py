"""The HTML report: self-contained, escaped, and showing what a reviewer needs to sign."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from readiness_harness.contract.checklist import Severity
from readiness_harness.contract.record import AuditRecord, RunDiff, StatusChange
from readiness_harness.contract.status import Status
from readiness_harness.reports.html import render_html
from tests.reports.conftest import ALERT, XSS, make_item, make_record


class _Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's parser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_report_is_self_contained(full_record: AuditRecord) -> None:
    html = render_html(full_record)
    found = tags(html)
    assert not [t for t, _ in found if t in ("script", "iframe", "object", "embed", "link")]
    for tag, attrs in found:
        for name in ("src", "href", "xlink:href", "action"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//", "javascript:")), (tag, name, value)
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html


def test_hostile_text_appears_escaped(full_record: AuditRecord) -> None:
    html = render_html(full_record)
    assert ALERT not in html and XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;document.title=" in html
    assert not [t for t, _ in tags(html) if t in ("script", "img", "xss-marker")]


def test_verdict_banner_lists_blocking_items_with_links(full_record: AuditRecord) -> None:
    html = render_html(full_record)
    banner = html[html.index('id="verdict"'):html.index('class="summary"')]
    assert "REJECTED" in banner
    for item_id in full_record.blocking:
        assert f'href="#item-{item_id}"' in banner
        assert f'id="item-{item_id}"' in html
    assert "50.0" in banner and "2 of 5 claims verified" in banner


def test_counts_by_status_and_severity(full_record: AuditRecord) -> None:
    html = render_html(full_record)
    matrix = html[html.index('class="matrix"'):]
    matrix = matrix[:matrix.index("</table>")]
    assert re.search(r'sev-critical">critical</span></td><td>1</td>', matrix)
    labels = ("passed", "failed", "error", "waived", "not applicable")
    assert [label for label in labels if f">{label}<" not in matrix] == []


def test_evidence_of_every_kind_is_rendered(full_record: AuditRecord) -> None:
    html = render_html(full_record)
    assert "GET http://127.0.0.1:8000/v1/quotes?symbol=X" in html and "X-API-Key: [redacted]" in html
    assert "more characters cut" in html
    assert "recovered after 3.5 s" in html
    assert "<th>status</th><th>count</th>" in html
    assert "service log" in html and "circuit opened" in html
    assert html.count('<svg ') == 1 and "p95_ms" in html and "errors_per_s" in html
    assert 'href="load-50/locust.html"' in html
    assert "<code>https://example.com/x</code>" in html and "<code>javascript:alert(1)</code>" in html


def test_failed_items_show_their_bulky_evidence_open() -> None:
    from readiness_harness.contract.evidence import HttpExchange

    exchange = HttpExchange(method="GET", url="http://127.0.0.1:1/x", status=500)
    record = make_record([make_item("ok", Status.PASSED, evidence=[exchange]),
                          make_item("bad", Status.FAILED, evidence=[exchange])])
    html = render_html(record)
    ok, bad = html[html.index('id="item-ok"'):html.index('id="item-bad"')], html[html.index('id="item-bad"'):]
    assert '<details class="ev http">' in ok and '<details class="ev http" open>' in bad


def test_signoff_block_lists_missing_roles_and_declared_names(full_record: AuditRecord) -> None:
    html = render_html(full_record)
    block = html[html.index('id="signature"'):]
    missing = block[block.index("Roles without a verified signature"):]
    for role in ("Service owner", "SRE lead", "Security reviewer"):
        assert f"<strong>{role}</strong>" in missing.split("</p>")[0]
    assert "No signatures yet." in block
    declared = block[block.index("Named in the attestations file"):]
    assert "Ana Lima" in declared and "2025-01-02" in declared and "they are not signatures" in declared
    assert "not a role the checklist names" in declared and "Mallory &lt;script&gt;" in declared


def test_attestations_and_waivers_are_listed(full_record: AuditRecord) -> None:
    html = render_html(full_record)
    section = html[html.index('id="signoffs"'):html.index('id="environment"')]
    assert "Attestations (2)" in section and "Waivers (1)" in section
    assert "restore drill booked for next sprint" in section and "OPS-12" in section and "CTO" in section


def test_environment_fingerprint(full_record: AuditRecord) -> None:
    html = render_html(full_record)
    env = html[html.index('id="environment"'):html.index('id="signature"')]
    assert "locust" in env and "embedded 2.9.0" in env and "ab" * 32 in env and "CPython 3.11.7" in env


def test_diff_section(full_record: AuditRecord) -> None:
    failure = StatusChange(id="rate-limit", title="Rate limit", before=Status.PASSED, after=Status.FAILED)
    waived = StatusChange(id="backups", title="Backups", before=Status.FAILED, after=Status.WAIVED)
    full_record.diff = RunDiff(previous_run_id="ref-earlier", previous_verdict="APPROVED", previous_score=80.0,
                               new_failures=[failure], changed=[failure, waived])
    section = render_html(full_record).split('id="diff"')[1].split('id="claims"')[0]
    assert "ref-earlier" in section and "New failures (1)" in section and 'href="#item-rate-limit"' in section
    assert "Other status changes (1)" in section and 'href="#item-backups"' in section


def test_first_run_and_partial_report() -> None:
    first = RunDiff(notes=["No earlier run of this checklist to compare with."])
    record = make_record([make_item("a", Status.SKIPPED, severity=Severity.LOW)], complete=False,
                         interrupted="SIGINT", diff=first)
    html = render_html(record)
    assert "Partial report" in html and "SIGINT" in html and "No earlier run" in html
    assert "no claims recorded" in html


def test_chart_ids_are_unique_on_the_page(full_record: AuditRecord) -> None:
    full_record.items[2].evidence.append(full_record.items[2].evidence[0])
    html = render_html(full_record)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert html.count("<svg ") == 2
    assert len(ids) == len(set(ids))


def test_render_benchmark_runs() -> None:
    from bench.render import bench_render

    result = bench_render(20, charts=1, repeats=1)
    assert result["items"] == 20 and result["html_bytes"] > 10_000 and result["best_s"] > 0
