"""Start a target's dependencies in order, stop them in reverse, whatever happened.

Dispatch is a table from provider name to start function, not an if/elif on strings. The
``external`` provider starts nothing: it reads the address from ``url``. A run that uses
the container provider also gets Toxiproxy as a container (the official image), unless
``TOXIPROXY_URL`` names a server already or ``HARNESS_TOXIPROXY_CONTAINER=0``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from readiness_harness.contract.errors import TargetError
from readiness_harness.dependencies.models import PROVIDERS, DependencySpec, Provider, RunningDependency, check_scheme
from readiness_harness.placeholders import Placeholders

if TYPE_CHECKING:
    from readiness_harness.dependencies.containers import ToxiproxyContainer

DEFAULT_PORTS = {"postgresql": 5432, "redis": 6379}
PROVIDER_VARIABLE = "HARNESS_PROVIDER"

Starter = Callable[[DependencySpec, Placeholders, Mapping[str, str]], RunningDependency]


def _local(spec: DependencySpec, placeholders: Placeholders, environ: Mapping[str, str]) -> RunningDependency:
    from readiness_harness.dependencies import local

    return local.start_postgres(spec, environ=environ) if spec.kind == "postgresql" else local.start_redis(spec)


def _container(spec: DependencySpec, placeholders: Placeholders, environ: Mapping[str, str]) -> RunningDependency:
    from readiness_harness.dependencies import containers

    if spec.kind == "postgresql":
        password = placeholders.add_secret(f"dep.{spec.name}.password")
        return containers.start_postgres(spec, password=password, environ=environ)
    return containers.start_redis(spec, environ=environ)


def _external(spec: DependencySpec, placeholders: Placeholders, environ: Mapping[str, str]) -> RunningDependency:
    if not spec.url:
        raise TargetError(f"dependency '{spec.name}': the external provider needs `url:` in the target file")
    url = placeholders.expand(spec.url)
    try:
        check_scheme(spec.kind, url)
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or DEFAULT_PORTS[spec.kind]
    except ValueError as exc:
        raise TargetError(f"dependency '{spec.name}': {exc}") from exc
    if not host:
        raise TargetError(f"dependency '{spec.name}': no host in its url")
    return RunningDependency(
        name=spec.name, kind=spec.kind, provider="external", host=host, port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        database=parts.path.lstrip("/") or None, source_url=url,
    )


STARTERS: dict[Provider, Starter] = {"local": _local, "container": _container, "external": _external}


def chosen_provider(spec: DependencySpec, override: str | None) -> Provider:
    """The provider for ``spec``: the run's override (``--provider``) wins over the target file."""
    if not override:
        return spec.provider
    for provider in PROVIDERS:
        if provider == override:
            return provider
    raise TargetError(f"unknown dependency provider {override!r}; use one of {', '.join(PROVIDERS)}")


@dataclass
class DependencyStack:
    """What this run started, in start order, and the Toxiproxy container if there is one."""

    running: list[RunningDependency] = field(default_factory=list)
    toxiproxy: ToxiproxyContainer | None = None
    errors: list[str] = field(default_factory=list)

    def start(self, specs: list[DependencySpec], *, placeholders: Placeholders,
              environ: Mapping[str, str] | None = None, override: str | None = None) -> None:
        """Start each dependency; on failure the caller's teardown stops what already started."""
        env = dict(os.environ if environ is None else environ)
        override = override or env.get(PROVIDER_VARIABLE) or None
        chosen = [(spec, chosen_provider(spec, override)) for spec in specs]
        if any(provider == "container" for _, provider in chosen):
            from readiness_harness.dependencies import containers

            containers.require_engine(env)
            if not env.get("TOXIPROXY_URL") and env.get("HARNESS_TOXIPROXY_CONTAINER", "1") != "0":
                self.toxiproxy = containers.start_toxiproxy(environ=env)
        for spec, provider in chosen:
            self.running.append(STARTERS[provider](spec, placeholders, env))

    def stop(self) -> list[str]:
        """Stop everything in reverse start order; every stop is attempted. Returns the errors."""
        errors: list[str] = []
        for dependency in reversed(self.running):
            try:
                dependency.stop()
            except Exception as exc:  # teardown goes on; the error is reported
                errors.append(f"dependency '{dependency.name}' did not stop cleanly: {exc}")
        self.running.clear()
        toxiproxy, self.toxiproxy = self.toxiproxy, None
        if toxiproxy is not None:
            try:
                toxiproxy.stop()
            except Exception as exc:  # the container may already be gone: report, go on
                errors.append(f"the Toxiproxy container did not stop cleanly: {exc}")
        self.errors.extend(errors)
        return errors
