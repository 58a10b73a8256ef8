"""The log as JSON Lines: export it, import it, and merge another device's log.

An export is one event per line with every envelope field and the payload as
it is stored. Importing keeps each event's id, stream, type, schema, times,
source, key, batch and payload byte for byte; what is local to a store is
assigned anew: ``seq``, the per-stream ``version`` and the hash chain. So an
export imported into an empty store gives an identical log, and importing a
second device's export merges the two: events are united by id (and by
idempotency key), the ones already present are skipped, and the new ones are
appended in the export's order. The views fold each contact by
(occurred_at, id), so both devices end with the same views whichever side
imports which.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Annotated, NamedTuple

import apsw
import msgspec

from coffeechat.codec import EVENT_COLUMNS, Event, decode_payload, event_from_row
from coffeechat.errors import BadInput
from coffeechat.events import SCHEMAS
from coffeechat.store import Store

Stamp = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
CHUNK = 20_000  # rows per INSERT call while importing
Progress = Callable[[int], None]


class ExportedEvent(msgspec.Struct, forbid_unknown_fields=False):
    """One line of an export."""

    id: NonEmpty
    stream: NonEmpty
    type: NonEmpty
    occurred_at: Stamp
    recorded_at: Stamp
    source: str
    data: msgspec.Raw
    schema: int = 1
    key: str | None = None
    batch: str | None = None
    seq: int | None = None  # informative: seq, version and hash are the exporter's
    version: int | None = None
    hash: str | None = None


class _Line(Event):
    """An event as exported: the envelope, with the payload embedded as JSON."""

    data: msgspec.Raw  # type: ignore[assignment]


class ImportReport(NamedTuple):
    read: int
    added: int
    skipped: int  # already in the log (same id or key)
    appended: list[Event]  # what was written, for the plugins' event_appended


def export_jsonl(store: Store, out: IO[bytes], *, progress: Progress | None = None) -> int:
    """Write every event, in seq order, one JSON object per line; return how many."""
    encoder = msgspec.json.Encoder()
    count = 0
    buffer = bytearray()
    for row in store.conn.execute(f"SELECT {EVENT_COLUMNS} FROM events ORDER BY seq"):
        line = _Line(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                     row[9], row[10], msgspec.Raw(row[11].encode()), row[12])
        encoder.encode_into(line, buffer, len(buffer))
        buffer += b"\n"
        count += 1
        if len(buffer) > 1 << 20:
            out.write(buffer)
            buffer.clear()
            if progress is not None:
                progress(count)
    out.write(buffer)
    return count


_CONTACT_STREAM = re.compile(r"^contact:[\w-]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def read_jsonl(lines: Iterable[bytes], name: str) -> Iterator[ExportedEvent]:
    """Decode an export line by line; a bad line is an error naming the file and line.

    Each payload of a known type must decode as that type (after upcasting), so
    an event that would break the views can never get into the log.
    """
    decoder = msgspec.json.Decoder(ExportedEvent)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = decoder.decode(line)
            _check(event)
        except (msgspec.ValidationError, msgspec.DecodeError, ValueError) as error:
            raise BadInput(f"{name}: line {number}: {error}") from None
        yield event


def _check(event: ExportedEvent) -> None:
    if event.stream.startswith("contact:") and not _CONTACT_STREAM.match(event.stream):
        raise ValueError(f"not a contact stream: {event.stream!r}")
    if _CONTROL.search(event.stream) or _CONTROL.search(event.source) or \
            _CONTROL.search(event.type):
        raise ValueError("control characters in stream, source or type")
    current = SCHEMAS.get(event.type)
    if current is None:
        msgspec.json.decode(event.data)  # a plugin's type: JSON is all we can check
        return
    if not 1 <= event.schema <= current:
        raise ValueError(f"{event.type}: schema {event.schema} is not between 1 and {current}")
    decode_payload(event.type, event.schema, bytes(event.data))


def import_jsonl(store: Store, events: Iterable[ExportedEvent], *,
                 progress: Progress | None = None, keep: bool = False) -> ImportReport:
    """Append the events not yet in the log, as one transaction; see the module docs.

    ``events`` is read as it streams (a bad line still leaves the log as it
    was). With ``keep``, the report lists the events written (for plugins).
    """
    from coffeechat.chain import chain_hash

    read = added = 0
    with store.write():
        db = store.conn
        start, previous = store.tail()
        seq = start
        was_empty = start == 0
        seen_ids: set[str] = set()
        seen_keys: set[str] = set()
        versions: dict[str, int] = {}
        for chunk in _chunks(events, CHUNK):
            read += len(chunk)
            fresh = _fresh(db, chunk, seen_ids, seen_keys, check_log=not was_empty)
            versions.update(store.versions({e.stream for e in fresh} - versions.keys()))
            rows: list[tuple[object, ...]] = []
            for event in fresh:
                seq += 1
                version = versions[event.stream] = versions[event.stream] + 1
                data = bytes(event.data).decode()
                previous = chain_hash(previous, (
                    event.id, event.stream, str(version), event.type, str(event.schema),
                    event.occurred_at, event.recorded_at, event.source, event.key or "",
                    event.batch or "", data))
                rows.append((seq, event.id, event.stream, version, event.type, event.schema,
                             event.occurred_at, event.recorded_at, event.source, event.key,
                             event.batch, data, previous))
            if rows:
                db.executemany(f"INSERT INTO events({EVENT_COLUMNS}) "
                               "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            added += len(rows)
            if progress is not None:
                progress(read)
        appended = [event_from_row(r) for r in db.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq", (start,))] \
            if keep else []
    return ImportReport(read, added, read - added, appended)


def _chunks(events: Iterable[ExportedEvent], size: int) -> Iterator[list[ExportedEvent]]:
    chunk: list[ExportedEvent] = []
    for event in events:
        chunk.append(event)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _fresh(db: apsw.Connection, chunk: list[ExportedEvent], seen_ids: set[str],
           seen_keys: set[str], *, check_log: bool) -> list[ExportedEvent]:
    """The events whose id and key are new (the first of repeats within the file wins)."""
    known_ids = _present(db, "id", [e.id for e in chunk]) if check_log else set()
    keys = [e.key for e in chunk if e.key is not None]
    known_keys = _present(db, "key", keys) if check_log and keys else set()
    fresh = []
    for event in chunk:
        if event.id in seen_ids or event.id in known_ids or (
                event.key is not None and (event.key in seen_keys or event.key in known_keys)):
            continue
        seen_ids.add(event.id)
        if event.key is not None:
            seen_keys.add(event.key)
        fresh.append(event)
    return fresh


def _present(db: apsw.Connection, column: str, values: list[str]) -> set[str]:
    found: set[str] = set()
    chunk = msgspec.json.encode(values).decode()
    found.update(row[0] for row in db.execute(
        f"SELECT j.value FROM json_each(?) j "
        f"WHERE EXISTS (SELECT 1 FROM events e WHERE e.{column} = j.value)", (chunk,)))
    return found
