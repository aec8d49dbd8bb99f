"""A provisioned target driven from synchronous tests, and fault helpers that always roll back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from readiness_harness.chaos.client import ToxiproxyClient
from readiness_harness.provision import RunningTarget, provisioned
from readiness_harness.target import TargetSpec, load_target

ROOT = Path(__file__).resolve().parents[2]
FULL_TARGET = ROOT / "system_under_test" / "target-full.yaml"


class Provisioned:
    """``provisioned()`` entered on a private event loop; ``close()`` always tears it down."""

    def __init__(self, spec: TargetSpec, base_dir: Path, log_dir: Path, environ: dict[str, str] | None = None):
        self.loop = asyncio.new_event_loop()
        self._manager = provisioned(spec, base_dir=base_dir, log_dir=log_dir, environ=environ)
        try:
            self.running: RunningTarget = self.loop.run_until_complete(self._manager.__aenter__())
        except BaseException:
            self.loop.close()
            raise
        self.http = httpx.Client(base_url=self.running.base_url, timeout=10.0, trust_env=False,
                                 headers={"X-API-Key": self.running.placeholders.get("secret.pro_key") or ""})

    @classmethod
    def from_file(cls, path: Path, log_dir: Path, environ: dict[str, str] | None = None) -> Provisioned:
        spec, base_dir = load_target(path)
        return cls(spec, base_dir, log_dir, environ)

    def close(self) -> None:
        """Tear down; idempotent."""
        if self.loop.is_closed():
            return
        self.http.close()
        try:
            self.loop.run_until_complete(self._manager.__aexit__(None, None, None))
        finally:
            self.loop.close()

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def toxiproxy(self, action: Callable[[ToxiproxyClient], Any]) -> Any:
        assert self.running.proxy is not None

        async def call() -> Any:
            proxy = self.running.proxy
            async with ToxiproxyClient(proxy.url, names=proxy.server_names) as client:  # type: ignore[union-attr]
                return await action(client)

        return self.run(call())

    @contextmanager
    def link_down(self, proxy: str) -> Iterator[None]:
        self.toxiproxy(lambda c: c.update_proxy(proxy, enabled=False))
        try:
            yield
        finally:
            self.toxiproxy(lambda c: c.update_proxy(proxy, enabled=True))

    @contextmanager
    def latency(self, proxy: str, latency_ms: int) -> Iterator[None]:
        self.toxiproxy(lambda c: c.add_toxic(proxy, type="latency", attributes={"latency": latency_ms},
                                             name="slow"))
        try:
            yield
        finally:
            self.toxiproxy(lambda c: c.remove_toxic(proxy, "slow"))

    def restart_api(self, defects: str) -> None:
        """Restart the service with ``SUT_DEFECTS`` set (an empty string switches every defect off)."""
        self.running.process("api").env["SUT_DEFECTS"] = defects
        self.run(self.running.restart("api"))

    def wait_for(self, condition: Callable[[], bool], timeout_s: float = 10.0) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout_s:
            if condition():
                return time.monotonic() - started
            time.sleep(0.1)
        raise AssertionError(f"condition not met within {timeout_s} s")
