"""Charts of load-test time series, rendered by matplotlib as inline SVG.

Series are grouped into at most three stacked panels that share the time axis: request rate
(with concurrent users on a second axis, and the asked rate dashed), latency percentiles, and
errors. Every ``windows`` entry is shaded on each panel, in a colour of its kind (a baseline,
a fault, a recovery window, or another span); a zero-width window is a moment (a fault injected,
rolled back) and is drawn as a vertical line. The series are drawn as given: what the load
evidence supplies is per bucket, never a rolling average.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from readiness_harness.contract.evidence import TimeSeries

matplotlib.use("Agg")  # headless; pyplot is never imported, so this only guards other callers in the process

PANELS = ("throughput", "latency", "errors")
PANEL_LABELS = {"throughput": "requests/s", "latency": "ms", "errors": "errors/s"}
USERS = frozenset({"users", "user_count", "concurrency"})
COLOURS = {"rps": "#0969da", "users": "#8c959f", "p50_ms": "#1a7f37", "p90_ms": "#9a6700", "p95_ms": "#bc4c00",
           "p99_ms": "#cf222e", "max_ms": "#8250df", "errors_per_s": "#cf222e", "failures_per_s": "#cf222e"}
CYCLE = ("#0969da", "#1a7f37", "#bc4c00", "#8250df", "#cf222e", "#1b7c83", "#6e7781")
WINDOW_COLOUR = "#d4a72c"
WINDOW_KINDS = (("baseline", "#1a7f37"), ("fault", "#cf222e"), ("recovery", "#0969da"))
MARK_COLOUR = "#24292f"
DASHED = frozenset({"asked_rps", "target_rps"})
RC: dict[str, Any] = {
    "svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
    "axes.edgecolor": "#8c959f", "axes.grid": True, "axes.grid.axis": "y", "grid.color": "#d0d7de",
    "grid.linewidth": 0.6, "xtick.color": "#57606a", "ytick.color": "#57606a", "axes.labelcolor": "#57606a",
    "legend.frameon": False,
}
_PERCENTILE = re.compile(r"^p\d+")


@dataclass
class Panel:
    """One chart panel: its series on the left axis and, optionally, some on a right axis."""

    name: str
    left: list[str] = field(default_factory=list)
    right: list[str] = field(default_factory=list)


def panel_of(name: str, unit: str = "") -> str:
    """Which panel a series belongs to, from its name and unit."""
    lowered, unit = name.lower(), unit.lower()
    if "error" in lowered or "fail" in lowered:
        return "errors"
    if lowered.endswith("_ms") or unit in ("ms", "s") or "latency" in lowered or _PERCENTILE.match(lowered):
        return "latency"
    return "throughput"


def group_series(ts: TimeSeries) -> list[Panel]:
    """The non-empty panels for a time series, in a fixed order."""
    panels = {name: Panel(name) for name in PANELS}
    for name, values in ts.series.items():
        if not any(v is not None for v in values):
            continue
        panel = panels[panel_of(name, ts.unit.get(name, ""))]
        (panel.right if name.lower() in USERS else panel.left).append(name)
    out = [p for p in panels.values() if p.left or p.right]
    for panel in out:
        if not panel.left:
            panel.left, panel.right = panel.right, []
    return out


def render_timeseries(ts: TimeSeries, *, chart_id: str) -> str:
    """An inline ``<svg>`` element (no XML prologue); empty when there is nothing to plot."""
    panels = group_series(ts)
    if not panels or not ts.t:
        return ""
    t = np.asarray(ts.t, dtype=float)
    settings: Any = {**RC, "svg.hashsalt": chart_id}
    with matplotlib.rc_context(settings), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
        fig = Figure(figsize=(9.0, 0.6 + 1.8 * len(panels)))
        axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
        for ax, panel in zip(axes, panels, strict=True):
            _shade_windows(ax, ts)
            _draw_panel(ax, panel, t, ts, windows=ax is axes[0])
        axes[-1].set_xlabel(ts.x_label or "seconds since start")
        fig.subplots_adjust(left=0.08, right=0.92, top=1 - 0.3 / fig.get_figheight(),
                            bottom=0.45 / fig.get_figheight(), hspace=0.35)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return _inline(buffer.getvalue(), chart_id)


def _draw_panel(ax: Axes, panel: Panel, t: np.ndarray, ts: TimeSeries, *, windows: bool) -> None:
    lines: list[Artist] = []
    for index, name in enumerate(panel.left):
        lines += ax.plot(*_xy(t, ts.series[name]), label=_label(name), linewidth=1.1 if name in DASHED else 1.4,
                         linestyle="--" if name in DASHED else "-",
                         color="#57606a" if name in DASHED else COLOURS.get(name, CYCLE[index % len(CYCLE)]))
    ax.set_ylabel(_unit_label(panel, ts))
    ax.set_ylim(bottom=0)
    # Few ticks: each one costs several artists to draw, and drawing dominates the render time.
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 5, 10]))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8))
    if panel.right:
        twin = ax.twinx()
        twin.spines["right"].set_visible(True)
        twin.grid(False)
        for name in panel.right:
            lines += twin.plot(*_xy(t, ts.series[name]), label=_label(name), linewidth=1.1, linestyle="--",
                               color=COLOURS.get(name, "#8c959f"))
        twin.set_ylabel(_label(panel.right[0]))
        twin.set_ylim(bottom=0)
        twin.yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 5, 10]))
    if windows:
        lines += _window_legend(ts)
    ax.legend(handles=lines, loc="lower left", ncol=len(lines), fontsize=8, bbox_to_anchor=(0, 1.0),
              borderaxespad=0.2)


def window_colour(label: str) -> str:
    """A window's colour by its kind, read from the start of its label."""
    lowered = label.strip().lower()
    return next((colour for kind, colour in WINDOW_KINDS if lowered.startswith(kind)), WINDOW_COLOUR)


