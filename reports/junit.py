"""``junit.xml``: one testcase per item, grouped in one testsuite per section.

Text from the target (messages quote it) may hold characters XML 1.0 forbids: control characters
and lone surrogates are written as escapes (``\x1b``), so the file always parses.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from readiness_harness.contract.record import AuditRecord, ItemResult
from readiness_harness.contract.safetext import escape_controls


def render_junit(record: AuditRecord) -> str:
    root = ET.Element("testsuites", name=record.checklist.id, tests=str(len(record.items)))
    sections: dict[str, list[ItemResult]] = {}
    for item in record.items:
        sections.setdefault(item.section, []).append(item)
    for section, items in sections.items():
        suite = ET.SubElement(root, "testsuite", name=f"{record.checklist.id}.{section}", tests=str(len(items)),
                              failures=str(sum(i.status.junit == "failure" for i in items)),
                              errors=str(sum(i.status.junit == "error" for i in items)),
                              skipped=str(sum(i.status.junit == "skipped" for i in items)),
                              time=f"{sum(i.duration_s for i in items):.3f}")
        for item in items:
            _testcase(suite, record, item)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _testcase(suite: ET.Element, record: AuditRecord, item: ItemResult) -> None:
    case = ET.SubElement(suite, "testcase", classname=f"{record.checklist.id}.{item.section}", name=item.id,
                         time=f"{item.duration_s:.3f}")
    message = escape_controls(item.message)
    text = f"[{item.severity.value}] {escape_controls(item.title)}: {message}"
    if item.status.junit == "failure":
        ET.SubElement(case, "failure", message=message[:500], type=item.status.value).text = text
    elif item.status.junit == "error":
        ET.SubElement(case, "error", message=message[:500], type="error").text = text
    elif item.status.junit == "skipped":
        ET.SubElement(case, "skipped", message=f"{item.status.value}: {message}"[:500])
    ET.SubElement(case, "system-out").text = text


def write_junit(record: AuditRecord, path: Path) -> Path:
    path.write_text(render_junit(record), encoding="utf-8")
    return path
