"""The environment fingerprint printed in every report: what ran, where, with which versions."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import readiness_harness
from readiness_harness.contract.record import RunEnvironment
from readiness_harness.provision import RunningTarget

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def git_commit(path: Path = PROJECT_ROOT) -> str:
    try:
        out = subprocess.run(["git", "-C", str(path), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    if out.returncode != 0:
        return "unknown"
    dirty = subprocess.run(["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=5, check=False).stdout.strip()
    return out.stdout.strip() + ("+dirty" if dirty else "")


def fingerprint(target: RunningTarget) -> RunEnvironment:
    proxy = target.proxy
    return RunEnvironment(
        harness_version=readiness_harness.__version__,
        git_commit=git_commit(),
        python=f"{platform.python_implementation()} {sys.version.split()[0]}",
        platform=f"{platform.system()} {platform.release()} ({platform.machine()})",
        locust=_version("locust"),
        toxiproxy=f"{proxy.kind} {proxy.version} at {proxy.url}" if proxy else "not used",
        target=f"{target.spec.name if target.spec else 'external'} at {target.base_url}",
    )
