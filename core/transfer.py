"""The log as JSON Lines: export it, import it, and merge another device's log.

An export is one event per line with every envelope field and the payload as
it is stored. Importing keeps each event's id, stream, type, schema, times,
source, key, batch and payload byte for byte; what is local to a store is
assigned anew: ``seq``, the per-stream ``version`` and the hash chain. So an
export imported into an empty store gives an identical log, and importing a
second device's export merges the two: events are united by id (and by
idempotency key), the ones already present are skipped, and the new ones are
appended in the export's order. The projections fold each contact by
(occurred_at, id), so both devices end with the same views whichever side
imports which.

A file is trusted no further than it can be checked: the export's own hash
chain must hold line by line (:mod:`coffeechat.jsonl_file`), so a line changed,
removed or inserted since the export is refused; every event appended must be
one this version can use (:func:`coffeechat.usable.event_problem`); and two
different events under one id are a conflict, never silently reduced to one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import count
from operator import attrgetter
from typing import IO, NamedTuple

import apsw
import msgspec

from coffeechat.chain import event_hash
from coffeechat.codec import EVENT_COLUMNS, Event, event_from_row
from coffeechat.collector import collector_paused
from coffeechat.errors import BadInput
from coffeechat.jsonl_file import Checked, ExportedEvent, JsonlFile, Lines
from coffeechat.store import Store
from coffeechat.usable import all_stamps, first_data_problem, stamp_problem

__all__ = ["ExportedEvent", "ImportReport", "JsonlFile", "export_jsonl", "import_jsonl"]

CHUNK = 20_000  # rows per INSERT call while importing
IMPORT_CACHE_KIB = -64 * 1024  # page cache while importing: 64 MiB (negative: in KiB)
MAX_LISTED = 100  # conflicts a dry run lists (it counts them all)
Progress = Callable[[int], None]


class _Line(Event):
    """An event as exported: the envelope, with the payload embedded as JSON."""

    data: msgspec.Raw  # type: ignore[assignment]


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


# -- importing ----------------------------------------------------------------------------

class Conflict(NamedTuple):
    line: int
    id: str
    message: str


class ImportReport(NamedTuple):
    read: int
    added: int
    skipped: int  # already in the log (same id and content, or same key)
    appended: list[Event]  # what was written, for the plugins' event_appended
    same_key: int  # of the skipped: a new id, but a key already recorded
    conflicts: list[Conflict]  # (a dry run lists them; an import stops at the first)
    conflicts_found: int


class _DryRun(Exception):
    """Raised to roll a dry run's transaction back."""


def import_jsonl(store: Store, lines: JsonlFile, *, progress: Progress | None = None,
                 keep: bool = False, dry_run: bool = False) -> ImportReport:
    """Append the events not yet in the log, as one transaction; see the module docs.

    ``lines`` is checked as it streams; a bad line or a conflict rolls
    everything back. With ``keep``, the report lists the events written (for
    plugins). A dry run does all of it, conflicts listed instead of raised,
    and rolls back.
    """
    merge = _Merge(store.conn, lines.name, dry_run)
    # A large import dirties far more pages than SQLite's default cache (2 MB) holds:
    # spilling them to the WAL before the commit cost 15% of a 1M-event import.
    cache = store.conn.execute("PRAGMA cache_size").get
    store.conn.execute(f"PRAGMA cache_size = {IMPORT_CACHE_KIB}")
    try:
        with collector_paused():  # (12% of a 100k-event import without)
            return _import(store, lines, merge, progress, keep, dry_run)
    finally:
        store.conn.execute(f"PRAGMA cache_size = {int(cache)}")


