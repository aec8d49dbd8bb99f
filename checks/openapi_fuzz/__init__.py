"""The ``openapi_fuzz`` check type: schemathesis against the service's OpenAPI schema (``run``), its
failures read back with a reproduction each (``failures``)."""

from readiness_harness.checks.openapi_fuzz.run import register

__all__ = ["register"]
