"""The hash chain over the log: each event's hash covers its content and the previous hash.

Kept apart from the store so that reads, which never hash, do not import hashlib.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import sha256
from typing import Any


def chain_hash(previous: str, fields: Sequence[str]) -> str:
    """The hash of one event (id … data, as text), chained over the previous event's hash."""
    return sha256(previous.encode() + "\x1f".join(fields).encode()).hexdigest()


def exported_hashes(befores: Iterable[str], events: Iterable[Any], datas: Iterable[str]
                    ) -> list[str]:
    """:func:`chain_hash` of many events at once, each over the hash given before it.

    ``events`` have the envelope's fields as attributes (an exported line, say)
    and ``datas`` their payloads as text: the same text as the fields joined,
    written out in one piece (a call and a tuple less per event).
    """
    return [sha256(f"{before}{e.id}\x1f{e.stream}\x1f{e.version}\x1f{e.type}\x1f{e.schema}"
                   f"\x1f{e.occurred_at}\x1f{e.recorded_at}\x1f{e.source}\x1f{e.key or ''}"
                   f"\x1f{e.batch or ''}\x1f{data}".encode()).hexdigest()
            for before, e, data in zip(befores, events, datas, strict=True)]
