"""A throwaway Prometheus that scrapes the target every second for the whole audit.

When Debian's ``prometheus`` binary is on PATH, :func:`prometheus_service` starts one on a free
loopback port with its configuration and TSDB in a temporary folder, and stops it at teardown
(SIGTERM, then SIGKILL; the folder is deleted). Start-up goes on in the background: Prometheus
needs a few seconds before its first scrape (its target discovery is throttled to 5 s), and
most audits never query it. Checks that do call :meth:`PrometheusServer.wait_ready`.

Rule files are loaded on demand (:meth:`PrometheusServer.load_rules`, by the ``alert_rules``
check): the configuration is rewritten and Prometheus reloads it on SIGHUP, so ``ALERTS``
can fire during a fault scenario. Rules are evaluated every second.

``HARNESS_PROMETHEUS=off`` in the environment disables the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx
import yaml

from readiness_harness.contract.context import PROMETHEUS_INSTALL_HINT, PrometheusUnavailable
from readiness_harness.contract.errors import TargetError
from readiness_harness.contract.net import free_port
from readiness_harness.contract.registry import Capability
from readiness_harness.process import ManagedProcess

if TYPE_CHECKING:
    from readiness_harness.environment import AuditEnvironment

JOB = "target"
FOLDER_PREFIX = "harness-prometheus-"
SCRAPED = f'count_over_time(up{{job="{JOB}"}}[1m]) >= 2'  # two scrapes: rate() has something to work with


class PrometheusServer:
    """One Prometheus process, its temporary folder, and its readiness."""

    def __init__(self, *, binary: str, scrape_target: str, scheme: str, metrics_path: str, log_dir: Path,
                 scrape_interval_s: float = 1.0) -> None:
        self.binary = binary
        self.scrape_target = scrape_target
        self.scheme = scheme
        self.metrics_path = metrics_path
        self.scrape_interval_s = scrape_interval_s
        self.folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        (self.folder / "owner.pid").write_text(str(os.getpid()), encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.rule_files: list[Path] = []
        self.process = ManagedProcess(
            "prometheus", command=self._command(), env=dict(os.environ), cwd=self.folder,
            log_path=log_dir / "prometheus.log", grace_s=5.0,
        )
        self._ready: asyncio.Task[str] | None = None

    def _command(self) -> list[str]:
        # setpriv --pdeathsig: Prometheus ends with the harness even when the harness is SIGKILLed
        guard = [setpriv, "--pdeathsig", "SIGTERM", "--"] if (setpriv := shutil.which("setpriv")) else []
        return [*guard, self.binary, f"--config.file={self.folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={self.folder / 'data'}", f"--web.listen-address=127.0.0.1:{self.port}",
                "--log.level=warn"]

    def write_config(self) -> None:
        interval = f"{self.scrape_interval_s:g}s"
        config = {
            "global": {"scrape_interval": interval, "scrape_timeout": interval, "evaluation_interval": interval},
            "scrape_configs": [{"job_name": JOB, "scheme": self.scheme, "metrics_path": self.metrics_path,
                                "static_configs": [{"targets": [self.scrape_target]}]}],
            "rule_files": [str(path) for path in self.rule_files],
        }
        (self.folder / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    def start(self) -> None:
        self.write_config()
        self.process.start()
        (self.folder / "prometheus.pid").write_text(str(self.process.pid), encoding="utf-8")
        self._ready = asyncio.ensure_future(self._await_scrapes(timeout_s=60.0))

    async def _await_scrapes(self, *, timeout_s: float) -> str:
        await self.process.wait_ready(f"{self.url}/-/ready", timeout_s=timeout_s, statuses=[200], interval_s=0.2)
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    answer = await client.get("/api/v1/query", params={"query": SCRAPED})
                    if answer.json().get("data", {}).get("result"):
                        return self.url
                await asyncio.sleep(0.25)
        raise TargetError(f"Prometheus did not scrape {self.scrape_target} within {timeout_s:g} s")

    async def wait_ready(self, timeout_s: float = 60.0) -> str:
        """The base URL, once Prometheus answers and has scraped the target twice (so rates exist)."""
        if self._ready is None:
            raise PrometheusUnavailable("Prometheus was not started")
        try:
            return await asyncio.wait_for(asyncio.shield(self._ready), timeout_s)
        except TimeoutError:
            raise PrometheusUnavailable(f"Prometheus not ready within {timeout_s:g} s") from None
        except TargetError as exc:
            tail = "\n".join(self.process.log_tail(10))
            raise PrometheusUnavailable(f"{exc}\n{tail}".strip()) from exc

    async def load_rules(self, path: Path, *, timeout_s: float = 15.0) -> None:
        """Add a rule file to the configuration and reload (SIGHUP); returns once its groups are loaded."""
        path = path.resolve()
        if path not in self.rule_files:
            self.rule_files.append(path)
        await self.wait_ready(timeout_s)
        self.write_config()
        self.process.send(signal.SIGHUP)
        wanted = set(_group_names(path))
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    groups = (await client.get("/api/v1/rules")).json()["data"]["groups"]
                    if wanted <= {g["name"] for g in groups if Path(g["file"]).resolve() == path}:
                        return
                await asyncio.sleep(0.2)
        raise PrometheusUnavailable(f"Prometheus did not load the rule groups of {path} within {timeout_s:g} s")

    def stop(self) -> None:
        if self._ready is not None and not self._ready.done():
            self._ready.cancel()
        self.process.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def remove_stale(tmp: Path | None = None) -> int:
    """Stop and delete what a crashed audit left behind (its harness process is gone); how many."""
    removed = 0
    for folder in sorted((tmp or Path(tempfile.gettempdir())).glob(f"{FOLDER_PREFIX}*"))[:200]:
        owner = _pid_in(folder / "owner.pid")
        if owner is None or _alive(owner):
            continue
        server = _pid_in(folder / "prometheus.pid")
        if server is not None and _alive(server) and str(folder) in _cmdline(server):
            with contextlib.suppress(ProcessLookupError):
                os.kill(server, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)
        removed += 1
    return removed


def _pid_in(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _group_names(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [str(group.get("name")) for group in data.get("groups") or [] if isinstance(group, dict)]


@asynccontextmanager
async def prometheus_service(env: AuditEnvironment) -> AsyncIterator[None]:
    """Audit service: a Prometheus scraping the target's /metrics every second, when the binary exists."""
    binary = shutil.which("prometheus")
    if Capability.PROMETHEUS not in env.needs:
        yield  # no item of this audit queries Prometheus
        return
    if os.environ.get("HARNESS_PROMETHEUS", "").lower() in {"off", "0", "false", "no"}:
        env.prometheus_missing = "Prometheus is disabled (HARNESS_PROMETHEUS=off)"
        yield
        return
    if binary is None:
        env.prometheus_missing = f"no prometheus binary on PATH: {PROMETHEUS_INSTALL_HINT}"
        env.notes.append(f"Prometheus: not started (no prometheus binary on PATH); {PROMETHEUS_INSTALL_HINT}.")
        yield
        return
    if removed := remove_stale():
        env.notes.append(f"Prometheus: removed {removed} left over from an interrupted audit.")
    parts = urlsplit(env.target.base_url)
    server = PrometheusServer(binary=binary, scrape_target=parts.netloc, scheme=parts.scheme or "http",
                              metrics_path="/metrics", log_dir=env.run_dir / "logs")
    try:
        try:
            server.start()
        except TargetError as exc:
            env.prometheus_missing = f"Prometheus could not start: {exc}"
            env.notes.append(f"Prometheus: could not start ({exc}).")
        else:
            env.prometheus_server = server
        yield
    finally:
        env.prometheus_server = None
        env.prometheus_missing = "the audit's Prometheus was stopped"
        server.stop()
