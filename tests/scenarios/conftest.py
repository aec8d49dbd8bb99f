"""Fault-scenario fixtures: a checklist writer around the reference service."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REFERENCE_TARGET
from tests.core import lifecycle

KEY = {"X-API-Key": "{secret.pro_key}"}
PORTFOLIO = "/v1/wallets/ethereum/0x00000000219ab540356cbb839cbe05303d7705fa/portfolio"


def portfolio_probe(name: str = "portfolio", **expect) -> dict:
    return {"name": name, "request": {"path": PORTFOLIO, "headers": KEY}, "expect": {"status": 200, **expect}}


@pytest.fixture
def scenario_checklist(tmp_path: Path):
    def write(scenario: dict, *, timeout: float | None = None, extra_items: list | None = None) -> Path:
        check = {"type": "chaos", **scenario}
        if timeout:
            check["timeout"] = timeout
        items = [{"id": "scenario", "title": "Scenario", "severity": "critical", "check": check}, *(extra_items or [])]
        doc = {"checklist": {"id": "scenarios", "title": "Scenarios", "target": str(REFERENCE_TARGET)},
               "sections": [{"id": "faults", "title": "Faults", "items": items}]}
        path = tmp_path / "scenario.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path

    return write


class EmbeddedServer:
    """An embedded Toxiproxy started by the test, so it outlives the audit under test."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "readiness_harness.chaos.server", "--host", "127.0.0.1",
                                         "--port", "0"], stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip() if self.process.stdout else ""
        self.url = line.rsplit(" ", 1)[-1]

    def proxies(self) -> dict:
        import httpx

        return httpx.get(f"{self.url}/proxies", timeout=5).json()

    def proxy(self, name: str) -> dict:
        """The proxy a checklist calls ``name`` (on the server it carries the run's prefix: ``<run>.name``)."""
        return next((p for key, p in self.proxies().items() if key.endswith(f".{name}")), {})

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def external_toxiproxy(monkeypatch):
    server = EmbeddedServer()
    monkeypatch.setenv("TOXIPROXY_URL", server.url)
    yield server
    server.close()


def results(out: Path) -> dict:
    return json.loads((out / "latest" / "results.json").read_text())


def wait_for(predicate, timeout_s: float = 30.0, interval_s: float = 0.1) -> bool:
    return lifecycle.wait_for(predicate, timeout_s, interval_s)
