"""Short real Locust runs (a few seconds, loopback) against ``tests/loadtests/app.py``."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import time
from pathlib import Path

import pytest

from readiness_harness.contract.evidence import Link, Table, TimeSeries
from readiness_harness.contract.status import Status
from readiness_harness.loadtests.command import LocustFiles, build, profile
from readiness_harness.loadtests.outcome import LoadOutcome, analyse
from readiness_harness.loadtests.process import run_locust
from readiness_harness.loadtests.record import Record
from readiness_harness.loadtests.runner import run_load, start_load
from readiness_harness.loadtests.spec import LoadSpec, Thresholds, ThresholdSet
from readiness_harness.loadtests.windows import WindowAsk
from tests.loadtests.conftest import lingering, make_ctx

pytestmark = pytest.mark.slow

ALL = ["FastUser", "SlowUser", "FlakyUser", "LimitedUser", "BareLimitedUser", "RaisingUser"]


def load(tmp_path: Path, url: str, **params: object) -> LoadOutcome:
    spec = LoadSpec.model_validate({"locustfile": "locustfiles/basic.py", "duration_s": 3, **params})
    ctx = make_ctx(tmp_path, url)
    outcome = asyncio.run(run_load(spec, ctx))
    assert lingering(tmp_path) == []
    if outcome.run is not None:
        assert f"load:{ctx.item_id}" in ctx.audit.windows
    return outcome


@pytest.fixture(scope="module")
def mixed(app_url: str, tmp_path_factory: pytest.TempPathFactory) -> LoadOutcome:
    """One run of every test user class; the threshold tests re-judge its files."""
    return load(tmp_path_factory.mktemp("mixed"), app_url, users=6, user_classes=ALL, expected_statuses=[429])


def rejudge(outcome: LoadOutcome, *, windows: list[WindowAsk] | None = None, **thresholds: object) -> LoadOutcome:
    spec = outcome.spec.model_copy(update={"thresholds": Thresholds.model_validate(thresholds)})
    assert outcome.run is not None
    return analyse(spec, outcome.profile, outcome.run, Record(outcome.run.files.folder), windows=windows or [],
                   run_dir=outcome.run_dir)


def test_the_record_holds_names_statuses_and_failures(mixed: LoadOutcome):
    assert mixed.stats is not None and mixed.record is not None and mixed.run is not None
    names = mixed.stats.names
    assert set(names) == {"fast", "slow", "flaky", "limited", "limited bare"}
    assert names["fast"].failures == 0 and names["fast"].expected == {}
    assert names["flaky"].failures > 0 and names["limited"].failures == 0 and names["limited"].expected[429] > 0
    assert names["limited bare"].failures > 0 and names["limited bare"].expected == {}  # 429 without Retry-After
    assert names["slow"].p50_ms is not None and names["slow"].p50_ms >= 50
    errors = mixed.record.whole().names
    assert "HTTP 500 internal" in errors["flaky"].errors
    assert errors["limited bare"].errors == {"HTTP 429 without Retry-After": names["limited bare"].failures}
    assert mixed.locust_requests == mixed.stats.aggregate.requests  # every request Locust counted is in the record
    assert mixed.exceptions and "task bug in the locustfile" in mixed.exceptions[0].message
    assert "the locustfile raised" in mixed.message


def test_result_carries_tables_series_link_and_measurements(mixed: LoadOutcome):
    result = rejudge(mixed, p99=5000).result()
    kinds = {type(e) for e in result.evidence}
    assert {Table, TimeSeries, Link} <= kinds
    table = next(e for e in result.evidence if isinstance(e, Table) and e.title.startswith("Requests by name"))
    assert table.rows[-1][0] == "Aggregated" and any(row[4].startswith("429×") for row in table.rows)
    assert table.rows[-1][2] == mixed.locust_requests
    series = next(e for e in result.evidence if isinstance(e, TimeSeries))
    assert {"rps", "p95_ms", "users", "errors_per_s"} <= set(series.series)
    assert "per 100 ms bucket" in series.title
    assert {"p95_ms", "rps", "error_rate_pct", "expected_429"} <= set(result.measurements)
    link = next(e for e in result.evidence if isinstance(e, Link))
    assert link.href == "artifacts/load-item/locust/locust.html"


@pytest.mark.parametrize(("limits", "status"), [
    ({"p50": 10_000, "p95": 10_000, "p99": 10_000}, Status.PASSED),
    ({"p50": 0.01}, Status.FAILED),
    ({"per_name": {"slow": {"p95": 10}}}, Status.FAILED),
    ({"per_name": {"fast": {"error_rate": 0}, "flaky": {"error_rate": 100}}}, Status.PASSED),
    ({"error_rate": 1}, Status.FAILED),
    ({"min_rps": 1}, Status.PASSED),
    ({"min_rps": 100_000}, Status.FAILED),
    ({"per_name": {"limited": {"min_expected": 1}, "fast": {"max_expected": 0}}}, Status.PASSED),
    ({"per_name": {"limited": {"max_expected": 0}}}, Status.FAILED),
])
def test_each_threshold_kind_on_a_real_run(mixed: LoadOutcome, limits: dict[str, object], status: Status):
    judged = rejudge(mixed, **limits)
    assert judged.status == status, judged.message


def test_failure_message_sets_figure_against_limit(mixed: LoadOutcome):
    judged = rejudge(mixed, per_name={"slow": ThresholdSet(p95=10).model_dump(exclude_none=True)})
    assert judged.message.startswith("slow: p95 ") and "ms > limit 10 ms" in judged.message


def test_cpu_warning_in_the_log_makes_it_inconclusive(mixed: LoadOutcome, tmp_path: Path):
    assert mixed.run is not None
    folder = tmp_path / "copy"
    shutil.copytree(mixed.run.files.folder, folder)
    with (folder / "locust.log").open("a") as log:
        log.write("[2026-01-01 00:00:00,000] host/WARNING/root: CPU usage above 90%! This may constrain ...\n")
    run = dataclasses.replace(mixed.run, files=LocustFiles(folder))
    judged = analyse(mixed.spec.model_copy(update={"thresholds": Thresholds(p95=100_000)}), mixed.profile, run,
                     Record(folder))
    assert judged.status == Status.INCONCLUSIVE and "CPU usage above 90%" in judged.message


def test_unreachable_target_rate_is_inconclusive_never_passed(app_url: str, tmp_path: Path):
    outcome = load(tmp_path, app_url, users=1, target_rps=100_000, user_classes=["FastUser"],
                   thresholds={"p95": 10_000, "error_rate": 100})
    assert outcome.status == Status.INCONCLUSIVE, outcome.message
    assert "target rate not reached" in outcome.message or "load generator saturated" in outcome.message
    assert outcome.achieved_rps is not None and 0 < outcome.achieved_rps < 95_000
    assert outcome.measurements["target_rps"] == 100_000


def test_a_plain_user_class_is_paced_to_the_target(app_url: str, tmp_path: Path):
    outcome = load(tmp_path, app_url, target_rps=40, duration_s=5, user_classes=["FastUser"],
                   thresholds={"error_rate": 0})
    assert outcome.status == Status.PASSED, outcome.message
    assert outcome.achieved_rps == pytest.approx(40, rel=0.05)
    assert outcome.steady is not None and outcome.steady.asked_rps == pytest.approx(40)


def test_a_rate_above_the_target_is_inconclusive_never_passed(app_url: str, tmp_path: Path):
    """A task set keeps its own wait_time (the plugin paces user classes): far more than asked runs."""
    outcome = load(tmp_path, app_url, target_rps=4, users=2, user_classes=["TaskSetUser"],
                   thresholds={"error_rate": 0, "p95": 10_000})
    assert outcome.status == Status.INCONCLUSIVE, outcome.message
    assert "above 105% of the target 4 req/s" in outcome.message


def test_broken_locustfile_is_an_error_with_locusts_message(app_url: str, tmp_path: Path):
    broken = tmp_path / "broken.py"
    broken.write_text("import module_that_does_not_exist_anywhere\n")
    outcome = load(tmp_path, app_url, locustfile=str(broken))
    assert outcome.status == Status.ERROR
    assert "ModuleNotFoundError: No module named 'module_that_does_not_exist_anywhere'" in outcome.message


def test_unknown_user_class_is_an_error(app_url: str, tmp_path: Path):
    outcome = load(tmp_path, app_url, user_classes=["NoSuchUser"])
    assert outcome.status == Status.ERROR and "Unknown User(s): NoSuchUser" in outcome.message


def test_missing_locustfile_is_an_error(app_url: str, tmp_path: Path):
    outcome = load(tmp_path, app_url, locustfile="locustfiles/nowhere.py")
    assert outcome.status == Status.ERROR and "locustfile not found" in outcome.message


def test_hanging_locust_is_killed_at_its_deadline(tmp_path: Path):
    hang = tmp_path / "hang.py"
    hang.write_text("import time\ntime.sleep(120)\n")
    spec = LoadSpec(locustfile=str(hang), duration_s=1)
    files = LocustFiles(tmp_path / "out")
    command = build(spec, locustfile=hang, host="http://127.0.0.1:9", files=files, prof=profile(spec), extra_env={})
    run = asyncio.run(run_locust(command, margin_s=1.0))
    assert run.timed_out and run.ended - run.started < 20
    assert lingering(files.folder) == []
    outcome = analyse(spec, profile(spec), run, Record(files.folder))
    assert outcome.status == Status.ERROR and "did not finish within 2 s" in outcome.message


def test_processes_two_uses_locusts_multi_process_mode(app_url: str, tmp_path: Path):
    outcome = load(tmp_path, app_url, users=4, processes=2, user_classes=["FastUser"],
                   thresholds={"error_rate": 0, "p95": 10_000})
    assert outcome.status == Status.PASSED, outcome.message
    assert outcome.stats is not None and outcome.stats.aggregate.requests > 0
    folder = tmp_path / "run/artifacts/load-item/locust"
    assert "2 workers connected" in (folder / "locust.log").read_text()
    assert len(list(folder.glob("record-worker-*.jsonl"))) == 2  # each forked process writes its own record
    assert outcome.locust_requests == outcome.stats.aggregate.requests


def test_master_with_a_local_worker(app_url: str, tmp_path: Path):
    outcome = load(tmp_path, app_url, users=2, workers={"local": 1, "wait_s": 20}, user_classes=["FastUser"],
                   thresholds={"error_rate": 0})
    assert outcome.status == Status.PASSED, outcome.message
    assert outcome.run is not None and outcome.run.worker_codes == [0]
    assert [p.name.split("-")[1] for p in outcome.run.files.folder.glob("record-*.jsonl")] == ["worker"]


def test_windows_of_a_real_run_are_judged_separately(mixed: LoadOutcome):
    assert mixed.run is not None and mixed.stats is not None
    whole = WindowAsk("whole", mixed.run.started - 1, mixed.run.ended + 1)
    judged = rejudge(mixed, windows=[whole, WindowAsk("before", 0.0, 1.0)], per_name={"fast": {"error_rate": 0}})
    assert judged.windows["whole"].aggregate.requests == mixed.stats.aggregate.requests
    assert judged.windows["whole"].ok
    assert not judged.windows["before"].measured  # no requests in a window long before the run
    assert judged.status == Status.INCONCLUSIVE and "before fast: error_rate not measured" in judged.message
    result = judged.result()
    table = next(e for e in result.evidence if isinstance(e, Table) and e.title.startswith("Windows"))
    assert [row[0] for row in table.rows] == ["whole", "before"]
    series = next(e for e in result.evidence if isinstance(e, TimeSeries))
    assert [w.label for w in series.windows] == ["whole", "before"]
    later = mixed.window(WindowAsk("again", whole.start, whole.end))
    assert later.aggregate.requests == judged.windows["whole"].aggregate.requests


def test_label_must_be_a_plain_folder_name(tmp_path: Path):
    spec = LoadSpec(locustfile="locustfiles/basic.py", duration_s=1)
    with pytest.raises(ValueError, match="label"):
        asyncio.run(run_load(spec, make_ctx(tmp_path, "http://127.0.0.1:9"), label="../elsewhere"))


@pytest.mark.parametrize("scale", [{}, {"processes": 2}], ids=["one-process", "two-processes"])
def test_the_asked_rate_changes_in_steps_while_the_load_runs(app_url: str, tmp_path: Path, scale: dict):
    """What a capacity search needs: a running load driven to a new rate, and any span of its record read live."""
    spec = LoadSpec.model_validate({"locustfile": "locustfiles/basic.py", "user_classes": ["FastUser"],
                                    "target_rps": 20, "users": 8, "duration_s": 9, **scale})
    ctx = make_ctx(tmp_path, app_url)

    async def steps() -> tuple[LoadOutcome, float, float]:
        load = await start_load(spec, ctx)
        first = await load.flowing()
        if first is None:
            pytest.fail(f"no request within the start-up wait: {(await load.finish()).message}")
        await asyncio.sleep(max(0.0, first + 3.5 - time.time()))
        stepped = time.time()
        load.control.set_rate(40)
        await asyncio.sleep(max(0.0, stepped + 4.0 - time.time()))
        live = load.record.refresh().span(stepped + 1.0, stepped + 3.5, "inner")
        assert live.aggregate.requests > 0  # readable while Locust still runs
        return await load.finish(), first, stepped

    outcome, first, stepped = asyncio.run(steps())
    assert lingering(tmp_path) == []
    assert outcome.record is not None
    before = outcome.record.span(first + 1.5, stepped, "inner")
    after = outcome.record.span(stepped + 1.0, stepped + 3.5, "inner")
    assert before.asked_rps == pytest.approx(20) and after.asked_rps == pytest.approx(40)
    assert before.aggregate_stats().rps == pytest.approx(20, rel=0.1)
    assert after.aggregate_stats().rps == pytest.approx(40, rel=0.1)


def test_a_running_load_reports_its_progress_every_second(app_url: str, tmp_path: Path):
    reports: list[dict] = []
    spec = LoadSpec.model_validate({"locustfile": "locustfiles/basic.py", "duration_s": 4, "target_rps": 20,
                                    "user_classes": ["FastUser"]})
    ctx = dataclasses.replace(make_ctx(tmp_path, app_url), on_progress=lambda fields: reports.append(dict(fields)))
    outcome = asyncio.run(run_load(spec, ctx))
    # progress is reported whatever the verdict; a generator starved by other work makes it inconclusive
    assert outcome.status in (Status.PASSED, Status.INCONCLUSIVE), outcome.message
    assert len(reports) >= 3
    assert all(r["planned_s"] == 4 and {"elapsed_s", "rps", "requests", "errors"} <= set(r) for r in reports)
    assert reports[-1]["requests"] > 0 and any(r["rps"] > 0 for r in reports)
