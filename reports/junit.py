"""``junit.xml``: one testcase per item, grouped in one testsuite per section."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

from readiness_harness.record import AuditRecord, ItemResult
from readiness_harness.result import Status

_FAILURE = {Status.FAILED, Status.UNATTESTED, Status.INCONCLUSIVE}
_SKIPPED = {Status.SKIPPED, Status.NOT_APPLICABLE, Status.WAIVED}


def render_junit(record: AuditRecord) -> str:
    root = ET.Element("testsuites", name=record.checklist.id, tests=str(len(record.items)))
    sections: dict[str, list[ItemResult]] = {}
    for item in record.items:
        sections.setdefault(item.section, []).append(item)
    for section, items in sections.items():
        suite = ET.SubElement(root, "testsuite", name=f"{record.checklist.id}.{section}", tests=str(len(items)),
                              failures=str(sum(i.status in _FAILURE for i in items)),
                              errors=str(sum(i.status == Status.ERROR for i in items)),
                              skipped=str(sum(i.status in _SKIPPED for i in items)),
                              time=f"{sum(i.duration_s for i in items):.3f}")
        for item in items:
            _testcase(suite, record, item)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def _testcase(suite: ET.Element, record: AuditRecord, item: ItemResult) -> None:
    case = ET.SubElement(suite, "testcase", classname=f"{record.checklist.id}.{item.section}", name=item.id,
                         time=f"{item.duration_s:.3f}")
    text = f"[{item.severity.value}] {item.title}: {item.message}"
    if item.status in _FAILURE:
        ET.SubElement(case, "failure", message=item.message[:500], type=item.status.value).text = text
    elif item.status == Status.ERROR:
        ET.SubElement(case, "error", message=item.message[:500], type="error").text = text
    elif item.status in _SKIPPED:
        ET.SubElement(case, "skipped", message=f"{item.status.value}: {item.message}"[:500])
    ET.SubElement(case, "system-out").text = text


def write_junit(record: AuditRecord, path: Path) -> Path:
    path.write_text(render_junit(record), encoding="utf-8")
    return path
