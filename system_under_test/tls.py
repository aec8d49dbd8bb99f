"""HTTPS for the reference service: a throwaway CA, a server certificate, and the server's TLS settings.

``--tls-dir DIR`` makes the service serve HTTPS with files it keeps in DIR:

* ``ca.pem`` and ``ca-key.pem``: a throwaway certificate authority (EC P-256, valid one year),
  created when absent and kept otherwise, so that a client trusting ``ca.pem`` keeps trusting
  the service across restarts. Clients verify the server with ``ca.pem``.
* ``cert.pem`` and ``key.pem``: the server's certificate and key, issued by that CA at every
  start, before the server listens. Subject alternative names: ``localhost``, ``127.0.0.1`` and
  ``::1``. Valid ``CERT_DAYS`` days.

The server accepts TLS 1.2 and 1.3 only, with forward-secret AEAD cipher suites on TLS 1.2.

Under the ``weak_tls`` defect the certificate (same CA, same names, so clients still connect
and verify it) is valid for ``WEAK_CERT_HOURS`` only, and the server accepts TLS 1.0 and 1.1 at
OpenSSL security level 0. A client offers those versions only if it lowers its own security
level too (OpenSSL 3 refuses them at level 1 and above); Python's ``ssl`` can do so.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 365
CERT_DAYS = 90
WEAK_CERT_HOURS = 48
SERVER_NAMES = ("localhost", "127.0.0.1", "::1")
CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"
WEAK_CIPHERS = "DEFAULT:@SECLEVEL=0"
BACKDATE = dt.timedelta(minutes=5)  # tolerate clocks slightly behind ours


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    cert: Path
    key: Path


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write atomically: a reader never sees half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    if private:
        partial.chmod(0o600)
    os.replace(partial, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wallet-api throwaway"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def ensure_ca(tls_dir: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """The CA in ``tls_dir``, created when ``ca.pem`` or ``ca-key.pem`` is missing."""
    cert_path, key_path = tls_dir / "ca.pem", tls_dir / "ca-key.pem"
    if cert_path.is_file() and key_path.is_file():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if isinstance(key, ec.EllipticCurvePrivateKey):
            return x509.load_pem_x509_certificate(cert_path.read_bytes()), key
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("wallet-api test CA")).issuer_name(_name("wallet-api test CA"))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write(key_path, _key_pem(key), private=True)
    _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def _san() -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for name in SERVER_NAMES:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            names.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(names)


def issue_server_certificate(tls_dir: Path, *, valid_for: dt.timedelta) -> TlsFiles:
    """A fresh key and certificate for the server, signed by the CA in ``tls_dir``."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = ensure_ca(tls_dir)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("localhost")).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE).not_valid_after(now + valid_for)
            .add_extension(_san(), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = TlsFiles(ca=tls_dir / "ca.pem", cert=tls_dir / "cert.pem", key=tls_dir / "key.pem")
    _write(files.key, _key_pem(key), private=True)
    _write(files.cert, cert.public_bytes(serialization.Encoding.PEM))
    return files


def prepare(tls_dir: Path, *, weak: bool) -> TlsFiles:
    """The files the server needs, the certificate issued for this start (short-lived when ``weak``)."""
    valid_for = dt.timedelta(hours=WEAK_CERT_HOURS) if weak else dt.timedelta(days=CERT_DAYS)
    return issue_server_certificate(tls_dir, valid_for=valid_for)


def harden(context: ssl.SSLContext, *, weak: bool) -> None:
    """TLS 1.2+ with AEAD suites; under ``weak_tls``, TLS 1.0+ at security level 0."""
    context.options |= ssl.OP_NO_COMPRESSION
    if not weak:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(CIPHERS)
        return
    context.set_ciphers(WEAK_CIPHERS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the defect is the point
        context.minimum_version = ssl.TLSVersion.TLSv1
