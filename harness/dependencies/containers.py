"""The ``container`` provider: PostgreSQL, Redis and Toxiproxy as containers, through testcontainers.

Needs a Docker-compatible engine (Docker, or ``podman system service`` with ``DOCKER_HOST``
pointing at its socket). Published ports are bound to 127.0.0.1 only. Images default to
the official ones and can be changed per dependency (``image:`` in the target file) or for
every run through ``HARNESS_POSTGRES_IMAGE``, ``HARNESS_REDIS_IMAGE`` and
``HARNESS_TOXIPROXY_IMAGE`` (CI builds its own images locally and points these at them).

Toxiproxy runs with host networking so that its proxies listen on the host's loopback and
reach both the published container ports and the target's own processes.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import docker
from docker.errors import DockerException
from testcontainers.core.container import DockerContainer

from readiness_harness.contract.errors import TargetError
from readiness_harness.contract.net import free_port
from readiness_harness.dependencies.models import DependencySpec, RunningDependency

LOOPBACK = "127.0.0.1"
LABEL = "org.readiness-harness.dependency"
DEFAULT_IMAGES = {
    "postgresql": "postgres:16-alpine",
    "redis": "redis:7-alpine",
    "toxiproxy": "ghcr.io/shopify/toxiproxy:2.9.0",
}
IMAGE_VARIABLES = {"postgresql": "HARNESS_POSTGRES_IMAGE", "redis": "HARNESS_REDIS_IMAGE",
                   "toxiproxy": "HARNESS_TOXIPROXY_IMAGE"}
C = TypeVar("C", bound=DockerContainer)


def image_for(kind: str, spec_image: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return spec_image or env.get(IMAGE_VARIABLES[kind]) or DEFAULT_IMAGES[kind]


def require_engine(environ: Mapping[str, str] | None = None) -> str:
    """Raise TargetError unless a Docker-compatible engine answers; return its version."""
    env = dict(os.environ if environ is None else environ)
    where = env.get("DOCKER_HOST") or "the default socket (/var/run/docker.sock)"
    try:
        client = docker.from_env(environment=env, timeout=5)
        try:
            client.ping()
            return str(client.version().get("Version", ""))
        finally:
            client.close()
    except DockerException as exc:
        raise TargetError(
            f"the container provider needs a Docker-compatible engine, and none answered at {where} ({exc}). "
            "Start Docker, or `podman system service` and set DOCKER_HOST to its socket; "
            "or use the local provider (`--provider local`)") from exc


def start_postgres(spec: DependencySpec, *, password: str, environ: Mapping[str, str] | None = None
                   ) -> RunningDependency:
    from testcontainers.community.postgres import PostgresContainer

    image = image_for("postgresql", spec.image, environ)
    container = PostgresContainer(image, username="harness", password=password, dbname=spec.database, driver=None)
    _loopback_only(container, 5432)
    _start(container, spec, image)
    return RunningDependency(
        name=spec.name, kind="postgresql", provider="container", host=_host(container),
        port=int(container.get_exposed_port(5432)), username="harness", password=password,
        database=spec.database, details=_details(container, image), _stop=_stopper(container),
    )


def start_redis(spec: DependencySpec, *, environ: Mapping[str, str] | None = None) -> RunningDependency:
    from testcontainers.community.redis import RedisContainer

    image = image_for("redis", spec.image, environ)
    container = RedisContainer(image)
    _loopback_only(container, 6379)
    _start(container, spec, image)
    return RunningDependency(
        name=spec.name, kind="redis", provider="container", host=_host(container),
        port=int(container.get_exposed_port(6379)), database="0", details=_details(container, image),
        _stop=_stopper(container),
    )


@dataclass
class ToxiproxyContainer:
    """A Toxiproxy server running in a container on the host's network; ``stop()`` removes it."""

    url: str
    version: str
    image: str
    stop: Callable[[], None]


def start_toxiproxy(*, environ: Mapping[str, str] | None = None, timeout_s: float = 60.0) -> ToxiproxyContainer:
    from readiness_harness.chaos.exceptions import ToxiproxyUnreachable
    from readiness_harness.chaos.provider import wait_ready

    image = image_for("toxiproxy", None, environ)
    port = free_port(LOOPBACK)
    container = DockerContainer(image).with_command([f"-host={LOOPBACK}", f"-port={port}"])
    container.with_kwargs(network_mode="host", labels={LABEL: "toxiproxy"})
    container.with_name(f"harness-toxiproxy-{secrets.token_hex(4)}")
    stop = _stopper(container)
    try:
        container.start()
        url = f"http://{LOOPBACK}:{port}"
        version = wait_ready(url, timeout=timeout_s)
    except (DockerException, ToxiproxyUnreachable, TimeoutError, ConnectionError) as exc:
        stop()
        raise TargetError(f"the Toxiproxy container ({image}) did not start: {exc}") from exc
    except BaseException:
        stop()
        raise
    return ToxiproxyContainer(url=url, version=version, image=image, stop=stop)


def _loopback_only(container: DockerContainer, port: int) -> None:
    """Publish ``port`` on 127.0.0.1 only (testcontainers publishes on every interface by default)."""
    ports: dict[str, Any] = container.ports
    ports.pop(str(port), None)
    ports[f"{port}/tcp"] = (LOOPBACK, None)


def _start(container: C, spec: DependencySpec, image: str) -> C:
    container.with_kwargs(labels={LABEL: spec.name})
    container.with_name(f"harness-{spec.name}-{secrets.token_hex(4)}")
    try:
        return container.start()
    except (DockerException, TimeoutError, ConnectionError, OSError) as exc:
        _stopper(container)()
        raise TargetError(f"dependency '{spec.name}': container {image} did not start: {exc}") from exc
    except BaseException:
        _stopper(container)()
        raise


def _host(container: DockerContainer) -> str:
    host = container.get_container_host_ip()
    return LOOPBACK if host in {"localhost", "::1"} else host


def _details(container: DockerContainer, image: str) -> dict[str, str]:
    return {"image": image, "container": container.get_container_id()[:12]}


def _stopper(container: DockerContainer) -> Callable[[], None]:
    def stop() -> None:
        try:
            container.stop(force=True, delete_volume=True)
        except DockerException as exc:
            raise TargetError(f"could not remove container {container.image}: {exc}") from exc

    return stop
