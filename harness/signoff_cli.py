"""``harness keygen``, ``harness sign``, ``harness verify`` and ``harness report``: the sign-off commands.

``verify`` exits 0 when every file matches the manifest and every signature verifies, 1 naming each
file or signature that does not, 2 on a usage error (no such run folder or key file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from readiness_harness.approvals import read_record, refresh_report, sign_run, verify_run
from readiness_harness.manifest import ManifestError
from readiness_harness.signing import SigningError, fingerprint, generate_keys, load_public_key

COMMANDS = ("keygen", "sign", "verify", "report")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keygen = sub.add_parser("keygen", help="make an Ed25519 key pair for signing runs (NAME.key 0600, NAME.pub)")
    keygen.add_argument("--out", type=Path, required=True, help="folder for the two PEM files")
    keygen.add_argument("--name", default="harness", help="file name stem (default harness)")
    sign = sub.add_parser("sign", help="sign a finished run as a reviewer (a DSSE envelope under RUN_DIR/signatures)")
    sign.add_argument("run_dir", type=Path)
    sign.add_argument("--key", type=Path, required=True, help="the signer's private key (PEM, from harness keygen)")
    sign.add_argument("--role", required=True, help="the sign-off role, as the checklist's signoff.roles names it")
    sign.add_argument("--name", required=True, help="the signer's name")
    verify = sub.add_parser("verify", help="check a run's files against its manifest and every signature")
    verify.add_argument("run_dir", type=Path)
    verify.add_argument("--key", type=Path, action="append", default=[],
                        help="a public key to accept (repeatable); when given, a signature by any other key fails")
    verify.add_argument("--require-signoff", action="store_true",
                        help="also fail when a role the checklist names has no verified signature")
    report = sub.add_parser("report", help="re-render the sign-off section of a run's index.html from its signatures")
    report.add_argument("run_dir", type=Path)


def run_command(args: argparse.Namespace) -> int:
    if args.command == "keygen":
        return _keygen(args)
    if not args.run_dir.is_dir():
        print(f"harness: {args.run_dir}: no such run folder", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "sign":
            return _sign(args)
        if args.command == "verify":
            return _verify(args)
        print(f"{refresh_report(args.run_dir)}: sign-off section re-rendered")
        return EXIT_OK
    except SigningError as exc:
        print(f"harness: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ManifestError as exc:
        print(f"harness: {args.run_dir}: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _keygen(args: argparse.Namespace) -> int:
    try:
        private, public = generate_keys(args.out, args.name)
    except (SigningError, OSError) as exc:
        print(f"harness: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"private key: {private} (keep it secret; mode 0600)\npublic key:  {public} (give it to verifiers)\n"
          f"fingerprint: SHA256:{fingerprint(load_public_key(public))}")
    return EXIT_OK


def _sign(args: argparse.Namespace) -> int:
    path, approval = sign_run(args.run_dir, args.key, role=args.role, name=args.name)
    roles = _roles(args.run_dir)
    print(f"{path}: signed as {approval.role} by {approval.name} with key {approval.short_fingerprint}")
    if roles and approval.role.strip().lower() not in {r.strip().lower() for r in roles}:
        print(f"note: the checklist names the roles {', '.join(roles)}; '{approval.role}' is not one of them")
    return EXIT_OK


def _roles(run_dir: Path) -> list[str]:
    try:
        return list(read_record(run_dir).checklist.signoff_roles)
    except ManifestError:
        return []


def _verify(args: argparse.Namespace) -> int:
    trusted = {fingerprint(load_public_key(path)) for path in args.key} if args.key else None
    result = verify_run(args.run_dir, trusted=trusted)
    for a in result.approvals:
        state = "verified" if a.verified else f"NOT VERIFIED: {a.problem}"
        print(f"signature {a.file}: {a.role} · {a.name} · {a.short_fingerprint} · {a.signed_at} · {state}")
    if trusted is None and result.approvals:
        print("note: no --key given, so any valid key was accepted; compare the fingerprints with the signers' keys")
    if result.missing_roles:
        print("roles without a verified signature: " + ", ".join(result.missing_roles))
    problems = list(result.problems)
    if args.require_signoff and result.missing_roles:
        problems.append("sign-off incomplete: " + ", ".join(result.missing_roles))
    if problems:
        for problem in problems:
            print(f"FAILED {problem}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{args.run_dir}: every file matches the manifest; {len(result.approvals)} signature(s) verified")
    return EXIT_OK
