"""``files:`` in a target file: configuration a service needs, written into the run folder before it starts.

    files:
      - path: nginx.conf                  # relative to the run folder, {run_dir}
        content: |
          events {}
          http { server { listen 127.0.0.1:{port.web}; location / { proxy_pass http://{proxy.app}; } } }
      - path: prometheus.yml
        template: prometheus.yml.in       # a file relative to the target file, rendered the same way

The same placeholders as everywhere in the target file are filled (``{port.NAME}``, ``{proxy.NAME}``,
``{dep.NAME.url}``, ``{secret.NAME}``, ``{base_url}``, ...); braces that are not a placeholder (nginx's
blocks, JSON) are left alone. Files are written after the fault proxies and dependencies exist and
before the first process starts, so a command can say ``-c {run_dir}/nginx.conf``.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from readiness_harness.contract.errors import TargetError
from readiness_harness.placeholders import Placeholders, names_in


class RenderedFile(BaseModel):
    """One file written into the run folder: inline ``content`` or a ``template`` file, placeholders filled."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="where to write it, relative to the run folder ({run_dir}); no '..'")
    content: str | None = Field(default=None, description="the text, placeholders filled")
    template: str | None = Field(default=None, description="a file relative to the target file, rendered like "
                                 "content (instead of content)")
    executable: bool = Field(default=False, description="make the file executable (a start script)")

    @field_validator("path")
    @classmethod
    def _inside_run_folder(cls, value: str) -> str:
        pure = PurePosixPath(value)
        if not value.strip() or pure.is_absolute() or ".." in pure.parts:
            raise ValueError(f"files: path {value!r} must be relative to the run folder and stay inside it "
                             "(for example conf/nginx.conf)")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> RenderedFile:
        if (self.content is None) == (self.template is None):
            raise ValueError(f"files: '{self.path}' needs exactly one of content and template")
        return self


def source_text(entry: RenderedFile, base_dir: Path) -> str:
    """The unrendered text of an entry; a missing template is a TargetError naming it."""
    if entry.content is not None:
        return entry.content
    template = (base_dir / str(entry.template)).resolve()
    try:
        return template.read_text(encoding="utf-8")
    except OSError as exc:
        raise TargetError(f"files: template for '{entry.path}' cannot be read: {template} ({exc})") from exc


def render_files(files: list[RenderedFile], placeholders: Placeholders, *, run_dir: Path,
                 base_dir: Path) -> list[Path]:
    """Write every entry into ``run_dir`` with its placeholders filled; the paths written."""
    written = []
    for entry in files:
        text = source_text(entry, base_dir)
        placeholders.allocate_ports(names_in(text, "port"))
        try:
            rendered = placeholders.expand(text)
        except TargetError as exc:
            raise TargetError(f"files: '{entry.path}': {exc}") from exc
        target = run_dir / entry.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(rendered, encoding="utf-8")
        if entry.executable:
            os.chmod(target, 0o755)
        written.append(target)
    return written
