"""The report in a real browser: headless Chromium renders it, prints it, and runs none of its payloads.

Skipped only when Chromium is missing outside CI; in CI (env ``CI`` set) a missing browser fails.
Screenshots and the PDF are kept under ``test-artifacts/reports/``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from readiness_harness.contract.record import AuditRecord
from readiness_harness.reports.html import render_html

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "reports"
FLAGS = ["--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0"]
CANARY = ("<script>document.documentElement.setAttribute('data-canary', 'ran');"
          "console.log('canary-console');</script>")
CSP = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')

pytestmark = pytest.mark.needs_tool("chromium")


@dataclass
class Page:
    dom: str
    console: list[str]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("chromium is required in CI (apt-get install chromium)")
    pytest.skip("chromium is not installed")


def open_page(path: Path, *extra: str) -> Page:
    """Load a file in a fresh headless profile; return the DOM after scripts ran and every console line."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, "--dump-dom", path.as_uri()]
        if os.geteuid() == 0:
            command.insert(1, "--no-sandbox")
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return Page(done.stdout, [line for line in done.stderr.splitlines() if ":CONSOLE" in line])


@pytest.fixture
def report(full_record: AuditRecord, tmp_path: Path) -> tuple[Path, str]:
    html = render_html(full_record)
    path = tmp_path / "index.html"
    path.write_text(html, encoding="utf-8")
    return path, f"{full_record.verdict} · {full_record.checklist.title}"


def test_report_renders_without_console_errors_and_payloads_stay_text(report: tuple[Path, str]) -> None:
    path, title = report
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "report.png"
    screenshot.unlink(missing_ok=True)
    page = open_page(path, "--window-size=1280,4200", f"--screenshot={screenshot}")
    assert page.console == []  # a script that got through would be blocked by the CSP, and logged here
    assert f"<title>{title}</title>" in page.dom
    assert "<xss-marker" not in page.dom and "XSS-IMG" not in page.dom.split("<body", 1)[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.dom
    assert screenshot.stat().st_size > 50_000


def test_payloads_do_not_run_even_without_the_content_security_policy(report: tuple[Path, str],
                                                                       tmp_path: Path) -> None:
    path, title = report
    html = path.read_text(encoding="utf-8")
    assert CSP.search(html)
    unguarded = tmp_path / "unguarded.html"
    unguarded.write_text(CSP.sub("", html).replace("</body>", CANARY + "</body>"), encoding="utf-8")
    page = open_page(unguarded)
    assert 'data-canary="ran"' in page.dom  # scripts do run on this page: the checks below mean something
    assert len(page.console) == 1 and "canary-console" in page.console[0]
    assert f"<title>{title}</title>" in page.dom
    assert "<xss-marker" not in page.dom


def test_report_prints_to_pdf(report: tuple[Path, str]) -> None:
    path, _ = report
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "report.pdf"
    pdf.unlink(missing_ok=True)
    page = open_page(path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert page.console == []
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
