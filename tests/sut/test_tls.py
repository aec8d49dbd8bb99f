"""HTTPS: the throwaway CA and certificate, the server's protocol floor, and the weak_tls defect."""

from __future__ import annotations

import datetime as dt
import ssl
import stat
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from readiness_harness.system_under_test.tls import CERT_DAYS, SERVER_NAMES, WEAK_CERT_HOURS, harden, prepare
from tests.sut.conftest import ApiFactory
from tests.sut.probes_ops import handshake, served_certificate


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _lifetime(cert: x509.Certificate) -> dt.timedelta:
    return cert.not_valid_after_utc - cert.not_valid_before_utc


def test_certificate_is_issued_by_the_ca_for_loopback_names(tmp_path: Path) -> None:
    files = prepare(tmp_path / "tls", weak=False)
    ca, cert = _load(files.ca), _load(files.cert)
    cert.verify_directly_issued_by(ca)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(n) for n in names.get_values_for_type(x509.DNSName)} == {"localhost"}
    assert {str(n) for n in names.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    assert set(SERVER_NAMES) == {"localhost", "127.0.0.1", "::1"}
    assert dt.timedelta(days=CERT_DAYS) <= _lifetime(cert) <= dt.timedelta(days=CERT_DAYS, minutes=10)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for private in (files.key, files.ca.with_name("ca-key.pem")):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600


def test_the_ca_is_kept_and_the_certificate_renewed_at_each_start(tmp_path: Path) -> None:
    first = prepare(tmp_path, weak=False)
    ca_bytes, first_cert = first.ca.read_bytes(), _load(first.cert)
    again = prepare(tmp_path, weak=True)
    assert again.ca.read_bytes() == ca_bytes  # clients that trust ca.pem keep trusting the service
    weak = _load(again.cert)
    assert weak.serial_number != first_cert.serial_number
    weak.verify_directly_issued_by(_load(again.ca))
    assert _lifetime(weak) <= dt.timedelta(hours=WEAK_CERT_HOURS, minutes=10)


def test_server_context_floor_is_tls_1_2_unless_weak(tmp_path: Path) -> None:
    files = prepare(tmp_path, weak=False)
    strong = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    strong.load_cert_chain(files.cert, files.key)
    harden(strong, weak=False)
    assert strong.minimum_version is ssl.TLSVersion.TLSv1_2
    assert all(c["protocol"] in ("TLSv1.2", "TLSv1.3") for c in strong.get_ciphers())
    weak = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    harden(weak, weak=True)
    assert weak.minimum_version is ssl.TLSVersion.TLSv1


def test_https_service_verifies_for_loopback_names_and_refuses_old_protocols(api_factory: ApiFactory) -> None:
    api = api_factory.start(tls=True)
    assert api.tls_dir is not None
    for host in ("127.0.0.1", "localhost"):
        with httpx.Client(verify=api.verify, timeout=5) as client:
            response = client.get(f"https://{host}:{api.port}/health")
        assert response.status_code == 200 and response.headers["Strict-Transport-Security"]
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{api.port}/health", timeout=5)  # no plain HTTP on the TLS port
    assert handshake(api.port, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    assert handshake(api.port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    assert handshake(api.port, ssl.TLSVersion.TLSv1_1) is None
    assert handshake(api.port, ssl.TLSVersion.TLSv1) is None
    ca = (api.tls_dir / "ca.pem").read_bytes()
    api.restart()
    assert (api.tls_dir / "ca.pem").read_bytes() == ca
    with api.client() as client:
        assert client.get("/health").status_code == 200


def test_weak_tls_expires_soon_and_accepts_tls_1_0_and_1_1(api_factory: ApiFactory) -> None:
    api = api_factory.start(defects=("weak_tls",), tls=True)
    with api.client() as client:  # still verifiable: same CA, same names
        assert client.get("/health").status_code == 200
    left = served_certificate(api.port).not_valid_after_utc - dt.datetime.now(dt.UTC)
    assert dt.timedelta(hours=WEAK_CERT_HOURS - 1) < left <= dt.timedelta(hours=WEAK_CERT_HOURS)
    assert handshake(api.port, ssl.TLSVersion.TLSv1) == "TLSv1"
    assert handshake(api.port, ssl.TLSVersion.TLSv1_1) == "TLSv1.1"
    assert handshake(api.port, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
