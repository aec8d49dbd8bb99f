"""Redaction of secrets and truncation of bodies before anything reaches a report.

What is redacted, everywhere the harness writes (evidence, messages, the target's logs, the files
Locust and schemathesis leave in the run folder):

- every value the harness made for ``{secret.NAME}``;
- ``{env.NAME}`` values that were used by a placeholder (:func:`env_value_is_secret`): when
  ``NAME`` looks like a secret's (KEY, TOKEN, SECRET, PASSWORD, ...), values of at least
  ``MIN_LENGTH`` characters; otherwise values of at least ``ENV_MIN_LENGTH`` characters that are
  not a URL, a file path or a number (a base URL or a folder would shred every report; a URL's
  password is still taken). Shorter values ("1", "true", "8080") are left alone: replacing them
  everywhere would shred every report and protect nothing;
- passwords in URLs the harness hands out or reads (``{dep.NAME.url}``, any ``user:password@``);
- the password of any ``scheme://user:password@`` URL in any text, known or not;
- headers that carry credentials by their name (``Authorization``, ``X-API-Key``, cookies...).

Each value is also looked for as it appears URL-encoded, HTML-escaped and JSON-escaped.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus, unquote

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie",
                            "set-cookie", "x-auth-token"})
REDACTED = "[REDACTED]"
BODY_LIMIT = 4000
MIN_LENGTH = 4
ENV_MIN_LENGTH = 8
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSW|PWD|CREDENTIAL|AUTH|PRIVATE|COOKIE|SESSION|DSN|SIGNATURE",
                         re.IGNORECASE)
_BOOLEAN_WORDS = frozenset({"true", "false", "none", "null"})
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://\S*|[/~.]\S*|[-+]?[0-9][0-9_.,:eE+-]*")  # URL, path, number
CREDENTIAL_URL = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@\"'<>]*:)(?P<password>[^\s/?#@\"'<>]+)@")
_CREDENTIAL_BYTES = re.compile(CREDENTIAL_URL.pattern.encode())


def env_value_is_secret(name: str, value: str) -> bool:
    """The rule for ``{env.NAME}``: any value of 4+ characters but a boolean word when the name looks
    secret; otherwise values of 8+ characters that are not a URL, a file path or a number."""
    if SECRET_NAME.search(name):
        return len(value) >= MIN_LENGTH and value.lower() not in _BOOLEAN_WORDS
    return len(value) >= ENV_MIN_LENGTH and not _PLAIN.fullmatch(value.strip())


def url_passwords(text: str) -> set[str]:
    """The passwords of every ``scheme://user:password@`` URL in ``text``, as written and decoded."""
    found = set()
    for match in CREDENTIAL_URL.finditer(text):
        password = match.group("password")
        found |= {password, unquote(password)}
    return found


def forms(value: str) -> set[str]:
    """How ``value`` can appear in a file: as is, URL-encoded, HTML-escaped, JSON-escaped."""
    escaped = json.dumps(value)[1:-1]
    found = {value, quote(value, safe=""), quote(value), quote_plus(value), html.escape(value), escaped,
             escaped.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e").replace("'", "\\u0027")}
    return {form for form in found if len(form) >= MIN_LENGTH}


class Redactor:
    """Replaces secret values (in every form) and URL passwords in text and bytes."""

    def __init__(self, secrets: Iterable[str]) -> None:
        secrets = set(secrets)
        parts = {part.strip(): secret for secret in secrets if "\n" in secret
                 for part in secret.splitlines()}  # a multi-line secret is looked for line by line too
        originals = {**{p: s for p, s in parts.items() if len(p) >= ENV_MIN_LENGTH}, **{s: s for s in secrets}}
        found = {form: original for value, original in originals.items() if len(value) >= MIN_LENGTH
                 for form in forms(value)}
        ordered = sorted(found, key=len, reverse=True)
        self._text = ordered
        self._bytes = [(form.encode("utf-8", "surrogatepass"), found[form]) for form in ordered]
        self.longest = max((len(form) for form, _ in self._bytes), default=0)

    def text(self, text: str) -> str:
        for secret in self._text:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return CREDENTIAL_URL.sub(rf"\g<head>{REDACTED}@", text) if "://" in text else text

    def bytes(self, data: bytes, hits: set[str] | None = None) -> bytes:
        """``data`` redacted; the secrets found are added to ``hits`` (as the values given)."""
        for form, secret in self._bytes:
            if form in data:
                data = data.replace(form, REDACTED.encode())
                if hits is not None:
                    hits.add(secret)
        return _CREDENTIAL_BYTES.sub(rb"\g<head>" + REDACTED.encode() + b"@", data) if b"://" in data else data

    def value(self, value: Any) -> Any:
        """Every string in ``value`` (nested in lists, tuples and dicts too) redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(v) for v in value)
        return value


@lru_cache(maxsize=64)
def redactor(secrets: frozenset[str]) -> Redactor:
    return Redactor(secrets)


def redact_text(text: str, secrets: Iterable[str]) -> str:
    return redactor(frozenset(secrets)).text(text)


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str]) -> dict[str, str]:
    values = redactor(frozenset(secrets))
    return {
        name: REDACTED if name.lower() in SECRET_HEADERS else values.text(value)
        for name, value in headers.items()
    }


def cut(text: str | None, limit: int = BODY_LIMIT) -> str:
    """The text, or its first ``limit`` characters with a note of how many more were cut."""
    if not text:
        return ""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n… [{len(text) - limit} more characters cut]"
