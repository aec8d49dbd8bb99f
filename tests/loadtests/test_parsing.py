"""The load profile, the command line and Locust's files read beside the record (no Locust run here)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from readiness_harness.loadtests.command import (
    CONTROL_ENV,
    EXPECTED_ENV,
    PLUGIN,
    RECORD_ENV,
    TARGET_ENV,
    LocustFiles,
    build,
    profile,
)
from readiness_harness.loadtests.history import parse_exceptions
from readiness_harness.loadtests.results import locust_total, percentile
from readiness_harness.loadtests.spec import LoadSpec


def test_percentile_matches_locusts_histogram_walk():
    histogram = {10: 90, 200: 9, 900: 1}
    assert percentile(histogram, 100, 0.5) == 10
    assert percentile(histogram, 100, 0.95) == 200
    assert percentile(histogram, 100, 0.98) == 200
    assert percentile(histogram, 100, 0.99) == 900  # Locust: the top 1 request of 100 is the p99
    assert percentile(histogram, 100, 1.0) == 900
    assert percentile({}, 0, 0.95) is None


def test_locusts_total_and_exceptions_are_read_beside_the_record(tmp_path: Path):
    path = tmp_path / "locust.json"
    path.write_text(json.dumps([{"name": "a", "num_requests": 7}, {"name": "b", "num_requests": 5}]))
    assert locust_total(path) == 12
    assert locust_total(tmp_path / "missing.json") is None
    exceptions = tmp_path / "locust_exceptions.csv"
    exceptions.write_text('Count,Message,Traceback,Nodes\n3,task bug,"Traceback\n  File x.py, line 3",local\n')
    [row] = parse_exceptions(exceptions)
    assert (row.count, row.message) == (3, "task bug")
    assert parse_exceptions(tmp_path / "none.csv") == []


def test_profile_from_target_rate_sets_users_and_pacing():
    derived = profile(LoadSpec(locustfile="x.py", target_rps=200))
    assert (derived.users, derived.rate_per_user, derived.spawn_rate) == (40, 5.0, 40.0)
    assert profile(LoadSpec(locustfile="x.py", target_rps=7)).users == 2
    fixed = profile(LoadSpec(locustfile="x.py", target_rps=90, users=4, spawn_rate=2))
    assert fixed.rate_per_user == pytest.approx(22.5) and fixed.ramp_s == 2.0
    plain = profile(LoadSpec(locustfile="x.py", users=500))
    assert plain.rate_per_user is None and plain.spawn_rate == 100.0


def test_command_line_and_environment(tmp_path: Path):
    spec = LoadSpec(locustfile="x.py", target_rps=50, users=5, duration_s=2.5, processes=2,
                    expected_statuses=[429, 503], user_classes=["A", "B"])
    files = LocustFiles(tmp_path)
    cmd = build(spec, locustfile=tmp_path / "x.py", host="http://127.0.0.1:1", files=files, prof=profile(spec),
                extra_env={"HARNESS_API_KEY": "k"}, master_port=5601)
    argv = cmd.argv
    assert argv[:4] == [sys.executable, "-m", "locust", "--headless"]
    for flag in ("--json-file", "--csv", "--html", "--only-summary", "--logfile"):
        assert flag in argv
    assert argv[argv.index("-f") + 1] == f"{PLUGIN},{tmp_path / 'x.py'}"  # the plugin first, then the locustfile
    assert argv[argv.index("--harness-rate-per-user") + 1] == "10"
    assert argv[argv.index("--harness-expected") + 1] == "429,503"
    assert argv[argv.index("-t") + 1] == "3s" and argv[argv.index("--processes") + 1] == "2"
    assert argv[argv.index("--master-bind-host") + 1] == "127.0.0.1"  # never Locust's 5557 on every interface
    assert argv[argv.index("--master-bind-port") + 1] == argv[argv.index("--master-port") + 1] == "5601"
    assert argv[-2:] == ["A", "B"] and "--json" not in argv
    assert cmd.env[EXPECTED_ENV] == "429,503" and cmd.env["HARNESS_API_KEY"] == "k" and cmd.env[TARGET_ENV] == "50"
    assert cmd.env[RECORD_ENV] == str(tmp_path) and cmd.env[CONTROL_ENV] == str(files.control)
    workers = LoadSpec.model_validate({"locustfile": "x.py", "workers": {"local": 2, "remote": 1}})
    cmd = build(workers, locustfile=tmp_path / "x.py", host="h", files=files, prof=profile(workers),
                extra_env={}, master_port=5599)
    assert cmd.argv[cmd.argv.index("--expect-workers") + 1] == "3" and len(cmd.workers) == 2
    assert "--worker" in cmd.workers[0] and cmd.workers[0][cmd.workers[0].index("--master-port") + 1] == "5599"
    assert cmd.workers[0][cmd.workers[0].index("-f") + 1].startswith(f"{PLUGIN},")
    assert "--harness-rate-per-user" not in cmd.argv  # no target rate: each class keeps its own wait_time


def test_spec_rejects_unknown_keys_and_conflicts():
    with pytest.raises(ValidationError, match="extra"):
        LoadSpec.model_validate({"locustfile": "x.py", "userz": 3})
    with pytest.raises(ValidationError, match="processes or workers"):
        LoadSpec.model_validate({"locustfile": "x.py", "processes": 2, "workers": {"local": 1}})
    with pytest.raises(ValidationError, match="not an HTTP status"):
        LoadSpec(locustfile="x.py", expected_statuses=[42])
    with pytest.raises(ValidationError, match="extra"):
        LoadSpec.model_validate({"locustfile": "x.py", "thresholds": {"p95": 1, "per_name": {"a": {"p96": 2}}}})
