"""Load-test charts: matplotlib SVG, grouped into panels, windows shaded, text escaped."""

from __future__ import annotations

import re

from readiness_harness.contract.evidence import TimeSeries, Window
from readiness_harness.reports.charts import group_series, panel_of, render_timeseries
from tests.reports.conftest import load_series


def test_series_are_grouped_into_rate_latency_and_error_panels() -> None:
    panels = group_series(load_series())
    assert [p.name for p in panels] == ["throughput", "latency", "errors"]
    assert panels[0].left == ["rps"] and panels[0].right == ["users"]
    assert panels[1].left[:3] == ["p50_ms", "p95_ms", "p99_ms"]
    assert panels[2].left == ["errors_per_s"]


def test_panel_of_uses_names_and_units() -> None:
    assert panel_of("p95_ms") == "latency" and panel_of("latency_mean") == "latency"
    assert panel_of("median", "ms") == "latency"
    assert panel_of("failures_per_s") == "errors" and panel_of("rps") == "throughput"


def test_only_existing_series_are_charted() -> None:
    series = TimeSeries(title="t", t=[0.0, 1.0, 2.0], series={"p95_ms": [1.0, 2.0, None], "rps": [None, None, None]})
    panels = group_series(series)
    assert [p.name for p in panels] == ["latency"]
    svg = render_timeseries(series, chart_id="c1")
    assert svg.startswith("<svg") and "p95_ms" in svg and "rps" not in svg


def test_a_lone_users_series_goes_on_the_left_axis() -> None:
    panels = group_series(TimeSeries(title="t", t=[0.0, 1.0], series={"users": [1.0, 2.0]}))
    assert panels[0].left == ["users"] and panels[0].right == []


def test_svg_is_inline_ready_and_ids_are_prefixed() -> None:
    svg = render_timeseries(load_series(), chart_id="chart7")
    assert svg.startswith("<svg") and 'class="chart"' in svg and "<metadata" not in svg
    assert 'width="' not in svg.split(">", 1)[0]
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert ids and all(i.startswith("chart7-") for i in ids)
    assert all(ref.startswith("chart7-") for ref in re.findall(r'(?:url\(#|href="#)([^")]+)', svg))


def test_windows_are_shaded_and_labelled() -> None:
    svg = render_timeseries(load_series(), chart_id="c")
    assert "shaded: fault: db latency" in svg
    assert "fill: #d4a72c" in svg


def test_text_in_the_svg_is_escaped() -> None:
    svg = render_timeseries(load_series(), chart_id="c")
    assert "<script" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg


def test_dollar_signs_and_ragged_series_do_not_break_rendering() -> None:
    series = TimeSeries(title="t", t=[0.0, 1.0, 2.0, 3.0], series={"cost_$_ms": [1.0, 2.0], "_hidden": [1.0] * 9},
                        windows=[Window(label="$x^2$ fault", start=1.0, end=2.0)])
    svg = render_timeseries(series, chart_id="c")
    assert "cost_$_ms" in svg and "$x^2$ fault" in svg and "hidden" in svg


def test_nothing_to_plot_gives_no_chart() -> None:
    assert render_timeseries(TimeSeries(title="t", t=[], series={"rps": []}), chart_id="c") == ""
    assert render_timeseries(TimeSeries(title="t", t=[0.0], series={}), chart_id="c") == ""
