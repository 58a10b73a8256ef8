"""Event ids (UUIDv7, RFC 9562) and contact slugs."""

from __future__ import annotations

import os
import re
import time
import unicodedata

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
    """``count`` increasing UUIDv7s, made cheaply for large batches."""
    global _last_ms, _counter
    ms = max(time.time_ns() // 1_000_000, _last_ms + 1)
    randomness = os.urandom(8 * count)
    ids = []
    counter = 0
    for i in range(count):
        if counter > 0xFFF:
            ms, counter = ms + 1, 0
        ids.append(_format(ms, counter, randomness[8 * i : 8 * i + 8]))
        counter += 1
    _last_ms, _counter = ms, counter
    return ids


def _format(ms: int, counter: int, tail: bytes) -> str:
    high = f"{ms:012x}7{counter:03x}"
    low = f"{(tail[0] & 0x3F) | 0x80:02x}" + tail[1:].hex()
    return f"{high[:8]}-{high[8:12]}-{high[12:16]}-{low[:4]}-{low[4:]}"


_NOT_WORD = re.compile(r"[^\w]+")


def slugify(name: str) -> str:
    """A readable id from a name: ``Jane Doe`` → ``jane-doe``; keeps non-Latin letters."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    slug = _NOT_WORD.sub("-", folded).replace("_", "-").strip("-")
    return re.sub("-{2,}", "-", slug)[:60].strip("-") or "contact"
