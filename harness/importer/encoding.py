"""Repair of mis-encoded Markdown: UTF-8 that was read through another code page.

``ftfy.fix_text`` repairs most of it (Windows-1252 and its relatives). Text read through
Mac Roman ("‚úÖ" for "✅") is left alone by ftfy's heuristics, so each line that still holds
mojibake gets one more try: encode it back with a single-byte code page and decode it as
UTF-8, kept only when that succeeds exactly. Where nothing repairs a line, the item rules
still recognise the mojibake forms of the check mark (:data:`CHECK_MARKS`).
"""

from __future__ import annotations

import ftfy

CHECK_MARK = "\u2705"  # ✅
_CODE_PAGES = ("cp1252", "mac_roman", "cp1254", "latin-1", "cp437", "cp850")


def _mojibake_forms(text: str) -> tuple[str, ...]:
    """How ``text`` looks when its UTF-8 bytes are read through each single-byte code page."""
    forms = []
    for code_page in _CODE_PAGES:
        form = text.encode("utf-8").decode(code_page, errors="replace")
        if "\ufffd" not in form and form not in forms:
            forms.append(form)
    return tuple(forms)


#: The check mark and its mojibake forms ("âœ…", "‚úÖ", ...).
CHECK_MARKS: tuple[str, ...] = (CHECK_MARK, *_mojibake_forms(CHECK_MARK))

# Characters that begin a mojibake sequence in the code pages above: a line holding one of
# them (and only then) is worth a second repair attempt.
_SUSPECT = frozenset("âÃðÅÂ‚‚ÔΓ¬¨¿ü\uf8ffğ")


def repair_line(line: str) -> str:
    """One line, repaired where ftfy or an exact code-page round trip can repair it."""
    if line.isascii():
        return line
    fixed = ftfy.fix_text(line, uncurl_quotes=False, fix_latin_ligatures=False, fix_character_width=False)
    if not any(ch in _SUSPECT for ch in fixed):
        return fixed
    for code_page in _CODE_PAGES:
        try:
            candidate = fixed.encode(code_page).decode("utf-8")
        except UnicodeError:
            continue
        if candidate != fixed:
            return candidate
    return fixed


def repair_text(text: str) -> list[str]:
    """The text's lines, each repaired; line numbers are kept (one output line per input line)."""
    return [repair_line(line) for line in text.splitlines()]


def has_check_mark(text: str) -> bool:
    """True when ``text`` holds ✅ or one of its mojibake forms."""
    return any(mark in text for mark in CHECK_MARKS)


def strip_check_marks(text: str) -> str:
    for mark in sorted(CHECK_MARKS, key=len, reverse=True):
        text = text.replace(mark, "")
    return text


def read_markdown(path: str) -> str:
    """A Markdown file as text: UTF-8 when it decodes, else Windows-1252 (never fails)."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
