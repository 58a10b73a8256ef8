"""One export file, read and checked as it streams: what ``import jsonl`` trusts.

A line is an event with every envelope field and its payload embedded
(:class:`ExportedEvent`). :class:`JsonlFile` reads a file line by line and
refuses, naming the line, anything that does not decode, a malformed
envelope, and, when the file carries the export's hash chain, any line whose
``seq`` or ``hash`` shows it was changed, removed, added or moved since the
export. Whether a payload is usable is asked of each event that is about to
be appended (see :mod:`coffeechat.transfer`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Annotated

import msgspec

from coffeechat.chain import chain_hash
from coffeechat.codec import UNREADABLE
from coffeechat.errors import BadInput
from coffeechat.events import SCHEMAS
from coffeechat.usable import stamp_problem

Stamp = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Field = Annotated[str, msgspec.Meta(max_length=1000)]


class ExportedEvent(msgspec.Struct, forbid_unknown_fields=False):
    """One line of an export."""

    id: Short
    stream: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    type: Short
    occurred_at: Stamp
    recorded_at: Stamp
    source: Field
    data: msgspec.Raw
    schema: int = 1
    key: Field | None = None
    batch: Field | None = None
    seq: int | None = None  # the exporter's seq, version and hash: checked, not kept
    version: int | None = None
    hash: str | None = None


_CONTACT_STREAM = re.compile(r"^contact:[\w-]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# A checked line: (line number, event, payload as text, the hash of the line before).
Checked = tuple[int, ExportedEvent, str, str]


class JsonlFile:
    """The checked lines of an export, read as they stream; a bad line is a BadInput.

    Each line must decode, with a well-formed envelope (streams, times, no
    control characters, a known type's schema in range). When the lines
    carry hashes (every export does), the chain must hold: ``seq`` runs 1, 2,
    3 ... and each ``hash`` is the hash of the line's fields chained over the
    line before's, exactly as the exporting store computed it. A file written
    by an older version, with no hashes at all, is read unchecked: afterwards
    :attr:`hashless` is true, for a warning. A file where some lines have a
    hash and others not is refused.
    """

    def __init__(self, lines: Iterable[bytes], name: str) -> None:
        self.lines = lines
        self.name = name
        self.chained: bool | None = None  # decided by the first line

    @property
    def hashless(self) -> bool:
        return self.chained is False

    def __iter__(self) -> Iterator[Checked]:
        decode = msgspec.json.Decoder(ExportedEvent).decode
        previous = ""
        seq = 0
        recorded = ""  # the last recorded_at found good (a batch's events share one)
        streams: set[str] = set()  # contact streams found well formed (each has many events)
        for number, line in enumerate(self.lines, start=1):
            if not line.startswith(b"{") and not line.strip():
                continue
            try:
                event = decode(line)
                # JSON text holds a control character only escaped (a backslash) and
                # DEL as it is: a line with neither has none to look for.
                data = _check(event, streams, b"\\" in line or b"\x7f" in line)
                if event.recorded_at != recorded:
                    problem = stamp_problem(event.recorded_at, "recorded_at")
                    if problem is not None:
                        raise ValueError(problem)
                    recorded = event.recorded_at
                if self.chained is None:
                    self.chained = event.hash is not None
                before = previous
                if self.chained:
                    seq += 1
                    previous = _chained(event, data, previous, seq)
                elif event.hash is not None:
                    raise ValueError("this line has a hash but the first line has none (a "
                                     "file with some hashes missing is refused)")
            except UNREADABLE as error:
                message = " ".join(str(error).splitlines())
                raise BadInput(f"{self.name}: line {number}: {message}; nothing was "
                               "imported") from None
            yield number, event, data, before


def _check(event: ExportedEvent, streams: set[str], controls: bool = True) -> str:
    """The payload as text, once the envelope is known to be sound (ValueError if not).

    Whether the payload is usable is asked only of events that are to be
    appended (:mod:`coffeechat.transfer`): one already in the log is left as it is.
    ``controls``: whether the line may hold control characters at all.
    """
    stream = event.stream
    if controls and _CONTROL.search(f"{event.id}{stream}{event.source}{event.type}"
                                    f"{event.key or ''}{event.batch or ''}"):
        raise ValueError("control characters in the id, stream, source, type, key or batch")
    if stream not in streams and stream.startswith("contact:"):
        if not _CONTACT_STREAM.match(stream):
            raise ValueError(f"not a contact stream: {stream!r}")
        streams.add(stream)
    current = SCHEMAS.get(event.type)
    if current is not None and not 1 <= event.schema <= current:
        raise ValueError(f"{event.type}: schema {event.schema} is not between 1 and {current}")
    return bytes(event.data).decode()


def _chained(event: ExportedEvent, data: str, previous: str, seq: int) -> str:
    """The line's hash, once it is shown to chain over ``previous`` (ValueError if not)."""
    if event.hash is None:
        raise ValueError("this line has no hash but the first line has one (a file with "
                         "some hashes missing is refused)")
    if event.seq != seq:
        raise ValueError(f"seq {event.seq} where {seq} was expected: lines were removed, "
                         "added or moved since the export")
    if event.version is None:
        raise ValueError("a hash without the version it covers")
    expected = chain_hash(previous, (
        event.id, event.stream, str(event.version), event.type, str(event.schema),
        event.occurred_at, event.recorded_at, event.source, event.key or "",
        event.batch or "", data))
    if event.hash != expected:
        raise ValueError(f"event {event.id}: its hash does not match its content: the line "
                         "was changed since it was exported")
    return expected
