"""Check types: one module per family, each with a ``register(registry)`` function."""

from __future__ import annotations

import importlib

from checks.registry import CheckType, Phase, Registry

MODULES = (
    "checks.http",
    "checks.metrics",
    "checks.attestation",
    "checks.load",
    "checks.sequence",
    "checks.burst",
    "checks.logs",
    "checks.lifecycle",
    "checks.chaos",
    "checks.repository",
    "checks.promql",
    "checks.alert_rules",
    "checks.openapi_fuzz",
    "checks.secrets_scan",
    "checks.probe",
)


def default_registry() -> Registry:
    """A fresh registry holding every check type the project ships."""
    registry = Registry()
    for name in MODULES:
        importlib.import_module(name).register(registry)
    return registry


__all__ = ["CheckType", "Phase", "Registry", "default_registry"]
