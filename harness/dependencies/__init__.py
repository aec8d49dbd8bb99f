"""Dependencies of the audited service (PostgreSQL, Redis): started, proxied, handed over, stopped.

    target file ``dependencies:`` ──▶ DependencyStack.start ──▶ provider (local | container | external)
                                              │
                                              ▼
            fault proxy named after the dependency (Toxiproxy) ──▶ ``{dep.NAME.url}`` for the service

Placeholders, all pointing at the fault proxy unless the dependency says ``proxy: false``:
``{dep.NAME.url}``, ``{dep.NAME.host}``, ``{dep.NAME.port}``; ``{dep.NAME.direct_url}`` bypasses
the proxy (for seeding data or for diagnosis, never for the service under audit).

Providers: ``local`` (local.py: initdb/pg_ctl and redis-server under mirakuru), ``container``
(containers.py: testcontainers), ``external`` (stack.py: a URL, nothing started). The run's
``--provider`` (or ``HARNESS_PROVIDER``) overrides the target file for every dependency.

With Docker: ``make audit PROFILE=full PROVIDER=container`` pulls the official images
(``postgres:16-alpine``, ``redis:7-alpine``, ``ghcr.io/shopify/toxiproxy:2.9.0``) and
testcontainers' Ryuk reaper. Toxiproxy's container uses host networking, which Docker on
Linux has; Docker Desktop needs host networking turned on (Settings, Resources, Network),
or set ``HARNESS_TOXIPROXY_CONTAINER=0`` to keep the harness's own Toxiproxy. With podman:
``bash .ci/container-images.sh > env.sh && source env.sh`` (root; builds local images).
"""

from __future__ import annotations

from readiness_harness.dependencies.models import DependencySpec, RunningDependency
from readiness_harness.dependencies.stack import PROVIDER_VARIABLE, DependencyStack
from readiness_harness.placeholders import Placeholders

__all__ = ["PROVIDER_VARIABLE", "DependencySpec", "DependencyStack", "RunningDependency", "publish"]


def publish(placeholders: Placeholders, dependency: RunningDependency, *, proxy: str | None) -> None:
    """Fill ``{dep.NAME.*}``; ``proxy`` is the fault proxy's ``host:port`` (None: the server itself)."""
    if proxy is None:
        host, port = dependency.host, dependency.port
    else:
        host, _, port_text = proxy.rpartition(":")
        host, port = host.strip("[]"), int(port_text)
    prefix = f"dep.{dependency.name}"
    placeholders.put(f"{prefix}.url", dependency.url(host, port))
    placeholders.put(f"{prefix}.host", host)
    placeholders.put(f"{prefix}.port", str(port))
    placeholders.put(f"{prefix}.direct_url", dependency.url())
