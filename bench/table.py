"""The Markdown table of one benchmark run: figure, measured, goal, met."""

from __future__ import annotations

from typing import Any


def _get(results: dict[str, Any], *path: str) -> Any:
    node: Any = results
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _row(label: str, value: Any, unit: str, goal: str, met: bool | None) -> str:
    shown = "—" if value is None else (f"{value:g} {unit}".strip() if isinstance(value, int | float) else str(value))
    mark = "" if met is None else ("yes" if met else "**no**")
    return f"| {label} | {shown} | {goal} | {mark} |"


def _check(value: Any, test: Any) -> bool | None:
    value = _median(value)
    return None if value is None else bool(test(value))


def _median(value: Any) -> Any:
    """A figure measured in several samples is ``{"median", "min", "max"}``; its median."""
    return value.get("median") if isinstance(value, dict) else value


def _fig(value: Any, unit: str = "") -> str:
    """``median unit (min – max)`` for a sampled figure, the value itself otherwise."""
    unit = f" {unit}" if unit else ""
    if isinstance(value, dict) and {"median", "min", "max"} <= set(value):
        return f"{value['median']:g}{unit} ({value['min']:g} – {value['max']:g})"
    return "—" if value is None else f"{value:g}{unit}" if isinstance(value, int | float) else str(value)


def _proxy_rows(server: str, p: dict[str, Any]) -> list[str]:
    """Proxy figures: medians over the samples, with the spread (min – max) in brackets."""
    echo, http, toxic = p.get("echo_1byte", {}), p.get("http_get", {}), p.get("latency_toxic_100ms", {})
    burst_key = next((key for key in p if key.startswith("connect_burst_")), "connect_burst")
    burst = p.get(burst_key, {}).get("proxy", {})
    added, samples = echo.get("added_p50_us"), p.get("samples")
    how = f"paired, {samples} samples" if samples else "one sample"
    return [
        _row(f"{server} proxy: added p50, 1-byte echo ({how})", _fig(added, "µs"), "", "<= 150 µs",
             _check(added, lambda v: v <= 150)),
        _row(f"{server} proxy: added p99, 1-byte echo ({'p99 of paired differences' if samples else 'p99 - p99'})",
             _fig(echo.get("added_p99_us"), "µs"), "", "", None),
        _row(f"{server} proxy: added p50 / p99, HTTP GET", f"{_fig(http.get('added_p50_us'), 'µs')} / "
             f"{_fig(http.get('added_p99_us'), 'µs')}", "", "", None),
        _row(f"{server} proxy: throughput through / direct", f"{_fig(p.get('throughput_proxy_mb_s'), 'MB/s')} / "
             f"{_fig(p.get('throughput_direct_mb_s'), 'MB/s')}", "", "", None),
        _row(f"{server} proxy: 100 ms latency toxic, median error (p99 {_fig(toxic.get('p99_ms'), 'ms')})",
             _fig(toxic.get("median_error_ms"), "ms"), "", "within 2 ms",
             _check(toxic.get("median_error_ms"), lambda v: abs(v) <= 2)),
        _row(f"{server} proxy: {burst_key.removeprefix('connect_burst_')} simultaneous connects, slowest",
             _fig(burst.get("slowest_connect_ms"), "ms"), "", "< 500 ms",
             _check(burst.get("slowest_connect_ms"), lambda v: v < 500)),
    ]  # fmt: skip


MEMORY_CASES = {"answer_500mb": "one 500 MB answer", "gzip_bomb_2gb": "a 2 GB gzip bomb",
                "burst_200x5mb": "a burst of 200 answers of 5 MB", "metrics_1m_series": "1M metric series"}


def _memory_rows(memory: dict[str, Any]) -> list[str]:
    """Peak RSS of the harness auditing each hostile target (``bench/memory.py``)."""
    rows = []
    for key, label in MEMORY_CASES.items():
        case = memory.get(key)
        if isinstance(case, dict):
            rows.append(_row(f"harness peak RSS, {label} ({case.get('status')})", case.get("peak_rss_mb"), "MB",
                             "< 300 MB", _check(case.get("peak_rss_mb"), lambda v: v < 300)))
    return rows


