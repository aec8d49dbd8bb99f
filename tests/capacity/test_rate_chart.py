"""A chart whose horizontal axis is not time: the capacity search's asked rate, with the knee marked."""

from __future__ import annotations

from readiness_harness.contract.evidence import TimeSeries, Window
from readiness_harness.reports.charts import render_timeseries


def test_a_chart_names_its_own_horizontal_axis_and_marks_in_its_units():
    chart = TimeSeries(title="rate", t=[250, 400, 640, 1024], x_label="asked request rate (req/s)",
                       series={"achieved_rps": [250, 400, 639, 971], "p95_ms": [2, 15, 10, 93]},
                       windows=[Window(label="capacity (knee)", start=640, end=640)])
    svg = render_timeseries(chart, chart_id="c1")
    assert "asked request rate (req/s)" in svg and "seconds since start" not in svg
    assert "marked: capacity (knee) 640<" in svg  # no " s" after a rate


def test_a_time_chart_keeps_its_default_axis():
    svg = render_timeseries(TimeSeries(title="t", t=[0, 1], series={"rps": [1, 2]},
                                       windows=[Window(label="injected", start=1, end=1)]), chart_id="c2")
    assert "seconds since start" in svg and "marked: injected 1 s" in svg
