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


def one_line(value: str, field: str, *, limit: int = FIELD_LIMIT, required: bool = False
             ) -> str:
    """A single-line field: trimmed, no line breaks or control characters, bounded."""
    text = value.strip()
    if not text:
        if required:
            raise BadInput(f"{field}: must not be empty")
        return ""
    if "\n" in text or "\r" in text:
        raise BadInput(f"{field}: must be one line, got {quote(text)}")
    if _controls(text):
        raise BadInput(f"{field}: contains control characters: {quote(text)}")
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
