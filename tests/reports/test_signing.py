"""A tamper-evident run: the manifest every audit writes, signatures over it, and ``harness verify``.

One real audit (``harness audit``, a static site started by the harness on loopback) makes the run;
each test works on its own copy of the run folder.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import stat
import textwrap
from pathlib import Path

import pytest

from readiness_harness.cli import main
from readiness_harness.manifest import MANIFEST_NAME, SECTIONLESS, TEST_RESULT_TYPE, report_digest
from readiness_harness.reports.signoff import split
from readiness_harness.signing import PAYLOAD_TYPE, load_private_key, pae
from tests.conftest import static_site


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("audited")
    www = base / "www"
    www.mkdir()
    (www / "health").write_text("ok\n", encoding="utf-8")
    static_site(base, www)
    (base / "checklist.yaml").write_text(textwrap.dedent("""\
        checklist: {id: signed, title: Signed run, target: target.yaml, attestations: attestations.yaml,
                    signoff: {roles: [SRE lead, Security reviewer]}}
        sections:
          - id: web
            title: Web
            items:
              - {id: health, title: Health answers, severity: critical, check: {type: http, path: /health,
                 expect: {status: 200}}}
              - {id: nosniff, title: nosniff header, severity: low, check: {type: http, path: /health,
                 expect: {headers: {X-Content-Type-Options: nosniff}}}}
        """), encoding="utf-8")
    (base / "attestations.yaml").write_text("signoffs:\n  - {role: SRE lead, signer: Ana Lima, date: 2025-01-03}\n",
                                            encoding="utf-8")
    assert main(["audit", str(base / "checklist.yaml"), "--out", str(base / "out"), "--quiet"]) == 0
    return (base / "out" / "latest").resolve()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("keys")
    assert main(["keygen", "--out", str(folder), "--name", "ana"]) == 0
    assert main(["keygen", "--out", str(folder), "--name", "eve"]) == 0
    return folder


@pytest.fixture
def run(audited: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(audited, tmp_path / audited.name))


def verify(run: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["verify", str(run), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def flip_byte(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def sign(run: Path, keys: Path, name: str = "ana", role: str = "SRE lead", signer: str = "Ana Lima") -> int:
    return main(["sign", str(run), "--key", str(keys / f"{name}.key"), "--role", role, "--name", signer])


def test_every_audit_writes_an_in_toto_test_result_statement_over_its_files(run: Path, audited: Path) -> None:
    statement = json.loads((run / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert statement["_type"] == "https://in-toto.io/Statement/v1" and statement["predicateType"] == TEST_RESULT_TYPE
    subject = {entry["name"]: entry["digest"] for entry in statement["subject"]}
    for name in ("results.json", "junit.xml", "summary.md", "results.sarif", "journal.jsonl", "logs/web.log"):
        assert subject[name] == {"sha256": hashlib.sha256((run / name).read_bytes()).hexdigest()}, name
    assert subject["index.html"] == {SECTIONLESS: report_digest(run / "index.html")}
    predicate = statement["predicate"]
    assert predicate["result"] == "WARNED"  # approved, but the low-severity header item failed
    lists = (predicate["passedTests"], predicate["warnedTests"], predicate["failedTests"])
    assert lists == (["health"], ["nosniff"], [])
    config = {entry["annotations"]["role"]: entry for entry in predicate["configuration"]}
    checklist = audited.parents[1] / "checklist.yaml"
    assert config["checklist"]["digest"]["sha256"] == hashlib.sha256(checklist.read_bytes()).hexdigest()
    assert config["target"]["name"].endswith("target.yaml") and set(config) == {"checklist", "target", "attestations"}


def test_a_fresh_run_verifies(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = verify(run, capsys)
    assert code == 0, output
    assert "roles without a verified signature: SRE lead, Security reviewer" in output  # the YAML name counts for none


@pytest.mark.parametrize("name", ["index.html", "results.json", "junit.xml", "logs/web.log"])
def test_one_changed_byte_fails_naming_the_file(run: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    flip_byte(run / name, 40)
    code, output = verify(run, capsys)
    assert code == 1 and f"FAILED {name}: changed" in output, output


def test_a_changed_signoff_section_fails_naming_the_report(run: Path, keys: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert sign(run, keys) == 0
    html = (run / "index.html").read_text(encoding="utf-8")
    (run / "index.html").write_text(html.replace("Ana Lima", "Ana Lina"), encoding="utf-8")
    code, output = verify(run, capsys)
    assert code == 1 and "FAILED index.html: its sign-off section does not show" in output, output


def test_missing_and_unlisted_files_fail(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (run / "junit.xml").unlink()
    (run / "logs" / "extra.log").write_text("added later\n", encoding="utf-8")
    code, output = verify(run, capsys)
    assert code == 1 and "FAILED junit.xml: missing" in output
    assert "FAILED logs/extra.log: not in the manifest" in output


def test_a_signed_run_verifies_and_its_report_shows_the_signature(run: Path, keys: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert sign(run, keys) == 0
    code, output = verify(run, capsys, "--key", str(keys / "ana.pub"))
    assert code == 0, output
    assert "SRE lead · Ana Lima" in output and "verified" in output
    _, section, _ = split((run / "index.html").read_text(encoding="utf-8"))
    fingerprint = hashlib.sha256(base64.b64decode(_signoff(run)["publicKey"])).hexdigest()
    assert "<td>SRE lead</td><td>Ana Lima</td>" in section and f"SHA256:{fingerprint[:16]}" in section
    assert "✔</span> verified" in section and _signoff(run)["signedAt"] in section
    assert "Roles without a verified signature: <strong>Security reviewer</strong>." in section
    assert "Named in the attestations file" in section  # a name in a YAML file is shown, and signs nothing
    assert verify(run, capsys, "--require-signoff")[0] == 1
    assert sign(run, keys, "eve", "Security reviewer", "Eve Sec") == 0
    both = ("--key", str(keys / "ana.pub"), "--key", str(keys / "eve.pub"))
    code, output = verify(run, capsys, "--require-signoff", *both)
    assert code == 0, output
    html = (run / "index.html").read_text(encoding="utf-8")
    assert "Every role the checklist names has a verified signature." in html


def test_a_signature_made_with_another_key_fails(run: Path, keys: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sign(run, keys, "eve") == 0
    signature = next((run / "signatures").iterdir()).name
    code, output = verify(run, capsys, "--key", str(keys / "ana.pub"))
    assert code == 1 and f"FAILED signatures/{signature}: signed with key" in output, output


def test_a_forged_envelope_fails(run: Path, keys: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Ana's public key in the payload, Eve's signature over it: the signature does not match."""
    assert sign(run, keys) == 0
    path = next((run / "signatures").iterdir())
    envelope = json.loads(path.read_text(encoding="utf-8"))
    payload = base64.b64decode(envelope["payload"])
    forged = load_private_key(keys / "eve.key").sign(pae(PAYLOAD_TYPE, payload))
    envelope["signatures"][0]["sig"] = base64.b64encode(forged).decode()
    path.write_text(json.dumps(envelope), encoding="utf-8")
    code, output = verify(run, capsys)
    assert code == 1 and f"FAILED signatures/{path.name}: the signature does not match" in output, output


