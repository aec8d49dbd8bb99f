"""Repair of mis-encoded Markdown: UTF-8 that was read through another code page.

``ftfy.fix_text`` repairs most of it (Windows-1252 and its relatives). Text read through
Mac Roman ("‚úÖ" for "✅") is left alone by ftfy's heuristics, so each line that still holds
mojibake gets one more try: encode it back with a single-byte code page and decode it as
UTF-8, kept only when that succeeds exactly. Where nothing repairs a line, the item rules
still recognise the mojibake forms of the check mark (:data:`CHECK_MARKS`).

Windows-1254 leaves five bytes undefined, and a reader that drops them loses one byte of some
emoji (🎯 is F0 9F 8E AF; "ğŸ¯" kept only three). A repair that yields an unassigned code point
is refused, and such a line gets one byte back: each byte the code page drops is tried where the
UTF-8 breaks, 0x8E first (the block of 🎯, 🎉, 🎊), and the first that decodes to assigned
characters is kept. Which emoji the writer meant is then a best guess; the words around it are not.
"""

from __future__ import annotations

import re
import unicodedata

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


# Bytes Windows-1254 does not define, in the order a lost one is restored.
_DROPPED_BY_CP1254 = (0x8E, 0x8F, 0x8D, 0x90, 0x9D, 0x81, 0x9E)


def _assigned(text: str) -> bool:
    return all(unicodedata.category(ch) not in ("Cn", "Co", "Cs") for ch in text)


# Non-ASCII runs, with single spaces inside (a reader may have turned a 0xA0 byte into a space).
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+(?: [^\x00-\x7f]+)*")


def repair_line(line: str) -> str:
    """One line, repaired where ftfy or an exact code-page round trip can repair it."""
    if line.isascii():
        return line
    line = _NON_ASCII_RUN.sub(lambda run: _repair_run(run.group(0)), line)
    fixed = ftfy.fix_text(line, uncurl_quotes=False, fix_latin_ligatures=False, fix_character_width=False)
    if not _assigned(fixed):
        fixed = line
    if not any(ch in _SUSPECT for ch in fixed):
        return fixed
    for code_page in _CODE_PAGES:
        try:
            candidate = fixed.encode(code_page).decode("utf-8")
        except UnicodeError:
            continue
        if candidate != fixed and _assigned(candidate):
            return candidate
    return _restore_dropped_bytes(fixed) or fixed


def _repair_run(run: str) -> str:
    """A run of mojibake on its own: a code-page round trip, or Windows-1254 with dropped bytes put
    back; a space inside the run is tried as the 0xA0 byte it may have been, then as a space."""
    if not any(ch in _SUSPECT for ch in run):
        return run
    for text in dict.fromkeys((run.replace(" ", "\xa0"), run)):
        for code_page in _CODE_PAGES:
            try:
                candidate = text.encode(code_page).decode("utf-8")
            except UnicodeError:
                continue
            if _assigned(candidate):
                return candidate
        restored = _restore_dropped_bytes(text)
        if restored is not None:
            return restored
    if " " in run:
        return " ".join(_repair_run(part) for part in run.split(" "))
    return run


def _restore_dropped_bytes(line: str) -> str | None:
    """The line read back through Windows-1254 with each byte it dropped put back, or None."""
    try:
        data = bytes(line.encode("cp1254"))
    except UnicodeError:
        return None
    for _ in range(16):  # one lost byte per broken sequence; a line holds a few at most
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            restored = _restore_one(data, exc.start)
            if restored is None:
                return None
            data = restored
            continue
        return text if _assigned(text) else None
    return None


def _restore_one(data: bytes, start: int) -> bytes | None:
    """The broken sequence at ``start`` completed with one dropped byte: a pictograph if one fits."""
    best: tuple[tuple[int, int, int], bytes] | None = None
    for position in range(start + 1, min(start + 4, len(data) + 1)):
        for rank, byte in enumerate(_DROPPED_BY_CP1254):
            candidate = data[:position] + bytes([byte]) + data[position:]
            char = _char_at(candidate, start)
            if char is None or not _assigned(char):
                continue
            likely = 0x1F300 <= ord(char) <= 0x1FAFF or char == "\ufe0f"  # pictographs, emoji presentation
            key = (0 if likely else 1, rank, position)
            if best is None or key < best[0]:
                best = (key, candidate)
    return best[1] if best else None


def _char_at(data: bytes, start: int) -> str | None:
    for length in (2, 3, 4):
        try:
            return data[start:start + length].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


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
