"""The distribution: one import namespace of its own, no reference-service dependencies, and a
harness that audits an already running service from a plain ``pip install``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from readiness_harness.contract.net import free_port
from tests.conftest import needs_tool

ROOT = Path(__file__).resolve().parents[2]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
GENERIC = {"harness", "contract", "checks", "reports", "chaos", "loadtests", "system_under_test", "bench", "tests"}
REFERENCE_ONLY = {"fastapi", "sqlalchemy", "psycopg", "redis", "uvicorn"}


def test_every_package_folder_is_in_the_distribution():
    listed = set(SETUPTOOLS["packages"])
    missing = []
    for name, folder in SETUPTOOLS["package-dir"].items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            relative = init.parent.relative_to(ROOT / folder).parts
            dotted = ".".join([name, *relative])
            mapped_elsewhere = any(".".join([name, *relative[:n]]) in SETUPTOOLS["package-dir"]
                                   for n in range(1, len(relative) + 1)) and relative
            if dotted not in listed and not mapped_elsewhere:
                missing.append(dotted)
    assert missing == [], "add these to [tool.setuptools] packages in pyproject.toml"


def _source_copy(destination: Path) -> Path:
    """The working tree's tracked and unignored files, so that a build leaves nothing in the checkout."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    for name in listed:
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


CHECKLIST = """
checklist: {id: packaged, title: Installed from a wheel}
sections:
  - id: web
    title: Web
    items:
      - {id: home, title: Home page answers, severity: high, check: {type: http, path: /, expect: {status: 200}}}
"""


@pytest.mark.slow
@needs_tool("git")
def test_pip_install_into_an_empty_venv_audits_a_running_service(tmp_path: Path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    source = _source_copy(tmp_path / "source")
    installed = subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet", str(source)],
                               capture_output=True, text=True, timeout=900)
    assert installed.returncode == 0, installed.stderr[-3000:]
    site = Path(subprocess.run([str(venv / "bin/python"), "-c", "import sysconfig; print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True, check=True).stdout.strip())
    assert GENERIC.isdisjoint(p.name for p in site.iterdir())
    assert (site / "readiness_harness" / "reports" / "templates" / "report.html.j2").is_file()
    distributions = subprocess.run([str(venv / "bin/python"), "-m", "pip", "list", "--format=freeze"],
                                   capture_output=True, text=True, check=True).stdout.lower()
    names = {line.split("==")[0].split("[")[0] for line in distributions.splitlines()}
    assert REFERENCE_ONLY.isdisjoint(names)

    www = tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_text("<h1>ok</h1>")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)], cwd=www,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        checklist = tmp_path / "checklist.yaml"
        checklist.write_text(CHECKLIST)
        audit = _audit(venv, checklist, port, tmp_path / "out")
    finally:
        server.terminate()
        server.wait(10)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "APPROVED" in audit.stdout
    assert (tmp_path / "out" / "latest" / "index.html").is_file()


def _audit(venv: Path, checklist: Path, port: int, out: Path) -> subprocess.CompletedProcess[str]:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the static server needs a moment to listen
        try:
            import socket

            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    return subprocess.run([str(venv / "bin/harness"), "audit", str(checklist), "--base-url",
                           f"http://127.0.0.1:{port}", "--out", str(out), "--quiet"], capture_output=True, text=True,
                          timeout=300, cwd=out.parent)
