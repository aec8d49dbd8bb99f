"""Redaction of secrets and truncation of bodies before anything reaches a report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie",
                            "set-cookie", "x-auth-token"})
REDACTED = "[REDACTED]"
BODY_LIMIT = 4000


def redact_text(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str]) -> dict[str, str]:
    values = list(secrets)
    return {
        name: REDACTED if name.lower() in SECRET_HEADERS else redact_text(value, values)
        for name, value in headers.items()
    }


def cut(text: str | None, limit: int = BODY_LIMIT) -> str:
    """The text, or its first ``limit`` characters with a note of how many more were cut."""
    if not text:
        return ""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n… [{len(text) - limit} more characters cut]"