def test_a_signed_role_cannot_be_edited(run: Path, keys: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sign(run, keys) == 0
    path = next((run / "signatures").iterdir())
    envelope = json.loads(path.read_text(encoding="utf-8"))
    payload = json.loads(base64.b64decode(envelope["payload"]))
    payload["predicate"]["signoff"]["role"] = "Security reviewer"
    envelope["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    path.write_text(json.dumps(envelope), encoding="utf-8")
    assert verify(run, capsys)[0] == 1


def test_a_removed_signature_is_noticed_by_the_report(run: Path, keys: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert sign(run, keys) == 0
    shutil.rmtree(run / "signatures")
    code, output = verify(run, capsys)
    assert code == 1 and "FAILED index.html: its sign-off section" in output
    assert main(["report", str(run)]) == 0
    assert verify(run, capsys)[0] == 0


def test_signing_refuses_a_changed_run(run: Path, keys: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flip_byte(run / "results.json", 10)
    assert sign(run, keys) == 2
    assert "results.json: changed" in capsys.readouterr().err
    assert not (run / "signatures").exists()


def test_keygen_keeps_the_private_key_private_and_never_overwrites(keys: Path) -> None:
    assert stat.S_IMODE((keys / "ana.key").stat().st_mode) == 0o600
    assert (keys / "ana.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert main(["keygen", "--out", str(keys), "--name", "ana"]) == 2


def test_pae_matches_the_dsse_specification() -> None:
    assert pae("http://example.com/HelloWorld", b"hello world") == \
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"


def _signoff(run: Path) -> dict[str, str]:
    envelope = json.loads(next((run / "signatures").iterdir()).read_text(encoding="utf-8"))
    return json.loads(base64.b64decode(envelope["payload"]))["predicate"]["signoff"]
