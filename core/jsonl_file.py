"""One export file, read and checked as it streams: what ``import jsonl`` trusts.

A line is an event with every envelope field and its payload embedded
(:class:`ExportedEvent`). :class:`JsonlFile` reads a file line by line and
refuses, naming the line, anything that does not decode, a malformed
envelope, and, when the file carries the export's hash chain, any line whose
``seq`` or ``hash`` shows it was changed, removed, added or moved since the
export. Whether a payload is usable is asked of each event that is about to
be appended (see :mod:`coffeechat.transfer`).

Lines are read in blocks. A block is first checked whole, each check made
once for the block where it can be (:meth:`JsonlFile._quick`); a block where
any check fails, or that the quick way cannot judge (a blank line, say), is
read again line by line (:meth:`JsonlFile._each`), which names the first bad
line exactly as if nothing had been checked before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import chain, islice, repeat
from operator import attrgetter
from typing import Annotated

import msgspec

from coffeechat.chain import event_hash, exported_hashes
from coffeechat.clock import is_stamp
from coffeechat.codec import UNREADABLE
from coffeechat.errors import BadInput
from coffeechat.events import SCHEMAS
from coffeechat.usable import stamp_forms, stamp_problem

Stamp = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")]
Short = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Field = Annotated[str, msgspec.Meta(max_length=1000)]
BLOCK = 20_000  # lines read and checked at a time


class ExportedEvent(msgspec.Struct, forbid_unknown_fields=False, gc=False):
    """One line of an export (its times are checked apart: see :class:`_Strict`)."""

    id: Short
    stream: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    type: Short
    occurred_at: str
    recorded_at: str
    source: Field
    data: msgspec.Raw
    schema: int = 1
    key: Field | None = None
    batch: Field | None = None
    seq: int | None = None  # the exporter's seq, version and hash: checked, not kept
    version: int | None = None
    hash: str | None = None


class _Strict(ExportedEvent):
    """A line read one at a time: its times must have the stamp's form as it is decoded."""

    occurred_at: Stamp
    recorded_at: Stamp


