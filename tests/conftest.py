"""Fixtures shared by every test folder: fresh registries, checklist and target files on disk."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

from readiness_harness.checks import default_registry
from readiness_harness.contract.registry import Registry

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_TARGET = ROOT / "system_under_test" / "target.yaml"


def tool_missing(name: str) -> bool:
    """``name`` is not installed and this is not CI (in CI every tool must be there: a missing one fails)."""
    return shutil.which(name) is None and not Path(name).exists() and not os.environ.get("CI")


def needs_tool(name: str) -> pytest.MarkDecorator:
    """Skip when ``name`` is missing, but only outside CI: in CI a missing tool is a failure."""
    return pytest.mark.skipif(tool_missing(name), reason=f"{name} is not installed")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """``@pytest.mark.needs_tool("x")`` works like ``needs_tool("x")``."""
    for mark in item.iter_markers("needs_tool"):
        if tool_missing(mark.args[0]):
            pytest.skip(f"{mark.args[0]} is not installed")


@pytest.fixture
def registry() -> Registry:
    return default_registry()


@pytest.fixture
def write_yaml(tmp_path: Path):
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return write


def static_site(base: Path, www: Path) -> Path:
    """``base/target.yaml``: a target serving ``www`` with Python's http.server (no project code involved);
    ``www/health`` is its readiness URL."""
    (www / "health").write_text("ok\n", encoding="utf-8")
    target = base / "target.yaml"
    target.write_text(textwrap.dedent(f"""\
        name: static
        base_url: "http://127.0.0.1:{{port.web}}"
        processes:
          - name: web
            command: ["{sys.executable}", "-m", "http.server", "--bind", "127.0.0.1",
                      "--directory", "{www}", "{{port.web}}"]
            ready: {{url: "{{base_url}}/health", timeout_s: 15}}
            stop: {{grace_s: 2}}
        """), encoding="utf-8")
    return target


@pytest.fixture
def static_target(write_yaml, tmp_path: Path) -> Path:
    """A target that serves a folder with Python's http.server (no project code involved)."""
    www = write_yaml("www/index.html", "<h1>ok</h1>\n").parent
    return static_site(tmp_path, www)
