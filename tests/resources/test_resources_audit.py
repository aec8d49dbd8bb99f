"""The reference resources item against the real service: memory_leak fails it within 20 s of load, the clean
service passes; what an item may not ask is refused before anything starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from readiness_harness.contract.status import Status
from tests.capacity.support import reference_item
from tests.conftest import REFERENCE_TARGET, ROOT
from tests.loadtests.conftest import lingering

LOCUSTFILE = str(ROOT / "loadtests" / "locustfiles" / "portfolio.py")


@pytest.mark.slow
def test_memory_leak_fails_the_item_with_its_slope_and_time_to_the_limit(tmp_path):
    item = reference_item("memory-stable-under-load", tmp_path / "out", defect="memory_leak")
    assert item.status == Status.FAILED, item.message
    assert "api: resident memory" in item.message and "500 reached in" in item.message
    assert item.measurements["api_rss_mb_slope_per_min"] > 20  # about 76 MB/min at 150 reads/s
    charts = [e for e in item.evidence if e.kind == "timeseries" and e.title.startswith("api: resident memory")]
    assert charts and "api rss_mb trend" in charts[0].series and charts[0].windows[0].label.startswith("warm-up")
    assert not lingering(tmp_path), "Locust left running"


@pytest.mark.slow
def test_the_clean_service_passes(tmp_path):
    item = reference_item("memory-stable-under-load", tmp_path / "out")
    assert item.status in (Status.PASSED, Status.INCONCLUSIVE), item.message
    assert abs(item.measurements["api_rss_mb_slope_per_min"]) < 5, item.measurements
    if item.status == Status.INCONCLUSIVE:  # only the load may make it so (the machine too busy for its rate)
        assert "target rate" in item.message or "generator" in item.message, item.message


def _validate(tmp_path: Path, check: dict) -> subprocess.CompletedProcess[str]:
    doc = {"checklist": {"id": "r", "title": "R", "target": str(REFERENCE_TARGET)},
           "sections": [{"id": "s", "title": "S", "items": [
               {"id": "resources", "title": "Resources", "severity": "high", "check": check}]}]}
    path = tmp_path / "checklist.yaml"
    path.write_text(yaml.safe_dump(doc))
    return subprocess.run([str(Path(sys.executable).parent / "harness"), "validate", str(path)],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("check", "said"), [
    ({"processes": ["apii"], "max_rss_mb": 500}, "no process named 'apii'"),
    ({"processes": ["api"]}, "set at least one limit"),
    ({"processes": ["api"], "max_rss_mb": 500, "warmup_s": 30}, "make it at least 35 s"),
])
def test_what_an_item_may_not_ask_is_refused_at_validation(tmp_path, check, said):
    check = {"type": "resources", "load": {"locustfile": LOCUSTFILE, "target_rps": 10, "duration_s": 20}, **check}
    result = _validate(tmp_path, check)
    assert result.returncode == 2 and said in result.stdout + result.stderr, result.stdout + result.stderr