_CONTACT_STREAM = re.compile(r"^contact:[\w-]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# A checked line: (line number, event, payload as text, the hash of the line before).
Checked = tuple[int, ExportedEvent, str, str]


class Lines:
    """Checked lines as four lists side by side: numbers, events, payloads as text, and
    the hash of the line before each (what a :data:`Checked` holds, line by line)."""

    __slots__ = ("befores", "datas", "events", "numbers")

    def __init__(self, numbers: list[int], events: list[ExportedEvent], datas: list[str],
                 befores: list[str]) -> None:
        self.numbers = numbers
        self.events = events
        self.datas = datas
        self.befores = befores

    @classmethod
    def of(cls, items: Iterable[Checked]) -> Lines:
        lines = cls([], [], [], [])
        for number, event, data, before in items:
            lines.numbers.append(number)
            lines.events.append(event)
            lines.datas.append(data)
            lines.befores.append(before)
        return lines

    def __len__(self) -> int:
        return len(self.events)

    def items(self) -> list[Checked]:
        return list(zip(self.numbers, self.events, self.datas, self.befores, strict=True))

    def extend(self, other: Lines) -> None:
        self.numbers += other.numbers
        self.events += other.events
        self.datas += other.datas
        self.befores += other.befores

_ids = attrgetter("id")
_streams = attrgetter("stream")
_types = attrgetter("type")
_schemas = attrgetter("schema")
_occurred = attrgetter("occurred_at")
_recorded = attrgetter("recorded_at")
_datas = attrgetter("data")
_seqs = attrgetter("seq")
_versions = attrgetter("version")
_hashes = attrgetter("hash")


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

    def __init__(self, lines: Iterable[bytes], name: str, *, quick: bool = True) -> None:
        self.lines = lines
        self.name = name
        self.quick = quick  # (False: every block line by line, for tests comparing the two)
        self.chained: bool | None = None  # decided by the first line
        self._previous = ""  # the hash of the last line read
        self._seq = 0  # the last line's seq, in a chained file
        self._recorded = ""  # the last recorded_at found good (a batch's events share one)
        self._streams: set[str] = set()  # contact streams found well formed (each has many)

    @property
    def hashless(self) -> bool:
        return self.chained is False

    def __iter__(self) -> Iterator[Checked]:
        for chunk in self.chunks(BLOCK):
            yield from chunk.items()

    def chunks(self, size: int) -> Iterator[Lines]:
        """The checked lines, ``size`` at a time (the last may be fewer).

        Lines are given out as soon as there are ``size``, before any line
        after them is read: what is done with them (a conflict found) comes
        before a bad line further on, as when the lines are taken one by one.
        """
        lines = iter(self.lines)
        number = 0  # lines read so far
        pending = Lines([], [], [], [])
        while block := list(islice(lines, size - len(pending))):
            checked = self._quick(block, number + 1) if self.quick else None
            if checked is None:
                checked = Lines.of(self._each(block, number + 1))
            if pending:
                pending.extend(checked)
            else:
                pending = checked
            number += len(block)
            if len(pending) >= size:
                yield pending
                pending = Lines([], [], [], [])
        if pending:
            yield pending

    def _each(self, block: list[bytes], first: int) -> Iterator[Checked]:
        """The lines of ``block`` checked one by one (BadInput naming the first bad one)."""
        decode = msgspec.json.Decoder(_Strict).decode
        streams = self._streams
        for number, line in enumerate(block, start=first):
            if not line.startswith(b"{") and not line.strip():
                continue
            try:
                event = decode(line)
                # JSON text holds a control character only escaped (a backslash) and
                # DEL as it is: a line with neither has none to look for.
                data = _check(event, streams, b"\\" in line or b"\x7f" in line)
                if event.recorded_at != self._recorded:
                    problem = stamp_problem(event.recorded_at, "recorded_at")
                    if problem is not None:
                        raise ValueError(problem)
                    self._recorded = event.recorded_at
                if self.chained is None:
                    self.chained = event.hash is not None
                before = self._previous
                if self.chained:
                    self._seq += 1
                    self._previous = _chained(event, data, before, self._seq)
                elif event.hash is not None:
                    raise ValueError("this line has a hash but the first line has none (a "
                                     "file with some hashes missing is refused)")
            except UNREADABLE as error:
                message = " ".join(str(error).splitlines())
                raise BadInput(f"{self.name}: line {number}: {message}; nothing was "
                               "imported") from None
            yield number, event, data, before

    def _quick(self, block: list[bytes], first: int) -> Lines | None:
        """``block`` checked whole, or None when a check fails or cannot be made so.

        It passes exactly the blocks that :meth:`_each` passes (or fewer), and
        changes nothing in what is kept across blocks until it has passed.
        """
        try:
            events: list[ExportedEvent] = list(map(msgspec.json.Decoder(ExportedEvent).decode,
                                                   block))
            datas = list(map(str, map(_datas, events), repeat("utf-8")))
        except UNREADABLE:
            return None
        # _Strict's pattern, for every occurred_at at once (recorded_at: below)
        if not stamp_forms(list(map(_occurred, events))):
            return None
        if _may_hold_control(block) and _any_control(events):
            return None
        contact = {s for s in set(map(_streams, events)) - self._streams
                   if s.startswith("contact:")}
        if not all(map(_CONTACT_STREAM.match, contact)):
            return None
        # (schema 1 is in range for every type: only other schemas need their type)
        if set(map(_schemas, events)) != {1} or min(SCHEMAS.values(), default=1) < 1:
            for event_type, schema in set(zip(map(_types, events), map(_schemas, events),
                                              strict=True)):
                current = SCHEMAS.get(event_type)
                if current is not None and not 1 <= schema <= current:
                    return None
        # Each recorded_at is the last one found good or a stamp (is_stamp: so also of
        # _Strict's pattern); a batch's events share one.
        recorded = set(map(_recorded, events))
        if self._recorded:
            recorded.discard(self._recorded)
        if not all(map(is_stamp, recorded)):
            return None
        hashes = list(map(_hashes, events))
        chained = self.chained if self.chained is not None else hashes[0] is not None
        if chained:
            befores = [self._previous, *hashes[:-1]]
            end = self._seq + len(events)
            if None in hashes or None in map(_versions, events) \
                    or list(map(_seqs, events)) != list(range(self._seq + 1, end + 1)):
                return None
            try:
                if exported_hashes(befores, events, datas) != hashes:
                    return None
            except UnicodeError:  # (a lone surrogate, escaped in the JSON)
                return None
            self._seq = end
            self._previous = hashes[-1]  # (None is not in: checked above)
        else:
            if hashes.count(None) != len(hashes):
                return None
            befores = [self._previous] * len(events)
        self.chained = chained
        self._streams |= contact
        self._recorded = events[-1].recorded_at
        return Lines(list(range(first, first + len(events))), events, datas, befores)


_CONTROLS = bytes(range(0x20)) + b"\x7f"
_in_envelope = [attrgetter(name) for name in ("id", "stream", "source", "type")]
_or_none = [attrgetter(name) for name in ("key", "batch")]


def _may_hold_control(block: list[bytes], piece: int = 256) -> bool:
    """Whether a line of ``block`` has a backslash or DEL: as in :meth:`JsonlFile._each`,
    only such a line can hold a control character (JSON writes C0 only escaped).

    Lines are looked at ``piece`` at a time, joined: a piece stays in the CPU's
    cache while it is searched twice (a block joined whole does not).
    """
    for start in range(0, len(block), piece):
        joined = b"".join(block[start:start + piece])
        if b"\\" in joined or b"\x7f" in joined:
            return True
    return False


def _any_control(events: list[ExportedEvent]) -> bool:
    """Whether any envelope field that :func:`_has_control` looks at holds one, at once."""
    text = " ".join(chain(*(map(field, events) for field in _in_envelope),
                          *(filter(None, map(field, events)) for field in _or_none)))
    # (UTF-8 writes a character from U+0080 up with bytes from 0x80 up only)
    encoded = text.encode("utf-8", "surrogatepass")
    return len(encoded.translate(None, _CONTROLS)) != len(encoded)


def _has_control(event: ExportedEvent) -> bool:
    return _CONTROL.search(f"{event.id}{event.stream}{event.source}{event.type}"
                           f"{event.key or ''}{event.batch or ''}") is not None


def _check(event: ExportedEvent, streams: set[str], controls: bool = True) -> str:
    """The payload as text, once the envelope is known to be sound (ValueError if not).

    Whether the payload is usable is asked only of events that are to be
    appended (:mod:`coffeechat.transfer`): one already in the log is left as it is.
    ``controls``: whether the line may hold control characters at all.
    """
    stream = event.stream
    if controls and _has_control(event):
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
    expected = event_hash(previous, event.id, event.stream, event.version, event.type,
                          event.schema, event.occurred_at, event.recorded_at, event.source,
                          event.key, event.batch, data)
    if event.hash != expected:
        raise ValueError(f"event {event.id}: its hash does not match its content: the line "
                         "was changed since it was exported")
    return expected