def markdown_table(r: dict[str, Any]) -> str:
    m = r.get("machine", {})
    lines = [f"Machine: {m.get('cpus')} CPUs, {m.get('memory_gb')} GB, {m.get('platform')}, Python {m.get('python')}, "
             f"load average at start {m.get('load_average')}", "",
             "| figure | measured | goal | met |", "|---|---|---|---|"]
    ratio = _get(r, "load", "harness_vs_bare_ratio")
    lines.append(_row("load check vs bare locust (achieved req/s ratio)", ratio, "", ">= 0.97",
                      _check(ratio, lambda v: v >= 0.97)))
    efficiency = _get(r, "load", "cpu_efficiency_ratio")
    lines.append(_row("load check vs bare locust (CPU per request, bare / load check)", efficiency, "", ">= 0.97",
                      _check(efficiency, lambda v: v >= 0.97)))
    two = _get(r, "load", "two_processes") or {}
    ratio2 = two.get("harness_vs_bare_ratio")
    lines.append(_row(f"two processes each: load check vs bare locust (req/s ratio; {two.get('harness_rps')} vs "
                      f"{two.get('bare_rps')} req/s)", ratio2, "", ">= 0.97 at >= 5,000 req/s",
                      _check(ratio2, lambda v: v >= 0.97 and (two.get("bare_rps") or 0) >= 5000)))
    efficiency2 = two.get("cpu_efficiency_ratio")
    lines.append(_row("two processes each: CPU per request, bare / load check", efficiency2, "", ">= 0.97",
                      _check(efficiency2, lambda v: v >= 0.97)))
    scale = _get(r, "load", "two_processes_vs_one")
    lines.append(_row("processes: 2 vs 1 (req/s ratio)", scale, "x", ">= 1.7x", _check(scale, lambda v: v >= 1.7)))
    for key, label in (("harness_rps", "load check req/s"), ("bare_rps", "bare locust req/s"),
                       ("wrk_rps", "wrk req/s (ceiling)")):
        lines.append(_row(label, _get(r, "load", key), "", "", None))
    for server in ("embedded", "real"):
        if _get(r, "proxy", server) is not None:
            lines += _proxy_rows(server, _get(r, "proxy", server))
    for key, label in (("functional", "functional audit"),
                       ("functional_without_prometheus", "functional audit without Prometheus")):
        run = _get(r, "audit", key)
        if run:
            met = _check(run.get("wall_s"), lambda v, run=run: v < 5 and run.get("ran", 0) >= 40)
            lines.append(_row(f"{label} ({run.get('ran')} items) wall time", run.get("wall_s"), "s",
                              "< 5 s for >= 40 items", met))
    full = _get(r, "audit", "full")
    if full:
        lines.append(_row(f"full audit wall time ({full.get('configured_load_and_fault_s')} s of load and faults "
                          "configured)", full.get("wall_s"), "s", "", None))
        lines.append(_row("full audit overhead beyond configured durations", full.get("overhead_s"), "s", "< 10 s",
                          _check(full.get("overhead_s"), lambda v: v < 10)))
        lines.append(_row("peak memory of the harness process (full audit)", full.get("peak_rss_mb"), "MB", "", None))
    best = _get(r, "render", "best_s")
    lines.append(_row("render 1,000 items to HTML (best wall; cpu "
                      f"{_get(r, 'render', 'cpu_s')} s)", best, "s", "< 2 s", _check(best, lambda v: v < 2)))
    lines += _memory_rows(_get(r, "memory") or {})
    errors = [f"- {name}: {section['error']}" for name, section in r.items()
              if isinstance(section, dict) and "error" in section]
    return "\n".join(lines + ([""] + errors if errors else []))
