"""Settings read from the environment once, at start-up, and validated.

A missing or invalid variable raises :class:`ConfigError` naming the variable; ``__main__``
turns it into a message and a non-zero exit. Every variable is documented in ``.env.example``.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from readiness_harness.system_under_test.defects import Defects, UnknownDefect

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
TIERS = ("free", "pro")

PositiveFloat = Annotated[float, Field(gt=0)]
PositiveInt = Annotated[int, Field(gt=0)]


class ConfigError(Exception):
    """The environment does not describe a valid configuration."""


class ApiKeyEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    tier: str
    secret: str  # sha256 hex digest of the key (plaintext only under the plaintext_keys defect)


class Settings(BaseModel):
    """Validated configuration; field aliases are the environment variable names."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    api_keys: tuple[ApiKeyEntry, ...] = Field(alias="API_KEYS")
    upstream_primary_url: str = Field(alias="UPSTREAM_PRIMARY_URL")
    upstream_fallback_url: str = Field(default="", alias="UPSTREAM_FALLBACK_URL")
    upstream_connect_timeout_s: PositiveFloat = Field(default=1.0, alias="UPSTREAM_CONNECT_TIMEOUT_S")
    upstream_read_timeout_s: PositiveFloat = Field(default=2.0, alias="UPSTREAM_READ_TIMEOUT_S")
    upstream_retries: Annotated[int, Field(ge=0, le=10)] = Field(default=2, alias="UPSTREAM_RETRIES")
    upstream_backoff_base_s: PositiveFloat = Field(default=0.05, alias="UPSTREAM_BACKOFF_BASE_S")
    upstream_backoff_max_s: PositiveFloat = Field(default=1.0, alias="UPSTREAM_BACKOFF_MAX_S")
    circuit_failure_threshold: PositiveInt = Field(default=5, alias="CIRCUIT_FAILURE_THRESHOLD")
    circuit_reset_timeout_s: PositiveFloat = Field(default=30.0, alias="CIRCUIT_RESET_TIMEOUT_S")
    data_dir: Path = Field(default=Path(tempfile.gettempdir()) / "wallet-api", alias="DATA_DIR")
    database_url: str = Field(default="", alias="DATABASE_URL")
    db_pool_size: PositiveInt = Field(default=5, alias="DB_POOL_SIZE")
    db_max_overflow: Annotated[int, Field(ge=0)] = Field(default=10, alias="DB_MAX_OVERFLOW")
    db_pool_timeout_s: PositiveFloat = Field(default=5.0, alias="DB_POOL_TIMEOUT_S")
    db_pool_recycle_s: PositiveInt = Field(default=1800, alias="DB_POOL_RECYCLE_S")
    # libpq counts whole seconds and treats anything below 2 as 2, so smaller values are refused.
    db_connect_timeout_s: Annotated[int, Field(ge=2)] = Field(default=3, alias="DB_CONNECT_TIMEOUT_S")
    db_statement_timeout_ms: PositiveInt = Field(default=5000, alias="DB_STATEMENT_TIMEOUT_MS")
    db_call_timeout_s: PositiveFloat = Field(default=6.0, alias="DB_CALL_TIMEOUT_S")
    db_busy_timeout_s: PositiveFloat = Field(default=5.0, alias="DB_BUSY_TIMEOUT_S")
    redis_url: str = Field(default="", alias="REDIS_URL")
    cache_ttl_s: PositiveFloat = Field(default=15.0, alias="CACHE_TTL_S")
    cache_max_entries: PositiveInt = Field(default=10_000, alias="CACHE_MAX_ENTRIES")
    rate_limit_free_rps: PositiveFloat = Field(default=5.0, alias="RATE_LIMIT_FREE_RPS")
    rate_limit_free_burst: PositiveInt = Field(default=10, alias="RATE_LIMIT_FREE_BURST")
    rate_limit_pro_rps: PositiveFloat = Field(default=50.0, alias="RATE_LIMIT_PRO_RPS")
    rate_limit_pro_burst: PositiveInt = Field(default=100, alias="RATE_LIMIT_PRO_BURST")
    rate_limit_ip_rps: PositiveFloat = Field(default=200.0, alias="RATE_LIMIT_IP_RPS")
    rate_limit_ip_burst: PositiveInt = Field(default=400, alias="RATE_LIMIT_IP_BURST")
    cors_allow_origins: tuple[str, ...] = Field(default=(), alias="CORS_ALLOW_ORIGINS")
    max_body_bytes: PositiveInt = Field(default=64 * 1024, alias="MAX_BODY_BYTES")
    shutdown_grace_s: PositiveFloat = Field(default=10.0, alias="SHUTDOWN_GRACE_S")
    job_workers: Annotated[int, Field(ge=1, le=32)] = Field(default=2, alias="JOB_WORKERS")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    defects: Defects = Field(default_factory=Defects, alias="SUT_DEFECTS")

    @field_validator("api_keys", mode="before")
    @classmethod
    def _parse_api_keys(cls, raw: object) -> object:
        if not isinstance(raw, str):
            return raw
        entries = []
        for item in filter(None, (part.strip() for part in raw.split(","))):
            tier, sep, secret = item.partition(":")
            if not sep or tier not in TIERS:
                raise ValueError(f"entries must be '<tier>:<sha256 hex>' with tier in {TIERS}")
            entries.append(ApiKeyEntry(tier=tier, secret=secret))
        if not entries:
            raise ValueError("at least one key is required")
        return tuple(entries)

    @field_validator("upstream_primary_url", "upstream_fallback_url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("database_url", "redis_url")
    @classmethod
    def _check_dsn(cls, value: str) -> str:
        if value and "://" not in value:
            raise ValueError("must be a URL (scheme://...)")
        return value

    @field_validator("cors_allow_origins", mode="before")
    @classmethod
    def _split_origins(cls, raw: object) -> object:
        if isinstance(raw, str):
            return tuple(origin.strip() for origin in raw.split(",") if origin.strip())
        return raw

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @field_validator("defects", mode="before")
    @classmethod
    def _parse_defects(cls, raw: object) -> object:
        if isinstance(raw, str | None):
            try:
                return Defects.parse(raw)
            except UnknownDefect as exc:
                raise ValueError(str(exc)) from exc
        return raw

    def check_key_hashes(self) -> None:
        """Keys are configured as sha256 digests unless the plaintext_keys defect is on."""
        if "plaintext_keys" in self.defects:
            return
        for entry in self.api_keys:
            if not _SHA256_HEX.fullmatch(entry.secret):
                raise ConfigError("API_KEYS: each key must be given as a lower-case sha256 hex digest")

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'wallet-api.db'}"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment, raising ConfigError that names the variable."""
    env = os.environ if environ is None else environ
    names = {field.alias for field in Settings.model_fields.values() if field.alias}
    values = {name: env[name] for name in names if name in env}
    if "no_config_validation" in str(values.get("SUT_DEFECTS", "")).split(","):
        return _lenient(values)
    try:
        settings = Settings.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            variable = str(error["loc"][0]) if error["loc"] else "?"
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "missing":
                message = "is required but not set"
            problems.append(f"{variable}: {message}")
        raise ConfigError("; ".join(problems)) from None
    settings.check_key_hashes()
    return settings


def _lenient(values: dict[str, str]) -> Settings:
    """The no_config_validation defect: drop what does not validate and carry on with defaults."""
    kept = dict(values)
    for _ in range(len(values) + 1):
        try:
            return Settings.model_validate({"API_KEYS": "free:" + "0" * 64, "UPSTREAM_PRIMARY_URL": "http://127.0.0.1:9",
                                            **kept})
        except ValidationError as exc:
            bad = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
            if not bad & kept.keys():
                raise ConfigError(str(exc)) from None
            for name in bad:
                kept.pop(name, None)
    raise ConfigError("configuration could not be read")
