"""Parsing what Locust writes, the load profile and the command line (no Locust run here)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from readiness_harness.loadtests.command import EXPECTED_ENV, PACING_ENV, LocustFiles, build, profile
from readiness_harness.loadtests.history import clean_error, parse_failures, parse_history, steady_rate
from readiness_harness.loadtests.results import parse_json, parse_stats_csv, percentile, split_name
from readiness_harness.loadtests.spec import LoadSpec

PERCENTILES = "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
STATS_HEADER = ("Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
                f"Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,{PERCENTILES}")
HISTORY_HEADER = (f"Timestamp,User Count,Type,Name,Requests/s,Failures/s,{PERCENTILES},Total Request Count,"
                  "Total Failure Count,Total Median Response Time,Total Average Response Time,"
                  "Total Min Response Time,Total Max Response Time,Total Average Content Size")


def entry(name: str, times: dict[int, int], *, failures: int = 0, per_second: dict[int, int] | None = None,
          method: str = "GET") -> dict[str, object]:
    count = sum(times.values())
    return {"name": name, "method": method, "last_request_timestamp": 1010.0, "start_time": 1000.0,
            "num_requests": count, "num_none_requests": 0, "num_failures": failures,
            "total_response_time": sum(k * v for k, v in times.items()), "max_response_time": max(times),
            "min_response_time": min(times), "total_content_length": 10 * count,
            "response_times": {str(k): v for k, v in times.items()},
            "num_reqs_per_sec": {str(k): v for k, v in (per_second or {}).items()}, "num_fail_per_sec": {}}


def test_percentile_matches_locusts_histogram_walk():
    histogram = {10: 90, 200: 9, 900: 1}
    assert percentile(histogram, 100, 0.5) == 10
    assert percentile(histogram, 100, 0.95) == 200
    assert percentile(histogram, 100, 0.98) == 200
    assert percentile(histogram, 100, 0.99) == 900  # Locust: the top 1 request of 100 is the p99
    assert percentile(histogram, 100, 1.0) == 900
    assert percentile({}, 0, 0.95) is None


def test_tagged_names_split_into_name_and_status():
    assert split_name("free portfolio [429]") == ("free portfolio", 429)
    assert split_name("portfolio") == ("portfolio", None)
    assert split_name("odd [name]") == ("odd [name]", None)


def test_json_entries_fold_expected_statuses_into_their_name(tmp_path: Path):
    path = tmp_path / "locust.json"
    path.write_text(json.dumps([
        entry("read", {5: 80, 40: 20}, failures=2, per_second={1000: 50, 1001: 50}),
        entry("read [429]", {1: 30}, per_second={1001: 30}),
        entry("write", {100: 10}, method="POST", per_second={1002: 10}),
    ]))
    stats = parse_json(path)
    read = stats.names["read"]
    assert (read.requests, read.failures, read.expected) == (130, 2, {429: 30})
    assert read.p50_ms == 5 and read.p95_ms == 40
    assert stats.aggregate.requests == 140 and stats.aggregate.expected == {429: 30}
    assert stats.aggregate.methods == "GET/POST"
    assert stats.aggregate.rps == pytest.approx(14.0)
    assert stats.per_second == {1000: 50, 1001: 80, 1002: 10}
    assert round(stats.names["write"].error_rate_pct or 0, 1) == 0.0


def test_stats_csv_is_the_fallback(tmp_path: Path):
    path = tmp_path / "locust_stats.csv"
    path.write_text(textwrap.dedent(f"""\
        {STATS_HEADER}
        GET,read,100,5,4,6.0,1,90,11,20.0,1.0,4,5,5,6,8,30,60,80,90,90,90
        GET,read [429],20,0,2,2.0,1,3,11,4.0,0.0,2,2,2,2,3,3,3,3,3,3,3
        ,Aggregated,120,5,4,5.0,1,90,11,24.0,1.0,4,5,5,6,8,28,60,80,90,90,90
        """))
    stats = parse_stats_csv(path)
    assert stats.source == "csv"
    assert stats.names["read"].requests == 120 and stats.names["read"].expected == {429: 20}
    assert stats.names["read"].p95_ms == 30
    assert stats.aggregate.requests == 120 and stats.aggregate.p95_ms == 28


def test_history_and_failures_csv(tmp_path: Path):
    history = tmp_path / "h.csv"
    history.write_text(textwrap.dedent(f"""\
        {HISTORY_HEADER}
        1000,0,,Aggregated,0.000000,0.000000,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,0,0,0,0.0,0,0,0
        1001,4,GET,read,40.000000,1.000000,3,4,4,4,5,9,12,15,15,15,15,40,1,3,3.5,1,15,11
        1001,4,,Aggregated,40.000000,1.000000,3,4,4,4,5,9,12,15,15,15,15,40,1,3,3.5,1,15,11
        """))
    rows = parse_history(history)
    assert [r.name for r in rows] == ["Aggregated", "read", "Aggregated"]
    assert rows[0].p95_ms is None and rows[2].p95_ms == 9 and rows[2].users == 4 and rows[2].total_failures == 1
    failures = tmp_path / "f.csv"
    failures.write_text('Method,Name,Error,Occurrences,First Seen,Last Seen\n'
                        'GET,read,"CatchResponseError(\'HTTP 503 upstream_unavailable\')",3,,\n'
                        'GET,read,ConnectionRefusedError(111),7,,\n')
    parsed = parse_failures(failures)
    assert [(f.error, f.occurrences) for f in parsed] == [("ConnectionRefusedError(111)", 7),
                                                         ("HTTP 503 upstream_unavailable", 3)]
    assert clean_error('ResponseError("x")') == "x"


def test_steady_rate_drops_partial_seconds_and_the_ramp():
    per_second = {100: 5, 101: 20, 102: 20, 103: 22, 104: 3}
    assert steady_rate(per_second) == pytest.approx(62 / 3)
    assert steady_rate(per_second, ramp_s=1.5) == pytest.approx(42 / 2)
    assert steady_rate({100: 5, 101: 3}) is None
    assert steady_rate({100: 5, 103: 5}) == 0.0  # silent seconds count as zero


def test_profile_from_target_rate_sets_users_and_pacing():
    derived = profile(LoadSpec(locustfile="x.py", target_rps=200))
    assert (derived.users, derived.pacing_rps_per_user, derived.spawn_rate) == (40, 5.0, 40.0)
    assert profile(LoadSpec(locustfile="x.py", target_rps=7)).users == 2
    fixed = profile(LoadSpec(locustfile="x.py", target_rps=90, users=4, spawn_rate=2))
    assert fixed.pacing_rps_per_user == pytest.approx(22.5) and fixed.ramp_s == 2.0
    plain = profile(LoadSpec(locustfile="x.py", users=500))
    assert plain.pacing_rps_per_user is None and plain.spawn_rate == 100.0


def test_command_line_and_environment(tmp_path: Path):
    spec = LoadSpec(locustfile="x.py", target_rps=50, users=5, duration_s=2.5, processes=2,
                    expected_statuses=[429, 503], user_classes=["A", "B"])
    files = LocustFiles(tmp_path)
    cmd = build(spec, locustfile=tmp_path / "x.py", host="http://127.0.0.1:1", files=files, prof=profile(spec),
                extra_env={"HARNESS_API_KEY": "k"})
    argv = cmd.argv
    assert argv[:4] == [sys.executable, "-m", "locust", "--headless"]
    for flag in ("--json-file", "--csv", "--csv-full-history", "--html", "--only-summary", "--logfile"):
        assert flag in argv
    assert argv[argv.index("-t") + 1] == "3s" and argv[argv.index("--processes") + 1] == "2"
    assert argv[-2:] == ["A", "B"] and "--json" not in argv
    assert cmd.env[PACING_ENV] == "10" and cmd.env[EXPECTED_ENV] == "429,503" and cmd.env["HARNESS_API_KEY"] == "k"
    workers = LoadSpec.model_validate({"locustfile": "x.py", "workers": {"local": 2, "remote": 1}})
    cmd = build(workers, locustfile=tmp_path / "x.py", host="h", files=files, prof=profile(workers),
                extra_env={}, master_port=5599)
    assert cmd.argv[cmd.argv.index("--expect-workers") + 1] == "3" and len(cmd.workers) == 2
    assert "--worker" in cmd.workers[0] and cmd.workers[0][cmd.workers[0].index("--master-port") + 1] == "5599"


def test_spec_rejects_unknown_keys_and_conflicts():
    with pytest.raises(ValidationError, match="extra"):
        LoadSpec.model_validate({"locustfile": "x.py", "userz": 3})
    with pytest.raises(ValidationError, match="processes or workers"):
        LoadSpec.model_validate({"locustfile": "x.py", "processes": 2, "workers": {"local": 1}})
    with pytest.raises(ValidationError, match="not an HTTP status"):
        LoadSpec(locustfile="x.py", expected_statuses=[42])
    with pytest.raises(ValidationError, match="extra"):
        LoadSpec.model_validate({"locustfile": "x.py", "thresholds": {"p95": 1, "per_name": {"a": {"p96": 2}}}})
