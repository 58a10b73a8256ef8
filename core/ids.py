"""Event ids (UUIDv7, RFC 9562) and contact slugs."""

from __future__ import annotations

import os
import re
import time
import unicodedata
from functools import cache

_last_ms = 0
_counter = 0


def uuid7() -> str:
    """A new UUIDv7 as text; ids made by one process always increase."""
    global _last_ms, _counter
    ms = time.time_ns() // 1_000_000
    if ms > _last_ms:
        _last_ms, _counter = ms, int.from_bytes(os.urandom(2)) & 0x3FF
    else:
        # Same millisecond (or the clock stepped back): count up in rand_a.
        _counter += 1
        if _counter > 0xFFF:
            _last_ms, _counter = _last_ms + 1, 0
    return _format(_last_ms, _counter, os.urandom(8))


def uuid7_batch(count: int) -> list[str]:
    """``count`` increasing UUIDv7s, made cheaply for large batches.

    The same ids as :func:`uuid7` would make, written differently: the random
    tails of the whole batch get their variant bits and their hex in one go,
    the counter's text comes from a table, and each id is one f-string (a
    100,000-event append spent a tenth of its time here, one :func:`_format` an id).
    """
    global _last_ms, _counter
    ms = max(time.time_ns() // 1_000_000, _last_ms + 1)
    tails = bytearray(os.urandom(8 * count))
    tails[0::8] = tails[0::8].translate(_variant_table())  # 10xxxxxx: RFC 9562's variant
    hexed = tails.hex()
    counters = _counter_texts()
    ids = []
    counter = 0
    clock = f"{ms:012x}"
    for start in range(0, 16 * count, 16):
        if counter > 0xFFF:
            ms, counter = ms + 1, 0
            clock = f"{ms:012x}"
        ids.append(f"{clock[:8]}-{clock[8:]}-{counters[counter]}-{hexed[start:start + 4]}-"
                   f"{hexed[start + 4:start + 16]}")
        counter += 1
    _last_ms, _counter = ms, counter
    return ids


@cache
def _variant_table() -> bytes:
    """A byte → the same byte with its top two bits 10 (for ``bytes.translate``)."""
    return bytes((b & 0x3F) | 0x80 for b in range(256))


@cache
def _counter_texts() -> tuple[str, ...]:
    """The third group of a UUIDv7 for each counter: ``7`` (the version), then 3 hex digits."""
    return tuple(f"7{n:03x}" for n in range(0x1000))


def _format(ms: int, counter: int, tail: bytes) -> str:
    high = f"{ms:012x}7{counter:03x}"
    low = f"{(tail[0] & 0x3F) | 0x80:02x}" + tail[1:].hex()
    return f"{high[:8]}-{high[8:12]}-{high[12:16]}-{low[:4]}-{low[4:]}"


_NOT_WORD = re.compile(r"[^\w]+")


def slugify(name: str) -> str:
    """A readable id from a name: ``Jane Doe`` → ``jane-doe``; keeps non-Latin letters."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    if not folded.isascii():  # (a zero-width joiner or space draws nothing: no hyphen for it)
        folded = "".join(char for char in folded if unicodedata.category(char) != "Cf")
    slug = _NOT_WORD.sub("-", folded).replace("_", "-").strip("-")
    return re.sub("-{2,}", "-", slug)[:60].strip("-") or "contact"
