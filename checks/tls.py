"""The ``tls`` check type: the certificate a service presents, the name it is valid for, how long it
stays valid, and the oldest protocol version the server still accepts.

The handshake verifies the chain against ``ca_file`` (the system's CAs when it is not given) and
the name against ``server_name``. Older protocol versions are offered one at a time, each by a client
that allows nothing else (at OpenSSL security level 0, which TLS 1.0 and 1.1 need); a server that
completes such a handshake accepts that version. When this machine's OpenSSL cannot offer a version
at all, that part is ``inconclusive``, never a pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ssl
import warnings
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from readiness_harness.contract.context import CheckContext
from readiness_harness.contract.evidence import Observation, Table
from readiness_harness.contract.registry import Registry
from readiness_harness.contract.result import Result
from readiness_harness.contract.status import Status

Version = Literal["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
VERSIONS: dict[str, ssl.TLSVersion] = {"TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1,
                                       "TLSv1.2": ssl.TLSVersion.TLSv1_2, "TLSv1.3": ssl.TLSVersion.TLSv1_3}


class TlsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(description="https://HOST:PORT of the service (placeholders allowed)")
    ca_file: str | None = Field(default=None, description="CA certificate to verify the chain with "
                                "(placeholders allowed); default: the system's CAs")
    server_name: str | None = Field(default=None, description="the name the certificate must be valid for "
                                    "(default: the URL's host)")
    min_days_left: float = Field(default=30, ge=0, le=3650, description="the certificate must stay valid at "
                                 "least this many days")
    min_version: Version = Field(default="TLSv1.2", description="older versions must be refused")
    timeout_s: float = Field(default=5.0, gt=0, le=60, description="per handshake")


async def run_tls(params: TlsParams, ctx: CheckContext) -> Result:
    """Check a TLS endpoint: chain and name verify, the certificate lasts long enough, old versions are refused."""
    host, port = _address(str(ctx.expand(params.url)))
    name = params.server_name or host
    ca_file = str(ctx.resolve(str(ctx.expand(params.ca_file)))) if params.ca_file else None
    try:
        version, cert = await _handshake(host, port, _verifying(ca_file), name, params.timeout_s)
    except (ssl.SSLError, ssl.CertificateError) as exc:
        return Result.failed(f"the handshake with {host}:{port} as {name!r} failed: {exc}",
                             Observation(label="chain and name", observed=str(exc), expected="verified", ok=False))
    except (OSError, TimeoutError) as exc:
        return Result.error(f"cannot reach {host}:{port}: {type(exc).__name__}: {exc}")
    left = _days_left(cert)
    observations = [
        Observation(label="chain and name", observed=f"verified for {name}", expected="verified", ok=True),
        Observation(label="days of validity left", observed=round(left, 1), expected=f">= {params.min_days_left:g}",
                    ok=left >= params.min_days_left),
        Observation(label="negotiated version", observed=version, expected=f">= {params.min_version}",
                    ok=VERSIONS[version] >= VERSIONS[params.min_version]),
    ]
    untestable: list[str] = []
    for old in [v for v, n in VERSIONS.items() if n < VERSIONS[params.min_version]]:
        accepted = await _accepts(host, port, old, name, params.timeout_s)
        if accepted is None:
            untestable.append(old)
            continue
        observations.append(Observation(label=f"{old} refused", observed="accepted" if accepted else "refused",
                                        expected="refused", ok=not accepted))
    table = Table(title="Certificate", columns=["field", "value"], rows=_rows(cert))
    result = Result.from_observations(observations, table, ok_message=f"{name}: verified, {left:.0f} days left, "
                                      f"{version}; older than {params.min_version} refused", days_left=round(left, 1))
    if untestable and result.status == Status.PASSED:
        result.status = Status.INCONCLUSIVE
        result.message = (f"{', '.join(untestable)} could not be offered by this machine's OpenSSL, so whether "
                          f"the server refuses them is not known; the rest held")
    return result


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url if "//" in url else f"https://{url}")
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    return parts.hostname, parts.port or 443


def _verifying(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def _handshake(host: str, port: int, context: ssl.SSLContext, name: str, timeout_s: float) -> tuple[str, dict]:
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=context, server_hostname=name), timeout_s)
    try:
        tls = writer.get_extra_info("ssl_object")
        return str(tls.version()), tls.getpeercert() or {}
    finally:
        writer.close()
        await _closed(writer)


async def _accepts(host: str, port: int, version: str, name: str, timeout_s: float) -> bool | None:
    """True when the server completes a handshake that allows only ``version``; None when this
    machine cannot offer it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # only the version is in question here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # offering an old version is the point
        try:
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            context.minimum_version = context.maximum_version = VERSIONS[version]
        except (ValueError, ssl.SSLError):
            return None
    try:
        await _handshake(host, port, context, name, timeout_s)
    except ssl.SSLError as exc:
        return None if "NO_CIPHERS_AVAILABLE" in str(exc) or "NO_PROTOCOLS_AVAILABLE" in str(exc) else False
    except (OSError, TimeoutError):
        return False
    return True


async def _closed(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
        await asyncio.wait_for(writer.wait_closed(), 2)


def _days_left(cert: dict) -> float:
    expires = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), dt.UTC)
    return (expires - dt.datetime.now(dt.UTC)).total_seconds() / 86400


def _rows(cert: dict) -> list[list[str]]:
    subject = ", ".join(f"{k}={v}" for rdn in cert.get("subject", ()) for k, v in rdn)
    issuer = ", ".join(f"{k}={v}" for rdn in cert.get("issuer", ()) for k, v in rdn)
    names = ", ".join(value for _, value in cert.get("subjectAltName", ()))
    return [["subject", subject], ["issuer", issuer], ["names", names], ["valid from", cert.get("notBefore", "")],
            ["valid until", cert.get("notAfter", "")]]


EXAMPLE = """\
type: tls
url: "https://127.0.0.1:{port.api_tls}"
ca_file: "{run_dir}/api-tls/tls/ca.pem"
min_days_left: 30
min_version: TLSv1.2
"""


def register(registry: Registry) -> None:
    registry.register("tls", TlsParams, example=EXAMPLE)(run_tls)
