"""The container provider through a Docker-compatible engine: podman in CI (see .ci/container-images.sh),
Docker on a developer's machine. Without an engine the provider fails with a clear TargetError."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator

import docker
import pytest

from readiness_harness.contract.errors import TargetError
from readiness_harness.contract.net import free_port
from readiness_harness.dependencies import DependencyStack
from readiness_harness.dependencies.containers import LABEL
from readiness_harness.dependencies.models import DependencySpec
from readiness_harness.placeholders import Placeholders
from tests.dependencies.support import FULL_TARGET, Provisioned


def engine_reachable() -> bool:
    if not os.environ.get("DOCKER_HOST") and not os.path.exists("/var/run/docker.sock"):
        return False
    try:
        client = docker.from_env(timeout=5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except docker.errors.DockerException:
        return False


needs_engine = pytest.mark.skipif(
    not engine_reachable() and not (os.environ.get("CI") and shutil.which("podman")),
    reason="no container engine: run `bash .ci/container-images.sh` (podman) or start Docker",
)


def test_without_an_engine_the_container_provider_is_a_clear_target_error():
    stack = DependencyStack()
    with pytest.raises(TargetError, match="needs a Docker-compatible engine, and none answered at unix:///nonexistent"):
        stack.start([DependencySpec(name="db", kind="postgresql", provider="container")],
                     placeholders=Placeholders(), environ={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert stack.running == [] and stack.toxiproxy is None


def harness_containers() -> list[str]:
    client = docker.from_env(timeout=10)
    try:
        return [c.name for c in client.containers.list(all=True, filters={"label": LABEL})]
    finally:
        client.close()


@pytest.fixture(scope="module")
def on_containers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provisioned]:
    if not engine_reachable():
        pytest.fail("CI has podman but no engine answers: run `bash .ci/container-images.sh` before the tests")
    # The Toxiproxy container has its own test below; here the dependencies run in containers and
    # the audit's usual Toxiproxy sits in front of them (the CI image runs the embedded server on
    # Debian's Python 3.11.2, where bytes sent before the upstream dial completes are dropped).
    environ = {**os.environ, "HARNESS_PROVIDER": "container", "HARNESS_TOXIPROXY_CONTAINER": "0"}
    environ.pop("TOXIPROXY_URL", None)
    target = Provisioned.from_file(FULL_TARGET, tmp_path_factory.mktemp("container-logs"), environ)
    try:
        yield target
    finally:
        target.close()


@needs_engine
@pytest.mark.slow
def test_full_profile_on_postgresql_and_redis_containers(on_containers):
    full = on_containers
    assert full.running.proxy is not None
    names = {d.name: d for d in full.running.dependencies.running}
    assert {d.provider for d in names.values()} == {"container"}
    assert full.running.placeholders.get("secret.dep.db.password"), "the database password is a run secret"
    client = docker.from_env(timeout=10)
    try:
        for dependency in names.values():
            ports = client.containers.get(dependency.details["container"]).attrs["HostConfig"]["PortBindings"]
            assert {b["HostIp"] for bindings in ports.values() for b in bindings} == {"127.0.0.1"}
    finally:
        client.close()
    body = full.http.get("/ready").json()
    assert body["components"]["database"]["dialect"] == "postgresql"
    assert body["components"]["cache"] == {"status": "up", "backend": "redis"}
    with full.link_down("db"):
        assert full.http.get("/ready").status_code == 503
    full.wait_for(lambda: full.http.get("/ready").status_code == 200, timeout_s=15)


@needs_engine
@pytest.mark.slow
def test_no_container_is_left_after_teardown(on_containers):
    assert len(harness_containers()) == 2  # postgres and redis of the running fixture
    on_containers.close()
    assert harness_containers() == []


@needs_engine
@pytest.mark.slow
def test_toxiproxy_container_proxies_on_the_host_loopback_and_is_removed():
    from readiness_harness.chaos.client import ToxiproxyClient
    from readiness_harness.dependencies.containers import start_toxiproxy

    echo = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=_echo_once, args=(echo,), daemon=True).start()
    toxiproxy = start_toxiproxy()
    try:
        async def create() -> str:
            async with ToxiproxyClient(toxiproxy.url) as client:
                proxy = await client.create_proxy("echo", upstream=f"127.0.0.1:{echo.getsockname()[1]}",
                                                  listen=f"127.0.0.1:{free_port()}")
                return proxy.listen

        host, _, port = asyncio.run(create()).rpartition(":")
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            time.sleep(0.5)  # let the proxy finish dialing upstream before the first bytes
            conn.sendall(b"ping")
            assert conn.recv(16) == b"echo:ping"
        assert toxiproxy.version
    finally:
        toxiproxy.stop()
        echo.close()
    assert harness_containers() == []


def _echo_once(server: socket.socket) -> None:
    conn, _ = server.accept()
    with conn:
        conn.sendall(b"echo:" + conn.recv(16))
