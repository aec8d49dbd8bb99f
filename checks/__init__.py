"""Check types: one module per family, each with a ``register(registry)`` function."""

from __future__ import annotations

import importlib

from readiness_harness.contract.registry import CheckType, Phase, Registry

MODULES = (
    "readiness_harness.checks.http",
    "readiness_harness.checks.metrics",
    "readiness_harness.checks.attestation",
    "readiness_harness.checks.load",
    "readiness_harness.checks.sequence",
    "readiness_harness.checks.burst",
    "readiness_harness.checks.logs",
    "readiness_harness.checks.lifecycle",
    "readiness_harness.checks.chaos",
    "readiness_harness.checks.repository",
    "readiness_harness.checks.promql",
    "readiness_harness.checks.alert_rules",
    "readiness_harness.checks.openapi_fuzz",
    "readiness_harness.checks.secrets_scan",
    "readiness_harness.checks.probe",
)


def default_registry() -> Registry:
    """A fresh registry holding every check type the project ships."""
    registry = Registry()
    for name in MODULES:
        importlib.import_module(name).register(registry)
    return registry


__all__ = ["CheckType", "Phase", "Registry", "default_registry"]
