"""The ``local`` provider: throwaway PostgreSQL and Redis servers started from binaries.

Each server gets its own temporary directory and a free loopback port, runs under a
mirakuru executor (which marks every process it starts, so none is left behind), and is
stopped and deleted at teardown. PostgreSQL refuses to run as root: when the harness is
root, ``initdb`` and ``pg_ctl`` run as the ``postgres`` user and the directory is theirs.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psycopg
import redis
from mirakuru import TCPExecutor
from mirakuru.exceptions import ExecutorError, ProcessFinishedWithError

from readiness_harness.contract.errors import TargetError
from readiness_harness.contract.net import free_port
from readiness_harness.dependencies.models import DependencySpec, RunningDependency

HOST = "127.0.0.1"
PG_USER = "postgres"
PG_SEARCH = "/usr/lib/postgresql"


def pg_bin_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` live: ``PG_BIN_DIR``, PATH, or Debian's versioned folders."""
    env = os.environ if environ is None else environ
    if env.get("PG_BIN_DIR"):
        return Path(env["PG_BIN_DIR"])
    found = shutil.which("pg_ctl", path=env.get("PATH"))
    if found:
        return Path(found).parent
    versions = sorted(Path(PG_SEARCH).glob("*/bin/pg_ctl"), key=lambda p: _version_key(p.parent.parent.name))
    return versions[-1].parent if versions else None


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _run_as() -> list[str]:
    """The prefix that runs PostgreSQL's tools as a non-root user when we are root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        raise TargetError(f"running as root needs a '{PG_USER}' user for PostgreSQL (Debian's postgresql "
                          "package creates it)") from None
    return ["runuser", "-u", PG_USER, "--"]


class PostgresExecutor(TCPExecutor):
    """``pg_ctl start`` under mirakuru; running and stop go through ``pg_ctl`` (as pytest-postgresql does)."""

    def __init__(self, *, bin_dir: Path, data_dir: Path, socket_dir: Path, log_file: Path, port: int,
                 timeout: float, output: Any) -> None:
        self.run_as = _run_as()
        self.pg_ctl = str(bin_dir / "pg_ctl")
        self.data_dir = data_dir
        options = f"-p {port} -k {socket_dir} -c listen_addresses={HOST} -c fsync=off -c full_page_writes=off"
        command = [*self.run_as, self.pg_ctl, "start", "-w", "-D", str(data_dir), "-l", str(log_file),
                   "-o", options]
        super().__init__(command, host=HOST, port=port, timeout=int(timeout), stdout=output,
                         stderr=subprocess.STDOUT)

    def running(self) -> bool:
        if not (self.data_dir / "postmaster.pid").exists():
            return False
        status = subprocess.run([*self.run_as, self.pg_ctl, "status", "-D", str(self.data_dir)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        return status.returncode == 0

    def stop(self, stop_signal: int | None = None, expected_returncode: int | None = None) -> PostgresExecutor:
        if self.running():
            subprocess.run([*self.run_as, self.pg_ctl, "stop", "-D", str(self.data_dir), "-m", "fast", "-w",
                            "-t", "20"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        with contextlib.suppress(ProcessFinishedWithError):
            super().stop(stop_signal, expected_returncode)
        return self


def start_postgres(spec: DependencySpec, *, environ: Mapping[str, str] | None = None) -> RunningDependency:
    bin_dir = pg_bin_dir(environ)
    if bin_dir is None:
        raise TargetError(f"dependency '{spec.name}': PostgreSQL binaries (initdb, pg_ctl) not found; install "
                          "Debian's `postgresql` package or set PG_BIN_DIR")
    base = Path(tempfile.mkdtemp(prefix="harness-pg-"))
    executor: PostgresExecutor | None = None
    output = (base / "pg_ctl.out").open("w")
    try:
        run_as = _run_as()
        if run_as:
            user = pwd.getpwnam(PG_USER)
            os.chown(base, user.pw_uid, user.pw_gid)
            os.chown(base / "pg_ctl.out", user.pw_uid, user.pw_gid)
        socket_dir = base / "socket"
        socket_dir.mkdir()
        if run_as:
            os.chown(socket_dir, user.pw_uid, user.pw_gid)
        _initdb(bin_dir, base / "data", run_as, output)
        port = free_port(HOST)
        executor = PostgresExecutor(bin_dir=bin_dir, data_dir=base / "data", socket_dir=socket_dir,
                                    log_file=base / "postgres.log", port=port, timeout=spec.start_timeout_s,
                                    output=output)
        executor.start()
        version = _create_database(port, spec.database)
    except (ExecutorError, OSError, psycopg.Error, subprocess.CalledProcessError) as exc:
        tail = _tail(base / "postgres.log") or _tail(base / "pg_ctl.out")
        _stop_postgres(executor, base, output)
        raise TargetError(f"dependency '{spec.name}': local PostgreSQL did not start: {exc}\n{tail}") from exc
    except BaseException:
        _stop_postgres(executor, base, output)
        raise
    return RunningDependency(
        name=spec.name, kind="postgresql", provider="local", host=HOST, port=port, username=PG_USER,
        database=spec.database, version=version, details={"data_dir": str(base), "bin_dir": str(bin_dir)},
        pid=_postmaster_pid(base / "data"), _stop=lambda: _stop_postgres(executor, base, output),
    )


def _initdb(bin_dir: Path, data_dir: Path, run_as: list[str], output: Any) -> None:
    output.flush()
    subprocess.run([*run_as, str(bin_dir / "initdb"), "-D", str(data_dir), "-U", PG_USER, "--auth=trust",
                    "-E", "UTF8", "--locale=C", "--no-sync"], stdout=output, stderr=subprocess.STDOUT, check=True,
                   timeout=120)


def _create_database(port: int, database: str, timeout_s: float = 15.0) -> str:
    deadline = time.monotonic() + timeout_s
    while True:  # the postmaster can refuse a first connection with "starting up" right after pg_ctl -w
        try:
            conn = psycopg.connect(host=HOST, port=port, user=PG_USER, dbname="postgres", autocommit=True,
                                   connect_timeout=10)
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    with conn:
        conn.execute(f'CREATE DATABASE "{database}"')  # the name is checked against an identifier pattern
        version = conn.info.server_version
    return f"{version // 10000}.{version % 10000}"


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _stop_postgres(executor: PostgresExecutor | None, base: Path, output: Any) -> None:
    try:
        if executor is not None:
            executor.stop()
    finally:
        output.close()
        shutil.rmtree(base, ignore_errors=True)


def start_redis(spec: DependencySpec) -> RunningDependency:
    binary = shutil.which("redis-server")
    if binary is None:
        raise TargetError(f"dependency '{spec.name}': redis-server not found; install Debian's `redis-server`")
    base = Path(tempfile.mkdtemp(prefix="harness-redis-"))
    port = free_port(HOST)
    command = [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
               "--dir", str(base), "--logfile", str(base / "redis.log"), "--daemonize", "no"]
    executor = TCPExecutor(command, host=HOST, port=port, timeout=int(spec.start_timeout_s),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        executor.start()
        with redis.Redis(host=HOST, port=port, socket_timeout=5) as client:
            version = str(client.info("server").get("redis_version", ""))
    except (ExecutorError, OSError, redis.RedisError) as exc:
        tail = _tail(base / "redis.log")
        _stop_redis(executor, base)
        raise TargetError(f"dependency '{spec.name}': local Redis did not start: {exc}\n{tail}") from exc
    except BaseException:
        _stop_redis(executor, base)
        raise
    return RunningDependency(name=spec.name, kind="redis", provider="local", host=HOST, port=port,
                             database="0", version=version, details={"data_dir": str(base)},
                             pid=executor.process.pid if executor.process else None,
                             _stop=lambda: _stop_redis(executor, base))


def _stop_redis(executor: TCPExecutor, base: Path) -> None:
    try:
        with contextlib.suppress(ProcessFinishedWithError):
            executor.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
