"""Each defect switch removes exactly its practice: the probe passes without it, fails with it."""

from __future__ import annotations

import pytest

from readiness_harness.system_under_test.defects import REGISTRY
from tests.sut.conftest import Api, ApiFactory, Upstreams
from tests.sut.probes import PROBES


def test_every_defect_has_a_probe() -> None:
    assert set(PROBES) == set(REGISTRY)
    assert len(REGISTRY) >= 22


@pytest.mark.parametrize("defect", sorted(PROBES))
def test_practice_holds_without_defect(defect: str, api_factory: ApiFactory, shared_api: Api,
                                       upstreams: Upstreams) -> None:
    probe = PROBES[defect]
    api = api_factory.start(env=probe.env(), tls=probe.tls) if probe.fresh or probe.env() else shared_api
    probe.run(api, upstreams)


@pytest.mark.parametrize("defect", sorted(PROBES))
def test_defect_removes_practice(defect: str, api_factory: ApiFactory, upstreams: Upstreams) -> None:
    probe = PROBES[defect]
    api = api_factory.start(defects=(defect,), env=probe.env(), tls=probe.tls)
    with pytest.raises(AssertionError):
        probe.run(api, upstreams)
