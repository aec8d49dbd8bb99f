"""Text from a target made safe for every output: serialisable, and with no live control characters.

A target controls much of what a report shows (bodies, headers, JSON values, log lines). Two kinds
of character in that text break outputs:

- a lone surrogate (``"\\ud800"`` in a JSON answer decodes to one) cannot be encoded as UTF-8, so
  ``results.json``, the journal and the HTML would fail to write: :func:`without_surrogates`
  writes it as the visible escape ``\\ud800`` instead, wherever evidence is made;
- control characters make XML invalid (JUnit publishers reject the file) and drive terminals
  (colours, cursor moves, a carriage return that overwrites a line): :func:`escape_controls`
  writes them as ``\\x1b``-style escapes; each output decides which whitespace it keeps.
"""

from __future__ import annotations

import re
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls but tab and newline, DEL, the C1 controls, and what XML 1.0 forbids besides.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")
_CONTROL_AND_NEWLINES = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff]")
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")  # tab, newline, CR kept


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def without_surrogates(text: str) -> str:
    """``text`` with every lone surrogate written as its escape (``\\ud800``)."""
    return _SURROGATE.sub(_escape, text) if _SURROGATE.search(text) else text


def escape_controls(text: str, *, newlines: bool = True) -> str:
    """``text`` with control characters (and lone surrogates) written as escapes; tab is kept, and
    newline too unless ``newlines`` is false (one-line outputs such as a console line)."""
    pattern = _CONTROL if newlines else _CONTROL_AND_NEWLINES
    text = without_surrogates(text)
    return pattern.sub(_escape, text) if pattern.search(text) else text


def printable(text: str) -> str:
    """``text`` fit for a report: lone surrogates and control characters escaped; tab, newline and
    carriage return kept (each output that must be one line, or XML, escapes those itself)."""
    text = without_surrogates(text)
    return _UNPRINTABLE.sub(_escape, text) if _UNPRINTABLE.search(text) else text


def printable_value(value: Any) -> Any:
    """:func:`printable` applied to every string in ``value`` (nested in lists, tuples and dicts too)."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable_value(k): printable_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(printable_value(v) for v in value)
    return value


def serialisable(value: Any) -> Any:
    """``value`` with every string in it (nested in lists, tuples and dicts too) free of lone surrogates."""
    if isinstance(value, str):
        return without_surrogates(value)
    if isinstance(value, dict):
        return {serialisable(k): serialisable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(serialisable(v) for v in value)
    return value
