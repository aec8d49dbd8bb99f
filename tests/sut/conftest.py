"""Fixtures that run the reference service for real: two upstream stand-ins and the API.

Every process is started on free loopback ports in its own session, and stopped at teardown
whatever happened (a session-finish hook kills any straggler). No mocks: tests talk HTTP.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
START_TIMEOUT_S = 20.0

# Settings tuned so fault scenarios finish in well under a second or two.
TEST_ENV: dict[str, str] = {
    "UPSTREAM_CONNECT_TIMEOUT_S": "0.3",
    "UPSTREAM_READ_TIMEOUT_S": "0.3",
    "UPSTREAM_RETRIES": "2",
    "UPSTREAM_BACKOFF_BASE_S": "0.02",
    "UPSTREAM_BACKOFF_MAX_S": "0.1",
    "CIRCUIT_FAILURE_THRESHOLD": "3",
    "CIRCUIT_RESET_TIMEOUT_S": "1.0",
    "CACHE_TTL_S": "5",
    "RATE_LIMIT_FREE_RPS": "2",
    "RATE_LIMIT_FREE_BURST": "5",
    "RATE_LIMIT_PRO_RPS": "1000",
    "RATE_LIMIT_PRO_BURST": "1000",
    "RATE_LIMIT_IP_RPS": "1000",
    "RATE_LIMIT_IP_BURST": "2000",
    "CORS_ALLOW_ORIGINS": "https://app.example",
    "MAX_BODY_BYTES": "65536",
    "SHUTDOWN_GRACE_S": "5",
    "LOG_LEVEL": "INFO",
}

_SERVICE_VARIABLES = ("API_KEYS", "UPSTREAM_", "CIRCUIT_", "DATA_DIR", "DATABASE_URL", "DB_", "REDIS_URL",
                      "CACHE_", "RATE_LIMIT_", "CORS_", "MAX_BODY", "SHUTDOWN_", "JOB_", "LOG_LEVEL",
                      "SUT_DEFECTS")
_SPAWNED: list[subprocess.Popen[bytes]] = []


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def random_address() -> str:
    return "0x" + secrets.token_hex(20)


def base_env() -> dict[str, str]:
    """The test process's environment without any variable the service reads."""
    return {k: v for k, v in os.environ.items() if not k.startswith(_SERVICE_VARIABLES)}


def spawn(module: str, args: list[str], *, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        proc = subprocess.Popen([PYTHON, "-m", module, *args], cwd=REPO_ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    _SPAWNED.append(proc)
    return proc


def stop_process(proc: subprocess.Popen[bytes], *, grace_s: float = 6.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    if proc in _SPAWNED:
        _SPAWNED.remove(proc)


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log_path: Path, *, timeout_s: float = START_TIMEOUT_S,
                  ok_statuses: tuple[int, ...] = (200,), verify: ssl.SSLContext | bool = True) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=1.0, verify=verify).status_code in ok_statuses:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} not up after {timeout_s}s:\n{log_path.read_text()[-3000:]}")


@dataclass
class Upstream:
    name: str
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fault(self, **fault: Any) -> None:
        httpx.post(f"{self.url}/control", json=fault, timeout=5).raise_for_status()

    def reset(self) -> None:
        self.fault(fault="reset")

    def stats(self) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/control", timeout=5)
        response.raise_for_status()
        return dict(response.json())


def api_args(port: int, tls_dir: Path | None = None) -> list[str]:
    tls = ["--tls-dir", str(tls_dir)] if tls_dir else []
    return ["--host", "127.0.0.1", "--port", str(port), *tls]


