"""Rendering a 1,000-item record (with load charts) to HTML."""

from __future__ import annotations

from typing import Any

from readiness_harness.reports.bench_render import bench_render


def run() -> dict[str, Any]:
    return {k: round(v, 3) for k, v in bench_render(1000, charts=3).items()}
