"""Audits of single reference items, clean or with a defect on; an nginx target faster than Locust."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from readiness_harness.audit import AuditOptions, run_audit
from readiness_harness.checks import default_registry
from readiness_harness.contract.record import ItemResult
from readiness_harness.listeners import standard_listeners
from tests.conftest import ROOT

REFERENCE = ROOT / "checklists" / "reference.yaml"
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def reference_item(item_id: str, out: Path, *, defect: str | None = None) -> ItemResult:
    """The reference checklist's item ``item_id``, alone, against the service (with ``defect`` on)."""
    environ = {k: v for k, v in os.environ.items() if k != "SUT_DEFECTS"}
    if defect:
        environ["SUT_DEFECTS"] = defect
    options = AuditOptions(checklist=REFERENCE, out_dir=out, only=frozenset({item_id}), environ=environ,
                           listeners=standard_listeners())
    record = asyncio.run(run_audit(options, default_registry())).record
    return next(item for item in record.items if item.id == item_id)


def nginx_target(folder: Path) -> Path:
    """A target file: nginx answering every request with a fixed 200, far faster than one Locust process."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "nginx-target.yaml"
    target.write_text(f"""
name: nginx-static
base_url: "http://127.0.0.1:{{port.nginx}}"
files:
  - path: nginx.conf
    content: |
      worker_processes 1;
      pid {{run_dir}}/nginx.pid;
      error_log {{run_dir}}/error.log warn;
      daemon off;
      events {{ worker_connections 1024; }}
      http {{
        access_log off;
        client_body_temp_path {{run_dir}}/body; proxy_temp_path {{run_dir}}/proxy;
        fastcgi_temp_path {{run_dir}}/fastcgi; uwsgi_temp_path {{run_dir}}/uwsgi; scgi_temp_path {{run_dir}}/scgi;
        server {{ listen 127.0.0.1:{{port.nginx}}; location / {{ return 200 "ok\\n"; }} }}
      }}
processes:
  - name: nginx
    command: ["{NGINX}", "-c", "{{run_dir}}/nginx.conf", "-p", "{{run_dir}}"]
    ready: {{url: "http://127.0.0.1:{{port.nginx}}/", timeout_s: 10}}
""")
    (folder / "static.py").write_text(STATIC_LOCUSTFILE)
    return target


STATIC_LOCUSTFILE = '''"""A plain locustfile: GET / as fast as the schedule allows."""

from locust import FastHttpUser, constant, task


class Static(FastHttpUser):
    wait_time = constant(0)

    @task
    def index(self):
        self.client.get("/", name="static")
'''

