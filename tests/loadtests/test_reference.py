"""The reference locustfiles against the reference service, provisioned by the harness (short runs)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.status import Status
from readiness_harness.environment import AuditEnvironment
from readiness_harness.loadtests.outcome import LoadOutcome
from readiness_harness.loadtests.runner import run_load
from readiness_harness.loadtests.spec import LoadSpec
from readiness_harness.provision import provisioned
from readiness_harness.target import load_target
from tests.loadtests.conftest import ROOT, lingering

pytestmark = pytest.mark.slow

KEYS = {"HARNESS_API_KEY_PRO": "{secret.pro_key}", "HARNESS_API_KEY_FREE": "{secret.free_key}"}
SPECS = {
    "portfolio": {"locustfile": "loadtests/locustfiles/portfolio.py", "users": 4, "thresholds": {"error_rate": 0}},
    "mixed": {"locustfile": "loadtests/locustfiles/mixed.py", "users": 4, "thresholds": {"error_rate": 0}},
    "rate_limits": {"locustfile": "loadtests/locustfiles/rate_limits.py", "users": 2, "expected_statuses": [429],
                    "thresholds": {"per_name": {"free portfolio": {"min_expected": 1, "error_rate": 0},
                                                "pro portfolio": {"max_expected": 0, "error_rate": 0}}}},
}


@dataclass
class Reference:
    outcomes: dict[str, LoadOutcome] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reference]:
    """One provisioned reference service; each reference locustfile runs against it for 3 s."""
    folder = tmp_path_factory.mktemp("reference")
    found = Reference()

    async def run_all() -> None:
        spec, base_dir = load_target(ROOT / "system_under_test" / "target.yaml")
        async with provisioned(spec, base_dir=base_dir, log_dir=folder / "logs") as target:
            found.secrets.update(target.placeholders.secret_values)
            env = AuditEnvironment(target=target, run_dir=folder / "run", checklist_dir=ROOT)
            for name, params in SPECS.items():
                ctx = CheckContext(audit=env, item_id=name, timeout_s=60)
                load = LoadSpec.model_validate({"duration_s": 3, "env": KEYS, **params})
                found.outcomes[name] = await run_load(load, ctx)

    asyncio.run(run_all())
    yield found
    assert lingering(folder) == []


def test_cached_portfolio_reads(reference: Reference):
    outcome = reference.outcomes["portfolio"]
    assert outcome.status == Status.PASSED, outcome.message
    assert outcome.stats is not None and set(outcome.stats.names) == {"portfolio"}


def test_mixed_workload_reads_orders_and_jobs(reference: Reference):
    outcome = reference.outcomes["mixed"]
    assert outcome.status == Status.PASSED, outcome.message
    assert outcome.stats is not None and {"portfolio", "order", "report submit"} <= set(outcome.stats.names)


def test_free_tier_is_limited_and_pro_tier_is_not(reference: Reference):
    outcome = reference.outcomes["rate_limits"]
    assert outcome.status == Status.PASSED, outcome.message
    assert outcome.stats is not None
    assert outcome.stats.names["free portfolio"].expected.get(429, 0) > 0
    assert outcome.stats.names["pro portfolio"].expected == {}


def test_api_keys_never_reach_locusts_files_or_the_result(reference: Reference):
    assert len(reference.secrets) == 2
    for outcome in reference.outcomes.values():
        assert outcome.run is not None
        texts = [outcome.result().model_dump_json()]
        texts += [path.read_text(errors="replace") for path in outcome.run.files.folder.iterdir()]
        assert not any(secret in text for secret in reference.secrets for text in texts)