def _import(store: Store, lines: JsonlFile, merge: _Merge, progress: Progress | None,
            keep: bool, dry_run: bool) -> ImportReport:
    read = added = 0
    report = ImportReport(0, 0, 0, [], 0, [], 0)
    try:
        with store.write():
            db = store.conn
            start, previous = store.tail()
            merge.check_log = start != 0
            seq = start
            versions: dict[str, int] = {}
            for chunk in lines.chunks(CHUNK):
                read += len(chunk)
                fresh = merge.fresh(chunk)
                versions.update(store.versions(set(map(_stream, fresh.events))
                                               - versions.keys()))
                rows: Iterable[Row] | None = _as_exported(fresh, seq, previous, versions)
                if rows is None:
                    rows, previous = _rows(fresh.items(), seq, previous, versions)
                elif fresh:
                    previous = fresh.events[-1].hash  # type: ignore[assignment]  # (checked)
                if fresh:
                    seq += len(fresh)
                    db.executemany(f"INSERT INTO events({EVENT_COLUMNS}) "
                                   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
                    store.appended(seq, previous)
                added += len(fresh)
                if progress is not None:
                    progress(read)
            appended = [event_from_row(r) for r in db.execute(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq", (start,))] \
                if keep and not dry_run else []
            report = ImportReport(read, added, read - added - merge.found, appended,
                                  merge.same_key, merge.conflicts, merge.found)
            if dry_run:
                raise _DryRun
    except _DryRun:
        return report
    return report


Row = tuple[object, ...]  # an events row, in the order of EVENT_COLUMNS
_id, _stream, _version, _type, _schema, _occurred, _key, _hash = (
    attrgetter(name) for name in ("id", "stream", "version", "type", "schema", "occurred_at",
                                  "key", "hash"))


def _rows(fresh: list[Checked], seq: int, previous: str, versions: dict[str, int]
          ) -> tuple[list[Row], str]:
    """The rows of ``fresh``, after ``seq`` and ``previous``, and the last one's hash;
    ``versions`` moved on."""
    rows: list[Row] = []
    for _number, event, data, before in fresh:
        seq += 1
        version = versions[event.stream] = versions[event.stream] + 1
        if event.hash is not None and previous == before and version == event.version:
            previous = event.hash  # (the same fields over the same hash)
        else:
            previous = event_hash(previous, event.id, event.stream, version, event.type,
                                  event.schema, event.occurred_at, event.recorded_at,
                                  event.source, event.key, event.batch, data)
        rows.append((seq, event.id, event.stream, version, event.type, event.schema,
                     event.occurred_at, event.recorded_at, event.source, event.key,
                     event.batch, data, previous))
    return rows, previous


def _as_exported(fresh: Lines, seq: int, previous: str, versions: dict[str, int]
                 ) -> Iterator[Row] | None:
    """:func:`_rows` when every event keeps the version and hash it was exported with
    (made as they are inserted: each row is let go once SQLite has it).

    That is when the chunk goes on where the log ends (each line's hash before
    it is the one last appended) and each stream's versions run on from the
    log's: the usual case, a whole export into an empty store or one that has
    imported the lines before. Otherwise None, and ``versions`` is left as it was.
    """
    events = fresh.events
    hashes = list(map(_hash, events))
    if None in hashes or fresh.befores != [previous, *hashes[:-1]]:
        return None
    moved: dict[str, int] = {}
    get = moved.get
    for stream, exported in zip(map(_stream, events), map(_version, events), strict=True):
        version = moved[stream] = (get(stream) or versions[stream]) + 1
        if version != exported:
            return None
    versions.update(moved)
    return ((number, e.id, e.stream, e.version, e.type, e.schema, e.occurred_at,
             e.recorded_at, e.source, e.key, e.batch, data, e.hash)
            for number, e, data in zip(count(seq + 1), events, fresh.datas))


_CONTENT = ("stream", "type", "schema", "occurred_at", "recorded_at", "source", "key", "batch",
            "data")
Content = tuple[object, ...]  # an event's fields in the order of _CONTENT


def _content(event: ExportedEvent, data: str) -> Content:
    return (event.stream, event.type, event.schema, event.occurred_at, event.recorded_at,
            event.source, event.key, event.batch, data)


class _Merge:
    """Which of a file's events are new, and which conflict (the state kept across chunks).

    An id seen before (in the log, or earlier in the file) with the same
    content is skipped; with other content it is a conflict. An event with a
    new id but a key already recorded is skipped (the same note read on two
    devices); its content is held, in case its id comes round again.
    """

    def __init__(self, db: apsw.Connection, name: str, dry_run: bool) -> None:
        self.db = db
        self.name = name
        self.dry_run = dry_run
        self.check_log = True
        self.seen_ids: set[str] = set()
        self.seen_keys: set[str] = set()
        self.held: dict[str, Content] = {}
        self.same_key = 0
        self.found = 0  # conflicts
        self.conflicts: list[Conflict] = []

    def fresh(self, chunk: Lines) -> Lines:
        """The events of ``chunk`` to append (raises BadInput on a conflict, unless dry)."""
        events = chunk.events
        ids = list(map(_id, events))
        known = self._hashes(ids) if self.check_log else {}
        keys = list(map(_key, events))
        if keys.count(None) == len(keys):
            keys = []
        elif None in keys:
            keys = [key for key in keys if key is not None]
        known_keys = _present_keys(self.db, keys) if self.check_log and keys else set()
        seen_ids, seen_keys = self.seen_ids, self.seen_keys
        found: list[Conflict] = []
        differ: list[Checked] = []  # in the log under another hash: content to compare
        if not known and not known_keys and self._all_new(ids, keys) \
                and all_stamps(list(map(_occurred, events))):
            # (what _sort finds when no id or key comes round again)
            fresh = chunk
            seen_ids.update(ids)
            seen_keys.update(keys)
        else:
            fresh = Lines.of(self._sort(chunk.items(), known, known_keys, found, differ))
        unusable = first_data_problem(list(map(_type, fresh.events)), fresh.datas,
                                      list(map(_schema, fresh.events)))
        if unusable is not None:
            index, problem = unusable
            raise BadInput(f"{self.name}: line {fresh.numbers[index]}: {problem}; nothing "
                           "was imported")
        if differ:
            contents = self._stored([e.id for _n, e, _d, _p in differ])
            for number, event, data, _before in differ:
                found += self._compare(number, event, data, contents.get(event.id),
                                       "the store already has")
        if found:
            found.sort()
            if not self.dry_run:
                raise BadInput(f"{self.name}: line {found[0].line}: {found[0].message}; "
                               "nothing was imported")
            self.found += len(found)
            self.conflicts += found[:MAX_LISTED - len(self.conflicts)]
        return fresh

    def _all_new(self, ids: list[str], keys: list[str]) -> bool:
        """Whether no id and no key of a chunk was seen before, in it or earlier."""
        new_ids, new_keys = set(ids), set(keys)
        return len(new_ids) == len(ids) and self.seen_ids.isdisjoint(new_ids) \
            and len(new_keys) == len(keys) and self.seen_keys.isdisjoint(new_keys)

    def _sort(self, chunk: list[Checked], known: dict[str, str], known_keys: set[str],
              found: list[Conflict], differ: list[Checked]) -> list[Checked]:
        """The events of ``chunk`` to append, one by one; conflicts go to ``found``,
        events in the log under another hash to ``differ``."""
        seen_ids, seen_keys = self.seen_ids, self.seen_keys
        fresh: list[Checked] = []
        for item in chunk:
            number, event, data, _before = item
            if event.id in seen_ids:
                found += self._compare(number, event, data, self._earlier(event.id, fresh),
                                       "an earlier line of the file has")
                continue
            seen_ids.add(event.id)
            stored = known.get(event.id)
            if stored is not None:
                # An equal hash covers equal content (and the file's was checked).
                if stored != event.hash:
                    differ.append(item)
                continue
            key = event.key
            if key is not None:
                if key in seen_keys or key in known_keys:
                    self.same_key += 1
                    self.held[event.id] = _content(event, data)
                    continue
                seen_keys.add(key)
            problem = stamp_problem(event.occurred_at, "occurred_at")
            if problem is not None:
                raise BadInput(f"{self.name}: line {number}: {problem}; nothing was imported")
            fresh.append(item)
        return fresh

    @staticmethod
    def _compare(number: int, event: ExportedEvent, data: str, other: Content | None,
                 who: str) -> list[Conflict]:
        """A conflict, when ``other`` is another event's content under this id."""
        mine = _content(event, data)
        if other is None or other == mine:
            return []  # already here: skipped
        fields = ", ".join(name for name, a, b in zip(_CONTENT, mine, other, strict=True)
                           if a != b)
        return [Conflict(number, event.id, f"event {event.id} conflicts: {who} an event with "
                                           f"this id and a different {fields}")]

    def _earlier(self, event_id: str, fresh: list[Checked]) -> Content | None:
        """The content an id had where it first appeared in the file (rare: looked up)."""
        for _number, event, data, _before in fresh:
            if event.id == event_id:
                return _content(event, data)
        if event_id in self.held:
            return self.held[event_id]
        return self._stored([event_id]).get(event_id)

    def _hashes(self, ids: list[str]) -> dict[str, str]:
        """The hash of each of ``ids`` that the log holds."""
        return dict(self.db.execute(
            "SELECT e.id, e.hash FROM json_each(?) j JOIN events e ON e.id = j.value",
            (msgspec.json.encode(ids).decode(),)))

    def _stored(self, ids: list[str]) -> dict[str, Content]:
        """The content of each of ``ids`` that the log holds."""
        rows = self.db.execute(
            "SELECT e.id, e.stream, e.type, e.schema, e.occurred_at, e.recorded_at, e.source, "
            "e.key, e.batch, e.data FROM json_each(?) j JOIN events e ON e.id = j.value",
            (msgspec.json.encode(ids).decode(),))
        return {row[0]: tuple(row[1:]) for row in rows}


def _present_keys(db: apsw.Connection, keys: list[str]) -> set[str]:
    return {row[0] for row in db.execute(
        "SELECT j.value FROM json_each(?) j "
        "WHERE EXISTS (SELECT 1 FROM events e WHERE e.key = j.value)",
        (msgspec.json.encode(keys).decode(),))}
