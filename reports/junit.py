"""``junit.xml``: one testcase per item, grouped in one testsuite per section."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from readiness_harness.contract.record import AuditRecord, ItemResult


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
    text = f"[{item.severity.value}] {item.title}: {item.message}"
    if item.status.junit == "failure":
        ET.SubElement(case, "failure", message=item.message[:500], type=item.status.value).text = text
    elif item.status.junit == "error":
        ET.SubElement(case, "error", message=item.message[:500], type="error").text = text
    elif item.status.junit == "skipped":
        ET.SubElement(case, "skipped", message=f"{item.status.value}: {item.message}"[:500])
    ET.SubElement(case, "system-out").text = text


def write_junit(record: AuditRecord, path: Path) -> Path:
    path.write_text(render_junit(record), encoding="utf-8")
    return path
