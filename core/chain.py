"""The hash chain over the log: each event's hash covers its content and the previous hash.

Kept apart from the store so that reads, which never hash, do not import hashlib.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256


def chain_hash(previous: str, fields: Sequence[str]) -> str:
    """The hash of one event (id … data, as text), chained over the previous event's hash."""
    return sha256(previous.encode() + "\x1f".join(fields).encode()).hexdigest()
