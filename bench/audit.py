"""Wall time and peak memory of real audits of the reference checklist."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHECKLIST = ROOT / "checklists" / "reference.yaml"


def _high_water_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def run_audit(*args: str, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``harness audit`` as a subprocess; wall time, exit code and the harness's peak RSS."""
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as out:
        command = [str(Path(sys.executable).parent / "harness"), "audit", str(CHECKLIST), "--out", out, "--quiet",
                   *args]
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env={**os.environ, **(environ or {})})
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _high_water_kb(proc.pid) or 0)
            time.sleep(0.05)
        wall = time.perf_counter() - started
        results = json.loads((Path(out) / "latest" / "results.json").read_text())
        return {"wall_s": round(wall, 2), "exit_code": proc.returncode, "verdict": results["verdict"],
                "items": len(results["items"]),
                "ran": sum(1 for i in results["items"] if i["status"] != "skipped"),
                "peak_rss_mb": round(peak / 1024, 1)}


def configured_seconds(path: Path = CHECKLIST) -> float:
    """The load and fault durations the checklist asks for (time the harness cannot save)."""
    doc = yaml.safe_load(path.read_text())
    total = 0.0
    for section in doc["sections"]:
        for item in section["items"]:
            check = item.get("check") or {}
            if check.get("type") == "load":
                total += float(check.get("duration_s", 0))
            elif check.get("type") == "chaos":
                total += float(check.get("settle_s", 0.2)) + float(check.get("hold_s", 0))
                load = check.get("load") or {}
                total += float(load.get("duration_s", 0))
            elif check.get("type") == "shutdown":
                total += float(check.get("signal_after_ms", 300)) / 1000
    return total


def run() -> dict[str, Any]:
    functional = run_audit("--phases", "functional")
    # The same without the audit's Prometheus, whose target discovery alone takes about 5 s.
    functional_no_prometheus = run_audit("--phases", "functional", environ={"HARNESS_PROMETHEUS": "off"})
    full = run_audit()
    configured = configured_seconds()
    full["configured_load_and_fault_s"] = round(configured, 1)
    full["overhead_s"] = round(full["wall_s"] - configured, 2)
    return {"functional": functional, "functional_without_prometheus": functional_no_prometheus, "full": full}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
