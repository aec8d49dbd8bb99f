"""Servers this project did not write: httpbin under gunicorn, and nginx in front of it with the fault
proxy between nginx and httpbin. Each test writes its own configs and starts them on free loopback
ports; nothing is left running.

httpbin and gunicorn live in a virtualenv of their own (``.venv-thirdparty``, or
``HARNESS_THIRDPARTY_VENV``) made from ``tests/thirdparty/requirements.txt`` by ``.ci/run``;
nginx comes from Debian. Outside CI a missing server skips these tests with the reason; in CI it
fails them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from readiness_harness.contract.net import free_port

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LOCUSTFILES = HERE / "locustfiles"
VENV = Path(os.environ.get("HARNESS_THIRDPARTY_VENV") or ROOT / ".venv-thirdparty")
GUNICORN = VENV / "bin" / "gunicorn"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
HOW = f"python3 -m venv {VENV} && {VENV}/bin/pip install -r tests/thirdparty/requirements.txt"


def _missing() -> list[str]:
    missing = [] if GUNICORN.exists() else [f"httpbin under gunicorn ({HOW})"]
    return missing + ([] if NGINX else ["nginx (apt-get install nginx)"])


def needs_servers() -> pytest.MarkDecorator:
    """Skip outside CI when a third-party server is not installed; in CI that is a failure."""
    missing = _missing()
    return pytest.mark.skipif(bool(missing) and not os.environ.get("CI"), reason="missing: " + "; ".join(missing))


def gunicorn_command(port: str) -> list[str]:
    return [str(GUNICORN), "--workers", "2", "--worker-class", "gthread", "--threads", "8", "--bind",
            f"127.0.0.1:{port}", "--log-level", "warning", "httpbin:app"]


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with code {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0, trust_env=False).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready within {timeout_s:g} s")


@pytest.fixture(scope="module")
def httpbin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """httpbin under gunicorn (two threaded workers) on a free loopback port, stopped at teardown."""
    if not GUNICORN.exists():
        pytest.fail("missing: " + "; ".join(_missing()))
    port = free_port()
    process = subprocess.Popen(gunicorn_command(str(port)), cwd=tmp_path_factory.mktemp("httpbin"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_ready(f"http://127.0.0.1:{port}/get", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


NGINX_CONF = """
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 512; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/body; proxy_temp_path {prefix}/proxy; fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi; scgi_temp_path {prefix}/scgi;
  upstream httpbin {{ server 127.0.0.1:{upstream}; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://httpbin;
      proxy_connect_timeout 1s;
      proxy_read_timeout 5s;
      proxy_next_upstream off;
    }}
  }}
}}
"""


def write_nginx_target(folder: Path) -> Path:
    """A target file: httpbin, the fault proxy ``upstream`` in front of it, and nginx proxying to the fault proxy."""
    if not NGINX or not GUNICORN.exists():
        pytest.fail("missing: " + "; ".join(_missing()))
    folder.mkdir(parents=True, exist_ok=True)
    prefix = folder / "nginx"
    prefix.mkdir(exist_ok=True)
    nginx_port, proxy_port = free_port(), free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, port=nginx_port, upstream=proxy_port))
    target = folder / "nginx-target.yaml"
    httpbin = ", ".join(f'"{part}"' for part in gunicorn_command("{port.httpbin}"))
    target.write_text(textwrap.dedent(f"""\
        name: nginx-in-front-of-httpbin
        base_url: "http://127.0.0.1:{nginx_port}"
        processes:
          - name: httpbin
            command: [{httpbin}]
            ready: {{url: "http://127.0.0.1:{{port.httpbin}}/get", timeout_s: 30}}
          - name: nginx
            command: ["{NGINX}", "-c", "{conf}", "-p", "{prefix}", "-g", "daemon off;"]
            ready: {{url: "{{base_url}}/get", timeout_s: 20}}
            stop: {{signal: SIGQUIT, grace_s: 5}}
        proxies:
          - name: upstream
            listen: "127.0.0.1:{proxy_port}"
            upstream: "127.0.0.1:{{port.httpbin}}"
        """))
    return target
