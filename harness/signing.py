"""Signed approvals over a run's manifest: Ed25519 keys and DSSE envelopes (``cryptography``).

A signature file (``signatures/<role>-<name>-<key>.dsse.json``) is a DSSE envelope whose payload
(``application/vnd.in-toto+json``) is the run's Statement, the manifest, with one field added to its
predicate: ``signoff`` = the signer's role, name, time and public key. The signature is Ed25519 over
DSSE's pre-authentication encoding of that payload, so role, name and time are signed with the
evidence; and the envelope is an in-toto attestation any in-toto tool can read (consumers ignore
the extra predicate field). A signature verifies when it checks against the key in its payload,
the ``keyid`` is that key's fingerprint, and the payload without ``signoff`` is the manifest as it
is now. Which keys to trust is the verifier's choice (``harness verify --key``); a fingerprint is
the SHA-256 of the raw 32-byte public key.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from readiness_harness.manifest import SIGNATURES_DIR
from readiness_harness.reports.view import Approval

PAYLOAD_TYPE = "application/vnd.in-toto+json"
SIGNOFF_FIELD = "signoff"
SUFFIX = ".dsse.json"


class SigningError(Exception):
    """A key cannot be read or written, or a run cannot be signed; the message says which and why."""


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: ``DSSEv1 SP LEN(type) SP type SP LEN(body) SP body``."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(kind), kind, len(payload), payload)


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, lowercase hex."""
    return hashlib.sha256(raw_public(key)).hexdigest()


def generate_keys(out_dir: Path, name: str = "harness") -> tuple[Path, Path]:
    """A new Ed25519 key pair as PEM files ``NAME.key`` (mode 0600) and ``NAME.pub``; never overwrites."""
    out_dir.mkdir(parents=True, exist_ok=True)
    private, public = out_dir / f"{name}.key", out_dir / f"{name}.pub"
    for path in (private, public):
        if path.exists():
            raise SigningError(f"{path}: already exists; choose another --out or --name")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    descriptor = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    os.chmod(private, 0o600)  # whatever the umask
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as exc:
        raise SigningError(f"{path}: no such key file") from exc
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SigningError(f"{path}: not an unencrypted PEM private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path}: not an Ed25519 key (harness keygen makes one)")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except FileNotFoundError as exc:
        raise SigningError(f"{path}: no such key file") from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SigningError(f"{path}: not a PEM public key ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SigningError(f"{path}: not an Ed25519 public key")
    return key


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "x"


def signed_payload(statement: dict[str, Any], *, role: str, name: str, key: Ed25519PublicKey,
                   signed_at: dt.datetime) -> bytes:
    """The Statement with the signer's ``signoff`` in its predicate, as compact JSON bytes."""
    signoff = {"role": role, "name": name, "signedAt": signed_at.isoformat(timespec="seconds"),
               "publicKey": base64.b64encode(raw_public(key)).decode("ascii")}
    payload = {**statement, "predicate": {**statement["predicate"], SIGNOFF_FIELD: signoff}}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def write_signature(run_dir: Path, statement: dict[str, Any], key: Ed25519PrivateKey, *, role: str, name: str,
                    signed_at: dt.datetime | None = None) -> Path:
    """Sign the Statement as ROLE/NAME; the same role, name and key signing again replace their file."""
    if not role.strip() or not name.strip():
        raise SigningError("a signature needs a role and a name")
    public = key.public_key()
    when = (signed_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    payload = signed_payload(statement, role=role.strip(), name=name.strip(), key=public, signed_at=when)
    envelope = {"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode("ascii"),
                "signatures": [{"keyid": fingerprint(public),
                                "sig": base64.b64encode(key.sign(pae(PAYLOAD_TYPE, payload))).decode("ascii")}]}
    folder = run_dir / SIGNATURES_DIR
    folder.mkdir(exist_ok=True)
    path = folder / f"{_slug(role)}-{_slug(name)}-{fingerprint(public)[:8]}{SUFFIX}"
    path.write_text(json.dumps(envelope, indent=2) + "\n", encoding="utf-8")
    return path


def signature_files(run_dir: Path) -> list[Path]:
    """Every file under ``signatures/``: anything there that is not a valid envelope fails verification."""
    folder = run_dir / SIGNATURES_DIR
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def check_signature(path: Path, statement: dict[str, Any], *, trusted: set[str] | None = None) -> Approval:
    """One signature file read and checked; ``trusted`` (fingerprints) is None to accept any valid key."""
    label = path.name
    try:
        payload, signatures = _open_envelope(path)
        document = json.loads(payload)
        signoff = document["predicate"][SIGNOFF_FIELD]
        role, name, when = str(signoff["role"]), str(signoff["name"]), str(signoff["signedAt"])
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(signoff["publicKey"], validate=True))
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as exc:
        return Approval(label, "?", "?", "", "", False, f"not a readable signature envelope ({_why(exc)})")
    found = fingerprint(key)
    unsigned = {**document, "predicate": {k: v for k, v in document["predicate"].items() if k != SIGNOFF_FIELD}}
    problem = _first_problem(signatures, key, found, payload, unsigned == statement, trusted)
    return Approval(label, role, name, found, when, problem is None, problem or "")


def _first_problem(signatures: list[dict[str, Any]], key: Ed25519PublicKey, found: str, payload: bytes,
                   same_statement: bool, trusted: set[str] | None) -> str | None:
    message = pae(PAYLOAD_TYPE, payload)
    for entry in signatures:
        if entry.get("keyid") not in (None, "", found):
            return "its keyid is not the fingerprint of the key it carries"
        try:
            key.verify(base64.b64decode(entry["sig"], validate=True), message)
        except (InvalidSignature, KeyError, TypeError, ValueError, binascii.Error):
            return "the signature does not match its payload and key (made with another key, or changed)"
    if not same_statement:
        return "it signs a different manifest (the run's files or results changed after signing)"
    if trusted is not None and found not in trusted:
        return f"signed with key SHA256:{found[:16]}, which is not one of the keys given to check against"
    return None


def _open_envelope(path: Path) -> tuple[bytes, list[dict[str, Any]]]:
    envelope = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(envelope, dict) or envelope.get("payloadType") != PAYLOAD_TYPE:
        raise ValueError(f"payloadType is not {PAYLOAD_TYPE}")
    signatures = envelope.get("signatures")
    if not isinstance(signatures, list) or not signatures or not all(isinstance(s, dict) for s in signatures):
        raise ValueError("no signatures")
    return base64.b64decode(envelope["payload"], validate=True), signatures


def _why(exc: Exception) -> str:
    return "invalid JSON" if isinstance(exc, json.JSONDecodeError) else f"{type(exc).__name__}: {exc}"[:120]
