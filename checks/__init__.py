"""Check types: one module (or subpackage) per type, named after its ``type:``, each with ``register``.

Adding a type: write ``checks/<type>.py`` (a params model that forbids unknown keys, a run function
whose docstring's first line describes it, and ``register(registry)``), import it below, and add a
test that registers it in a fresh registry. Helpers shared by several types live in ``shared/``.
"""

from __future__ import annotations

from types import ModuleType

from readiness_harness.checks import (  # noqa: F401 - every module imported here is a check type
    alert_rules,
    attack,
    attestation,
    burst,
    capacity,
    chaos,
    dockerfile,
    env_example,
    file,
    http,
    load,
    logs,
    metrics,
    migrations,
    openapi_fuzz,
    promql,
    resources,
    secrets_scan,
    sequence,
    shutdown,
    startup,
    tls,
    yaml_file,
)
from readiness_harness.contract.registry import Registry


def type_modules() -> list[ModuleType]:
    """The check type modules imported above, in name order."""
    return [value for name, value in sorted(globals().items())
            if isinstance(value, ModuleType) and callable(getattr(value, "register", None))]


def default_registry() -> Registry:
    """A fresh registry holding every check type the project ships."""
    registry = Registry()
    for module in type_modules():
        module.register(registry)
    return registry


__all__ = ["default_registry", "type_modules"]