@dataclass
class Api:
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    data_dir: Path
    keys: dict[str, str]
    env: dict[str, str] = field(repr=False)
    tls_dir: Path | None = None  # set when the API serves HTTPS (--tls-dir)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls_dir else 'http'}://127.0.0.1:{self.port}"

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What a client needs to trust this API: its throwaway CA under TLS (once the API has written it)."""
        if self.tls_dir is None or not (self.tls_dir / "ca.pem").is_file():
            return True
        return ssl.create_default_context(cafile=self.tls_dir / "ca.pem")

    @property
    def args(self) -> list[str]:
        return api_args(self.port, self.tls_dir)

    def client(self, tier: str | None = "pro", **kwargs: Any) -> httpx.Client:
        headers = dict(kwargs.pop("headers", {}))
        if tier is not None:
            headers["X-API-Key"] = self.keys[tier]
        return httpx.Client(base_url=self.url, headers=headers, timeout=kwargs.pop("timeout", 10.0),
                            verify=self.verify, **kwargs)

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while self.tls_dir and not (self.tls_dir / "ca.pem").is_file() and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break  # wait_until_up reports the exit
            time.sleep(0.05)
        wait_until_up(f"{self.url}/health", self.proc, self.log_path, ok_statuses=(200, 503), verify=self.verify)

    def restart(self) -> None:
        """Stop the process (SIGTERM) and start it again: same port, environment, data and TLS folder."""
        stop_process(self.proc)
        self.proc = spawn("readiness_harness.system_under_test", self.args, env=self.env, log_path=self.log_path)
        self.wait_until_up()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def portfolio(self, address: str, *, chain: str = "ethereum", tier: str | None = "pro") -> httpx.Response:
        with self.client(tier) as client:
            return client.get(f"/v1/wallets/{chain}/{address}/portfolio")


@dataclass
class Upstreams:
    primary: Upstream
    fallback: Upstream


class ApiFactory:
    """Starts API processes against given upstreams; stops all of them at teardown."""

    def __init__(self, tmp_path: Path, upstreams: Upstreams) -> None:
        self._tmp_path = tmp_path
        self._upstreams = upstreams
        self._started: list[Api] = []

    def start(self, *, defects: tuple[str, ...] = (), env: dict[str, str] | None = None, tls: bool = False,
              wait: bool = True) -> Api:
        keys = {"free": "free-" + secrets.token_urlsafe(24), "pro": "pro-" + secrets.token_urlsafe(24)}
        port = free_port()
        run_dir = self._tmp_path / f"api-{port}"
        run_dir.mkdir(parents=True)
        full_env = base_env() | TEST_ENV | {
            "API_KEYS": ",".join(f"{tier}:{hashlib.sha256(key.encode()).hexdigest()}" for tier, key in keys.items()),
            "UPSTREAM_PRIMARY_URL": self._upstreams.primary.url,
            "UPSTREAM_FALLBACK_URL": self._upstreams.fallback.url,
            "DATA_DIR": str(run_dir / "data"),
            "SUT_DEFECTS": ",".join(defects),
        } | (env or {})
        log_path = run_dir / "api.log"
        tls_dir = run_dir / "tls" if tls else None
        proc = spawn("readiness_harness.system_under_test", api_args(port, tls_dir), env=full_env, log_path=log_path)
        api = Api(port=port, proc=proc, log_path=log_path, data_dir=run_dir / "data", keys=keys, env=full_env,
                  tls_dir=tls_dir)
        self._started.append(api)
        if wait:
            api.wait_until_up()
        return api

    def stop_all(self) -> None:
        for api in self._started:
            stop_process(api.proc)


@pytest.fixture(scope="session")
def upstream_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Upstreams]:
    log_dir = tmp_path_factory.mktemp("upstreams")
    started: list[Upstream] = []
    try:
        for name in ("primary", "fallback"):
            port = free_port()
            log_path = log_dir / f"{name}.log"
            proc = spawn("readiness_harness.system_under_test.upstream",
                         ["--host", "127.0.0.1", "--port", str(port), "--name", name], env=base_env(),
                         log_path=log_path)
            started.append(Upstream(name, port, proc))
        for upstream in started:
            wait_until_up(f"{upstream.url}/health", upstream.proc, log_dir / f"{upstream.name}.log")
        yield Upstreams(*started)
    finally:
        for upstream in started:
            stop_process(upstream.proc)


@pytest.fixture
def upstreams(upstream_processes: Upstreams) -> Iterator[Upstreams]:
    """The worker's two stand-ins, with faults and counters cleared before and after the test."""
    upstream_processes.primary.reset()
    upstream_processes.fallback.reset()
    yield upstream_processes
    upstream_processes.primary.reset()
    upstream_processes.fallback.reset()


@pytest.fixture
def api_factory(tmp_path: Path, upstreams: Upstreams) -> Iterator[ApiFactory]:
    factory = ApiFactory(tmp_path, upstreams)
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture(scope="session")
def _shared_api(tmp_path_factory: pytest.TempPathFactory, upstream_processes: Upstreams) -> Iterator[Api]:
    factory = ApiFactory(tmp_path_factory.mktemp("shared-api"), upstream_processes)
    try:
        yield factory.start()
    finally:
        factory.stop_all()


@pytest.fixture
def shared_api(_shared_api: Api, upstreams: Upstreams) -> Api:
    """A long-lived API without defects, for tests that leave no state behind (use the pro key)."""
    return _shared_api


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for proc in list(_SPAWNED):
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
