"""What a target file says about a dependency, and what the harness knows once it runs.

A ``DependencySpec`` is written by the user (``dependencies:`` in the target file). A
``RunningDependency`` is what a provider hands back: the address the server answers on
(direct, never shown to the service when a fault proxy sits in front) and a way to stop it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from readiness_harness.contract.checklist import ID_PATTERN

Kind = Literal["postgresql", "redis"]
Provider = Literal["local", "container", "external"]
PROVIDERS: tuple[Provider, ...] = ("local", "container", "external")
SCHEMES: dict[str, tuple[str, ...]] = {"postgresql": ("postgresql", "postgres"), "redis": ("redis", "rediss")}


class DependencySpec(BaseModel):
    """One server the service needs: ``{dep.NAME.url}`` points at the fault proxy in front of it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=ID_PATTERN)
    kind: Kind
    provider: Provider = "local"
    url: str | None = None
    database: str = Field(default="app", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    image: str | None = None
    proxy: bool = True
    start_timeout_s: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _url_fits(self) -> DependencySpec:
        if self.provider == "external" and not self.url:
            raise ValueError(f"dependency '{self.name}': provider 'external' needs `url:` (where the server is)")
        if self.url and "{" not in self.url:
            check_scheme(self.kind, self.url)
        return self


def check_scheme(kind: str, url: str) -> None:
    scheme = urlsplit(url).scheme
    if scheme not in SCHEMES[kind]:
        allowed = " or ".join(f"{s}://" for s in SCHEMES[kind])
        raise ValueError(f"a {kind} url must start with {allowed}, got {url!r}")


@dataclass
class RunningDependency:
    """A dependency in use: where it answers and how to stop what the provider started."""

    name: str
    kind: Kind
    provider: Provider
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    database: str | None = None
    version: str = ""
    details: dict[str, str] = field(default_factory=dict)
    source_url: str | None = None
    pid: int | None = None  # the server process, when the provider started one on this machine
    _stop: Callable[[], None] | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def url(self, host: str | None = None, port: int | None = None) -> str:
        """The connection URL, optionally at another address (the fault proxy's)."""
        if self.source_url is not None:
            return replace_address(self.source_url, host or self.host, port or self.port)
        return build_url(self.kind, host or self.host, port or self.port, username=self.username,
                         password=self.password, database=self.database)

    def stop(self) -> None:
        """Stop and delete what the provider started. Idempotent."""
        stop, self._stop = self._stop, None
        if stop is not None:
            stop()


def build_url(kind: str, host: str, port: int, *, username: str | None, password: str | None,
              database: str | None) -> str:
    credentials = ""
    if username or password:
        credentials = quote(username or "", safe="")
        credentials += f":{quote(password, safe='')}" if password else ""
        credentials += "@"
    netloc = f"{credentials}[{host}]:{port}" if ":" in host else f"{credentials}{host}:{port}"
    if kind == "postgresql":
        return f"postgresql://{netloc}/{database or 'postgres'}"
    return f"redis://{netloc}/{database or '0'}"


def replace_address(url: str, host: str, port: int) -> str:
    """``url`` with its host and port replaced, credentials, path and query kept."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    hostport = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    netloc = f"{userinfo}@{hostport}" if userinfo else hostport
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
