"""Checks on what people type, with messages that name the field and say what to fix."""

from __future__ import annotations

import re

from coffeechat.errors import BadInput, quote

NAME_LIMIT = 200
FIELD_LIMIT = 500
TEXT_LIMIT = 20_000

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"  # (compiled when first used: re keeps it)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode's Cc: C0, DEL and C1
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # but tab, LF, CR


def _controls(value: str, allowed: str = "") -> bool:
    return (_CONTROL_IN_TEXT if allowed else _CONTROL).search(value) is not None


# Bidirectional embeddings, overrides and isolates: in a one-line field they can
# make a row of a table read as something else. (The marks U+200E and U+200F
# only say which way a character leans; they cannot reorder what follows, so
# they are allowed.)
_BIDI = "[\u202a-\u202e\u2066-\u2069]"
# Characters that draw nothing although they are not format characters (Cf):
# the combining grapheme joiner, the Hangul fillers, Khmer's inherent vowels,
# Mongolian variation selectors, the blank braille pattern and variation selectors.
_BLANK_LOOKING = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f"
                           "\u2800\u3164\uffa0" + "".join(map(chr, range(0xFE00, 0xFE10))))


def code_point(char: str) -> str:
    """``U+202E``: how a message names a character it cannot show."""
    return f"U+{ord(char):04X}"


# A lone surrogate: what Python makes of argv bytes that are not UTF-8 (surrogateescape,
# U+DC80-U+DCFF for the bytes 0x80-0xFF), or a JSON escape of half a pair. No UTF-8
# file or store can hold one.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _not_utf8(value: str, field: str) -> None:
    found = _SURROGATE.search(value) if not value.isascii() else None
    if found is not None:
        point = ord(found.group())
        what = f"the byte 0x{point - 0xDC00:02X}" if 0xDC80 <= point <= 0xDCFF \
            else f"a lone surrogate, {code_point(found.group())}"
        raise BadInput(f"{field}: is not UTF-8 text ({what} at character {found.start() + 1}):"
                       " check the terminal's or the file's encoding")


def _first_control(value: str) -> str | None:
    found = _CONTROL.search(value)
    return found.group() if found else None


def invisible(value: str) -> bool:
    """Whether ``value`` shows nothing: only spaces, format characters (Unicode's Cf,
    U+200B, U+FEFF, U+00AD, ...) or characters that draw as a blank (U+2800, U+3164)."""
    if value.isascii():
        return not value.strip()
    import unicodedata

    return all(char.isspace() or char in _BLANK_LOOKING or unicodedata.category(char) == "Cf"
               for char in value)


def one_line(value: str, field: str, *, limit: int = FIELD_LIMIT, required: bool = False
             ) -> str:
    """A single-line field: trimmed, no line breaks or control characters, bounded.

    Text with nothing visible in it (see :func:`invisible`) counts as empty, and
    the bidirectional controls that reorder text on screen are refused.
    """
    text = value.strip()
    _not_utf8(text, field)
    if not text or invisible(text):  # (a zero-width space is as empty as a space)
        if required:
            raise BadInput(f"{field}: must not be empty")
        return ""
    if "\n" in text or "\r" in text:
        raise BadInput(f"{field}: must be one line, got {quote(text)}")
    control = _first_control(text)
    if control is not None:
        raise BadInput(f"{field}: contains control characters ({code_point(control)}): "
                       f"{quote(text)}")
    bidi = re.search(_BIDI, text) if not text.isascii() else None
    if bidi is not None:
        raise BadInput(f"{field}: contains {code_point(bidi.group())}, a control that "
                       f"reorders text on screen: {quote(text)}")
    if len(text) > limit:
        raise BadInput(f"{field}: {len(text)} characters is too long (the limit is {limit})")
    return text


def optional(value: str | None, field: str, *, limit: int = FIELD_LIMIT) -> str | None:
    """:func:`one_line` for an optional field; empty means absent."""
    if value is None:
        return None
    return one_line(value, field, limit=limit) or None


def name(value: str, field: str = "NAME") -> str:
    return one_line(value, field, limit=NAME_LIMIT, required=True)


def text(value: str, field: str, *, required: bool = True) -> str:
    """Free text (notes): line breaks allowed, other control characters not, bounded."""
    cleaned = value.strip()
    if not cleaned and required:
        raise BadInput(f"{field}: must not be empty")
    _not_utf8(cleaned, field)
    if _controls(cleaned, allowed="\n\t\r"):
        raise BadInput(f"{field}: contains control characters")
    if len(cleaned) > TEXT_LIMIT:
        raise BadInput(
            f"{field}: {len(cleaned)} characters is too long (the limit is {TEXT_LIMIT})"
        )
    return cleaned


def email(value: str | None, field: str = "--email") -> str | None:
    address = optional(value, field)
    if address is not None and not re.match(_EMAIL, address):
        raise BadInput(f"{field}: {quote(address)} is not an email address")
    return address


def positive(value: int, field: str, *, limit: int) -> int:
    if not 0 < value <= limit:
        raise BadInput(f"{field}: must be between 1 and {limit}, got {value}")
    return value


def not_before(at: str, since: str | None, what: str, outcome: str) -> None:
    """Refuse an ``--on`` (stored time ``at``) dated before ``since``, the time of what the
    event answers: recorded there, it would do nothing (``outcome`` says what not)."""
    if since is not None and at < since:
        from coffeechat.clock import local_time

        raise BadInput(f"--on: {local_time(at)} is before {what} ({local_time(since)}): "
                       f"it would {outcome}")
