"""The ``tls`` check type on a fresh registry: the reference service over HTTPS passes it, and its
``weak_tls`` defect (a certificate that expires within two days, TLS 1.0 and 1.1 accepted) fails it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from readiness_harness.checks import tls
from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status
from readiness_harness.environment import AuditEnvironment
from readiness_harness.provision import external_target
from tests.sut.conftest import Api, ApiFactory


def judge(api: Api, tmp_path: Path, **params: object) -> Result:
    registry = Registry()
    tls.register(registry)
    check = registry.get("tls")
    assert check is not None and check.description.startswith("Check a TLS endpoint")
    assert api.tls_dir is not None
    audit = AuditEnvironment(target=external_target(f"https://127.0.0.1:{api.port}"), run_dir=tmp_path,
                             checklist_dir=api.tls_dir)
    values = {"url": f"https://127.0.0.1:{api.port}", "ca_file": "ca.pem", **params}
    return asyncio.run(check.run(check.params.model_validate(values), CheckContext(audit, "tls", timeout_s=30)))


def test_the_service_over_https_passes(api_factory: ApiFactory, tmp_path: Path) -> None:
    result = judge(api_factory.start(tls=True), tmp_path)
    assert result.status == Status.PASSED, result.message
    assert 85 < result.measurements["days_left"] <= 90
    labels = {o.label: o.ok for o in result.evidence if o.kind == "observation"}
    assert labels == {"chain and name": True, "days of validity left": True, "negotiated version": True,
                      "TLSv1 refused": True, "TLSv1.1 refused": True}


def test_weak_tls_fails_on_expiry_and_old_versions(api_factory: ApiFactory, tmp_path: Path) -> None:
    result = judge(api_factory.start(defects=("weak_tls",), tls=True), tmp_path)
    assert result.status == Status.FAILED
    failed = {o.label for o in result.evidence if o.kind == "observation" and o.ok is False}
    assert failed == {"days of validity left", "TLSv1 refused", "TLSv1.1 refused"}


def test_a_name_the_certificate_does_not_carry_fails(api_factory: ApiFactory, tmp_path: Path) -> None:
    result = judge(api_factory.start(tls=True), tmp_path, server_name="shop.example")
    assert result.status == Status.FAILED and "handshake" in result.message


def test_an_untrusted_chain_fails(api_factory: ApiFactory, tmp_path: Path) -> None:
    result = judge(api_factory.start(tls=True), tmp_path, ca_file=None)
    assert result.status == Status.FAILED and "certificate verify failed" in result.message