def _shade_windows(ax: Axes, ts: TimeSeries) -> None:
    for window in ts.windows:
        if window.end > window.start:
            ax.axvspan(window.start, window.end, color=window_colour(window.label), alpha=0.16, linewidth=0)
        else:
            ax.axvline(window.start, color=MARK_COLOUR, linestyle=":", linewidth=1.0)


def _window_legend(ts: TimeSeries) -> list[Artist]:
    spans: dict[str, list[str]] = {}
    for window in ts.windows:
        if window.end > window.start:
            spans.setdefault(window_colour(window.label), []).append(_label(window.label))
    handles: list[Artist] = [Patch(color=colour, alpha=0.3, label="shaded: " + "; ".join(dict.fromkeys(labels)))
                             for colour, labels in spans.items()]
    unit = "" if ts.x_label else " s"
    marks = [f"{_label(w.label)} {w.start:g}{unit}" for w in ts.windows if w.end <= w.start]
    if marks:
        handles.append(Line2D([], [], color=MARK_COLOUR, linestyle=":", label="marked: " + "; ".join(marks)))
    return handles


def _xy(t: np.ndarray, values: list[float | None]) -> tuple[np.ndarray, np.ndarray]:
    n = min(len(t), len(values))
    return t[:n], np.asarray(values[:n], dtype=float)


def _unit_label(panel: Panel, ts: TimeSeries) -> str:
    units = {ts.unit[name] for name in panel.left if ts.unit.get(name)}
    return _label(units.pop()) if len(units) == 1 else PANEL_LABELS[panel.name]


def _label(text: str) -> str:
    """Plain text for matplotlib: no mathtext, no leading underscore (which hides a legend entry)."""
    return text.replace("$", r"\$").lstrip("_") or "series"


def _inline(svg: str, chart_id: str) -> str:
    """Strip the prologue, size by the container, and prefix ids so charts can share one page."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 role="img" class="chart"', svg, count=1)
    return re.sub(r'(\bid="|url\(#|href="#)', rf"\g<1>{chart_id}-", svg)
