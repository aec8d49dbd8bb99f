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
    return None if value is None else bool(test(value))


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
    scale = _get(r, "load", "two_processes_vs_one")
    lines.append(_row("processes: 2 vs 1 (req/s ratio)", scale, "x", ">= 1.7x", _check(scale, lambda v: v >= 1.7)))
    for key, label in (("harness_rps", "load check req/s"), ("bare_rps", "bare locust req/s"),
                       ("wrk_rps", "wrk req/s (ceiling)")):
        lines.append(_row(label, _get(r, "load", key), "", "", None))
    for server in ("embedded", "real"):
        if _get(r, "proxy", server) is None:
            continue
        added = _get(r, "proxy", server, "echo_1byte", "added_p50_us")
        lines.append(_row(f"{server} proxy: added p50, 1-byte echo", added, "µs", "<= 150 µs",
                          _check(added, lambda v: v <= 150)))
        lines.append(_row(f"{server} proxy: added p99, 1-byte echo", _get(r, "proxy", server, "echo_1byte",
                                                                           "added_p99_us"), "µs", "", None))
        lines.append(_row(f"{server} proxy: added p50 / p99, HTTP GET",
                          f"{_get(r, 'proxy', server, 'http_get', 'added_p50_us')} / "
                          f"{_get(r, 'proxy', server, 'http_get', 'added_p99_us')} µs", "", "", None))
        lines.append(_row(f"{server} proxy: throughput through / direct",
                          f"{_get(r, 'proxy', server, 'throughput_proxy_mb_s')} / "
                          f"{_get(r, 'proxy', server, 'throughput_direct_mb_s')} MB/s", "", "", None))
        err = _get(r, "proxy", server, "latency_toxic_100ms", "median_error_ms")
        lines.append(_row(f"{server} proxy: 100 ms latency toxic, median error (p99 "
                          f"{_get(r, 'proxy', server, 'latency_toxic_100ms', 'p99_ms')} ms)", err, "ms", "within 2 ms",
                          _check(err, lambda v: abs(v) <= 2)))
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
    errors = [f"- {name}: {section['error']}" for name, section in r.items()
              if isinstance(section, dict) and "error" in section]
    return "\n".join(lines + ([""] + errors if errors else []))
