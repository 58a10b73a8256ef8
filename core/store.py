"""The append-only event log: one SQLite file, written through apsw.

Every write is one ``BEGIN IMMEDIATE`` transaction with a busy timeout and a
bounded retry, so a CLI command and a running watcher can append at once and
nothing is lost or duplicated. The database itself refuses UPDATE and DELETE
on events (triggers); each row's hash chains over the previous row's, so
:meth:`Store.verify` notices a row changed behind our back.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import starmap
from typing import TYPE_CHECKING

import apsw
import msgspec

from coffeechat import clock
from coffeechat.collector import collector_paused
from coffeechat.errors import ConflictError, StoreError
from coffeechat.ids import uuid7, uuid7_batch
from coffeechat.migrations import EVENT_COLUMNS, MIGRATIONS

if TYPE_CHECKING:
    from coffeechat.codec import Event
    from coffeechat.events import Payload
    from coffeechat.integrity import HeadFile, VerifyReport
else:  # (what NewEvent's signature shows at run time, in help(): Payload's own base.
    # Importing coffeechat.events here would cost the commands that never build one.)
    Payload = msgspec.Struct

# (The codec and the event types are imported where an event is written or read, not
# here: a view such as `due` opens the store and reads only the projections.)

BUSY_TIMEOUT_MS = 5000
MAP_BYTES = 1 << 30  # what map_for_reading maps of the file at most
BUSY_RETRIES = 3
MEMORY = ":memory:"


class NewEvent(msgspec.Struct, kw_only=True):
    """An event to append. The store fills in seq, version, times, batch and hash."""

    stream: str
    payload: Payload
    occurred_at: str  # a clock.stamp()
    key: str | None = None
    id: str | None = None
    type: str | None = None  # defaults to the payload's registered type name


__all__ = ["MEMORY", "Event", "NewEvent", "Store", "open_store"]


def __getattr__(name: str) -> object:
    if name == "Event":  # (kept importable from here; it lives in coffeechat.codec)
        from coffeechat.codec import Event

        return Event
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

_INSERT = f"INSERT INTO events({EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
# The log's last event and one stream's version, in one statement (no row: an empty log).
_TAIL_AND_VERSION = ("SELECT seq, hash, (SELECT max(version) FROM events WHERE stream = ?) "
                     "FROM events ORDER BY seq DESC LIMIT 1")


class Store:
    """An open event log. Use :func:`open_store` to get one."""

    def __init__(self, conn: apsw.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._appended: tuple[int, str] | None = None  # the tail this transaction wrote
        self._head: HeadFile | None = None
        # After this connection's last single append: the file's data version then,
        # the log's tail (seq, hash) and the versions of the streams it appended to.
        self._known: tuple[int, int, str, dict[str, int]] | None = None

    # -- transactions ---------------------------------------------------------

    @contextmanager
    def write(self, *, durable: bool = True) -> Iterator[apsw.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on error.

        ``durable=False`` is for what can be worked out again from the log (the
        projections): its commit does not wait for the disk (``synchronous=NORMAL``
        in WAL mode: a power cut may undo it whole, never half; the next commit of
        an event syncs it with that event). Events are only ever written durably.
        """
        lax = not durable and self.path != MEMORY
        try:  # (the setting is put back whatever happens, a Ctrl-C at any point included)
            if lax:
                self.conn.execute("PRAGMA synchronous=NORMAL")
            self._begin()
            try:
                yield self.conn
                self._commit()
            except BaseException as error:
                self._roll_back(error)
                raise
        finally:
            if lax:
                self.conn.execute("PRAGMA synchronous=FULL")
        self._remember_head()

    # (a one-event append runs these itself: a generator-based context manager
    # costs it more than the rest of its Python)

    def _begin(self) -> None:
        self._appended = None
        try:  # (the retries' loop only when needed: a frame less for every append)
            self.conn.execute("BEGIN IMMEDIATE")
        except apsw.BusyError:
            self._retry_busy("BEGIN IMMEDIATE",
                             "the store stayed busy (another coffeechat is writing); try again")

    def _commit(self) -> None:
        try:
            self.conn.execute("COMMIT")
        except apsw.BusyError:
            self._retry_busy("COMMIT", "could not commit, the store stayed busy")

    def _roll_back(self, error: BaseException) -> None:
        """Roll back after ``error``; if the disk is full, raise the error that says so
        instead (the caller re-raises ``error`` itself otherwise)."""
        if not self.conn.getautocommit():
            self.conn.execute("ROLLBACK")
        full = _disk_full(error, self.path)
        if full is not None:
            raise full from None

    def _remember_head(self) -> None:
        if self._appended is not None and self.path != MEMORY:
            if self._head is None:
                from coffeechat.integrity import HeadFile

                self._head = HeadFile(self.path)
            self._head.remember(*self._appended)

    def appended(self, seq: int, last_hash: str) -> None:
        """Say that the transaction under way wrote events up to ``seq`` (for the head).

        :meth:`append` does this itself; code that inserts rows in a :meth:`write`
        of its own (the jsonl import) calls it.
        """
        self._appended = (seq, last_hash)

    def _retry_busy(self, statement: str, failure: str) -> None:
        """Run ``statement`` again after it found the store busy (SQLite's busy timeout
        waited already): a few more tries, a pause before each."""
        for attempt in range(1, BUSY_RETRIES):
            time.sleep(0.05 * attempt)
            try:
                self.conn.execute(statement)
                return
            except apsw.BusyError:
                pass
        raise StoreError(f"{self.path}: {failure}") from None

    # -- appending ------------------------------------------------------------

    def append(
        self,
        new_events: Sequence[NewEvent],
        *,
        source: str = "cli",
        expected: dict[str, int] | None = None,
    ) -> list[Event]:
        """Append events as one transaction and return those actually written.

        An event whose id (or idempotency key) is already in the log is skipped:
        appending it again is a no-op. ``expected`` maps a stream to the version
        the caller last saw; if the stream has moved on, :class:`ConflictError`
        is raised and nothing is written. Events are checked, encoded and given
        ids before the write lock is taken.
        """
        if not new_events:
            return []
        if len(new_events) == 1:
            return self._append_one(new_events[0], source, expected)
        from coffeechat.appending import prepare

        with collector_paused():  # (the checks make an object or more per event, too)
            prepared = prepare(new_events)
            ids = _ids(new_events)
            self._begin()
            try:
                written = self._append_prepared(new_events, prepared, ids, source,
                                                expected or {})
                self._commit()
            except BaseException as error:
                self._roll_back(error)
                raise
        self._remember_head()
        return written

    def _append_one(self, new: NewEvent, source: str, expected: dict[str, int] | None
                    ) -> list[Event]:
        """:meth:`append` of one event (the usual command's), kept short.

        The write lock is held for one read of the tail (none when the file is
        as this connection's last append left it), one INSERT and the commit.
        One event needs neither a savepoint (SQLite undoes a failed statement
        whole) nor a pause of the cyclic collector.
        """
        from coffeechat.appending import chained_row, prepare_one, written

        event_type, data = prepare_one(new)
        made, batch = uuid7_batch(2)  # (the event's id if it has none, and the batch's)
        event_id = new.id or made
        stream, db = new.stream, self.conn
        self._begin()
        try:
            recorded_at = clock.now_stamp()  # (once the lock is ours: it never goes back)
            known, self._known = self._known, None
            versions = known[3] if known is not None and known[0] == db.data_version() else {}
            if known is not None and stream in versions:
                # Nothing has changed the file since this connection's last append: the
                # tail is where that left it (a long-lived writer saves a read).
                seq, previous = known[1], known[2]
            else:
                last = db.execute(_TAIL_AND_VERSION, (stream,)).fetchone()
                seq, previous, version = last if last else (0, "", 0)
                versions[stream] = version or 0
            if expected:
                seen = {stream: versions[stream]}
                if expected.keys() - seen.keys():  # (a caller may watch another stream too)
                    seen.update(self.versions(expected.keys() - seen.keys()))
                self._check_expected(expected, seen)
            row = chained_row(previous, seq + 1, event_id, new, versions[stream] + 1,
                              event_type, data, recorded_at, source, batch)
            try:
                db.execute(_INSERT, row)
            except apsw.ConstraintError as error:
                if not _recorded_already(error):
                    raise
                self._check_expected(expected or {}, self.versions(set(expected or ())))
                self._commit()
                return []
            self._appended = (row[0], row[-1])
            self._commit()
        except BaseException as error:
            self._roll_back(error)
            raise
        versions[stream] = row[3]
        self._known = (db.data_version(), row[0], row[-1], versions)
        self._remember_head()
        return written(row)

    def append_planned(self, plan: Callable[[], Sequence[tuple[Sequence[NewEvent], str]]]
                       ) -> list[list[Event]]:
        """Run ``plan`` inside a write transaction, then append the batches it returns.

        ``plan`` reads the log while no other writer can change it, so what it
        decides holds when its batches are appended. Each batch (events, source)
        gets its own batch id and can be undone alone; writing them together saves
        a commit per batch (a first scan of a notes folder has thousands).
        """
        from coffeechat.appending import prepare

        with self.write():
            batches = plan()
            with collector_paused():
                return [self._append_prepared(events, prepare(events), _ids(events), source,
                                              {}) if events else []
                        for events, source in batches]

    def _append_prepared(self, new_events: Sequence[NewEvent],
                         prepared: tuple[list[str], list[str]], ids: list[str], source: str,
                         expected: dict[str, int]) -> list[Event]:
        """Append events :func:`~coffeechat.appending.prepare` found fine (inside the
        caller's transaction), skipping those the log holds already."""
        batch = uuid7()
        # Optimistically write everything; a batch that repeats a recorded id or
        # key (a re-import, a retried append) is undone to its savepoint and
        # written again without the events already in the log.
        try:
            with self.conn:
                return self._insert(new_events, range(len(new_events)), prepared, ids,
                                    source, expected, batch)
        except apsw.ConstraintError as error:
            if not _recorded_already(error):
                raise
        keep = self._not_yet_recorded(new_events, ids)
        if not keep:
            self._check_expected(expected, self.versions(set(expected)))
            return []
        with self.conn:  # (apsw's __exit__ never swallows the error: mypy cannot tell)
            written = self._insert(new_events, keep, prepared, ids, source, expected, batch)
        return written

    def _insert(self, new_events: Sequence[NewEvent], keep: Sequence[int],
                prepared: tuple[list[str], list[str]], ids: list[str], source: str,
                expected: dict[str, int], batch: str) -> list[Event]:
        """Number, hash and insert the events at ``keep`` (inside the caller's transaction)."""
        from coffeechat.appending import numbered_rows
        from coffeechat.codec import Event

        streams = {new_events[index].stream for index in keep} | expected.keys()
        versions = self.versions(streams)
        self._check_expected(expected, versions)
        types, datas = prepared
        rows = numbered_rows(new_events, keep, ids, types, datas, self.tail(), versions,
                             clock.stamp(clock.now()), source, batch)
        self.conn.executemany(_INSERT, rows)
        if rows:
            self.appended(rows[-1][0], rows[-1][-1])
        return list(starmap(Event, rows))  # (event_from_row without a frame per row)

    def _not_yet_recorded(self, new_events: Sequence[NewEvent], ids: list[str]) -> list[int]:
        """Indexes of the events whose id and key are new (first occurrence wins)."""
        encode = msgspec.json.encode
        seen = {
            row[0]
            for row in self.conn.execute(
                "SELECT id FROM events WHERE id IN (SELECT value FROM json_each(?))",
                (encode(ids).decode(),),
            )
        }
        keys = [e.key for e in new_events if e.key is not None]
        seen_keys: set[str] = set()
        if keys:
            seen_keys = {
                row[0]
                for row in self.conn.execute(
                    "SELECT key FROM events WHERE key IN (SELECT value FROM json_each(?))",
                    (encode(keys).decode(),),
                )
            }
        keep = []
        for index, event_id in enumerate(ids):
            key = new_events[index].key
            if event_id in seen or (key is not None and key in seen_keys):
                continue
            seen.add(event_id)
            if key is not None:
                seen_keys.add(key)
            keep.append(index)
        return keep

    def tail(self) -> tuple[int, str]:
        """The last event's seq and hash ((0, "") for an empty log): where the chain goes on."""
        last = self.conn.execute(
            "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return (last[0], last[1]) if last else (0, "")

    def versions(self, streams: set[str]) -> dict[str, int]:
        """The current version of each stream (0 for a new one), in one query."""
        versions = dict.fromkeys(streams, 0)
        versions.update(self.conn.execute(
            "SELECT stream, max(version) FROM events "
            "WHERE stream IN (SELECT value FROM json_each(?)) GROUP BY stream",
            (msgspec.json.encode(sorted(streams)).decode(),)))
        return versions

    @staticmethod
    def _check_expected(expected: dict[str, int], versions: dict[str, int]) -> None:
        for stream, version in expected.items():
            actual = versions.get(stream)
            if actual is not None and actual != version:
                raise ConflictError(stream, version, actual)

    # -- reading --------------------------------------------------------------

    def map_for_reading(self) -> None:
        """Read the file through a memory map from now on (SQLite's ``mmap_size``).

        For a command that reads many pages and writes little (the views): each page
        is then a memory access instead of a read() call, 1-5 ms of a ``due`` on the
        100k store. Writes still go through write() and fsync, as before.
        """
        if self.path != MEMORY:
            self.conn.execute(f"PRAGMA mmap_size={MAP_BYTES}")

    def last_seq(self) -> int:
        return self.conn.execute("SELECT max(seq) FROM events").get or 0

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM events").get

    def stream_version(self, stream: str) -> int:
        return self.conn.execute(
            "SELECT max(version) FROM events WHERE stream = ?", (stream,)
        ).get or 0

    def find(self, id_prefix: str, event_type: str | None = None, limit: int = 5
             ) -> list[Event]:
        """Events (of one type, if given) whose id starts with ``id_prefix``; at most ``limit``."""
        if not id_prefix:
            return []
        from coffeechat.codec import event_from_row

        sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE id >= ? AND id < ?"
        params: list[object] = [id_prefix, id_prefix + "\U0010ffff"]
        if event_type is not None:
            sql += " AND type = ?"
            params.append(event_type)
        rows = self.conn.execute(sql + " ORDER BY id LIMIT ?", [*params, limit])
        return [event_from_row(row) for row in rows]

    def events(
        self,
        *,
        after: int = 0,
        stream: str | None = None,
        event_type: str | None = None,
        since: str | None = None,
        recorded_by: str | None = None,
        by_time: bool = False,
    ) -> Iterator[Event]:
        """Events after ``seq`` ``after``, filtered, in ``seq`` order (or by time).

        ``since`` keeps events that happened at or after a stamp; ``recorded_by``
        keeps those recorded at or before one; ``by_time`` orders by
        (occurred_at, id), the order a contact's story is told in.
        """
        filters = (("seq > ?", after), ("stream = ?", stream), ("type = ?", event_type),
                   ("occurred_at >= ?", since), ("recorded_at <= ?", recorded_by))
        used = [(clause, value) for clause, value in filters if value is not None]
        where = " AND ".join(clause for clause, _ in used)
        order = "occurred_at, id" if by_time else "seq"
        sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE {where} ORDER BY {order}"
        from coffeechat.codec import event_from_row

        for row in self.conn.execute(sql, [value for _, value in used]):
            yield event_from_row(row)

    # -- integrity ------------------------------------------------------------

    def verify(self) -> VerifyReport:
        """Check integrity, the triggers, the hash chain, the head, and every event's use."""
        from coffeechat.integrity import verify

        return verify(self.conn, None if self.path == MEMORY else self.path)

    def backup(self, dest: str | os.PathLike[str], *, pages_per_step: int = 1024) -> None:
        """Copy the whole store to ``dest`` with SQLite's online backup API, and its head."""
        dest_path = os.fspath(dest)
        partial = dest_path + ".partial"
        _remove_partial(partial)  # what a killed backup left behind
        _create_private_file(partial)
        try:
            target = apsw.Connection(str(partial))
            try:
                with target.backup("main", self.conn, "main") as job:
                    while not job.done:
                        job.step(pages_per_step)
                target.execute("PRAGMA journal_mode=DELETE")
                tail = target.execute(
                    "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
            finally:
                target.close()
            os.replace(partial, dest_path)
        except BaseException as error:
            _remove_partial(partial)
            full = _disk_full(error, dest_path)
            if full is not None:
                raise full from None
            raise
        from coffeechat.integrity import Head, reset_head

        # The copy's own head: what it holds now (a copy made over an older one
        # must not be measured against the head that one left).
        reset_head(dest_path, Head(*tail) if tail else None)

    def close(self) -> None:
        if self._head is not None:
            self._head.close()
        self.conn.close()


def _ids(new_events: Sequence[NewEvent]) -> list[str]:
    """Each event's id: its own, or a new one (made in bulk)."""
    given = [new.id for new in new_events]
    missing = given.count(None)
    fresh = iter(uuid7_batch(missing) if missing else ())
    return [i if i is not None else next(fresh) for i in given]


def _recorded_already(error: apsw.ConstraintError) -> bool:
    """Whether a failed INSERT met an event id or key the log holds already."""
    return "events.id" in str(error) or "events.key" in str(error)


def _create_private_file(path: str) -> None:
    from coffeechat.files import make_folder

    make_folder(os.path.dirname(os.path.abspath(path)))
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def _remove_partial(partial: str) -> None:
    """A partial copy and SQLite's files beside it (a hot journal must not outlive it)."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial + suffix)


def _disk_full(error: BaseException, path: str) -> StoreError | None:
    """A store error saying the disk is full, when that is what ``error`` comes down to.

    SQLite says SQLITE_FULL, or "disk I/O error" where a write failed half way;
    apsw may then report a savepoint it could not roll back instead. Follow the
    chain of errors, and ask the file system when the cause is an I/O error.
    """
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, apsw.FullError) or (
                isinstance(seen, apsw.IOError | OSError) and _no_space(path)):
            return StoreError(f"{path}: the disk is full; nothing was written (the store is as "
                              "it was): free some space and try again")
        seen = seen.__context__
    return None


def _no_space(path: str) -> bool:
    try:
        info = os.statvfs(os.path.dirname(os.path.abspath(path)))
    except (OSError, AttributeError):
        return False
    return info.f_bavail * info.f_frsize < 1024 * 1024


def open_store(path: str | os.PathLike[str]) -> Store:
    """Open the store at ``path`` and run pending migrations; create it (0600) if new.

    A new store is built beside ``path`` and moved into place whole, so a store
    file is never empty. An empty file, or no file where the head (see
    :mod:`coffeechat.integrity`) says a store was, is refused rather than
    silently replaced by an empty store.
    """
    name = os.fspath(path)
    if name == MEMORY:
        return _open(name)
    try:
        size = os.stat(name).st_size
    except FileNotFoundError:
        size = None
    except OSError as error:
        raise StoreError(f"{name}: cannot open the store ({error.strerror})") from None
    if size == 0:
        raise StoreError(f"{name}: the file is empty (0 bytes), not a coffeechat store: if it "
                         "held your store, restore it from a backup; to start afresh, delete "
                         "the empty file")
    if size is None:
        from coffeechat.integrity import read_head

        head = read_head(name)
        if head is not None:
            raise StoreError(
                f"{name}: the store is missing, but it held {head.seq} events: restore it "
                f"from a backup (or, to start afresh, delete {name}.head)")
        _create(name)
    return _open(name)


def _create(name: str) -> None:
    """Build a new, migrated store beside ``name`` and link it into place."""
    fresh = f"{name}.{os.getpid()}.new"
    _remove_partial(fresh)
    try:
        _create_private_file(fresh)
        _open(fresh).close()
        try:
            os.link(fresh, name)
        except FileExistsError:
            pass  # another process created it first: use theirs
        except OSError:  # a file system without hard links
            if not os.path.exists(name):
                os.rename(fresh, name)
    except OSError as error:
        raise StoreError(f"{name}: cannot create the store ({error.strerror})") from None
    finally:
        _remove_partial(fresh)


def _open(name: str) -> Store:
    try:
        conn = apsw.Connection(name)
        conn.setbusytimeout(BUSY_TIMEOUT_MS)
        if name != MEMORY:
            mode = conn.execute("PRAGMA journal_mode=WAL").get
            if mode != "wal":
                raise StoreError(f"{name}: could not switch the store to WAL mode")
        conn.execute("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON")
        store = Store(conn, name)
        _migrate(store)
    except apsw.Error as error:
        full = _disk_full(error, name)
        raise (full or StoreError(f"{name}: cannot open the store ({error})")) from None
    return store


def _migrate(store: Store) -> None:
    db = store.conn
    if db.execute("PRAGMA user_version").get == len(MIGRATIONS):
        return
    with store.write():
        version = db.execute("PRAGMA user_version").get
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{store.path}: written by a newer coffeechat (schema {version}); upgrade"
            )
        db.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in db.execute("SELECT name FROM migrations")}
        # user_version says how many ran, in order: a migrations table that lost them
        # (dropped behind our back, recreated empty above) must not make them run again.
        lost = [(name, clock.stamp(clock.now())) for name, _step in MIGRATIONS[:version]
                if name not in done]
        db.executemany("INSERT INTO migrations(name, applied_at) VALUES (?, ?)", lost)
        done.update(name for name, _stamp in lost)
        for name, step in MIGRATIONS:
            if name in done:
                continue
            step(db)
            db.execute(
                "INSERT INTO migrations(name, applied_at) VALUES (?, ?)",
                (name, clock.stamp(clock.now())),
            )
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")


# The bookkeeping tables beside the log, as the migrations made them (a test compares
# them with a fresh store's). user_version gates the migrations, so a table dropped
# behind coffeechat's back would never come back: the projector recreates it when it
# next works (:func:`restore_bookkeeping`), and verify names it.
BOOKKEEPING = {
    "migrations": "CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)",
    "projections": "CREATE TABLE projections (name TEXT PRIMARY KEY, "
                   "version INTEGER NOT NULL, checkpoint INTEGER NOT NULL)",
    "meta": "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
}


def table_names(db: apsw.Connection) -> set[str]:
    """The names of the main schema's tables, in lower case (one read of sqlite_master)."""
    return _names(db, "table")


def index_names(db: apsw.Connection) -> set[str]:
    """The names of the main schema's indexes, in lower case."""
    return _names(db, "index")


def _names(db: apsw.Connection, kind: str) -> set[str]:
    return {str(row[0]).lower() for row in db.execute(
        "SELECT name FROM main.sqlite_master WHERE type = ?", (kind,))}


def missing_bookkeeping(present: set[str]) -> list[str]:
    """The bookkeeping tables that are not among ``present`` (see :func:`table_names`)."""
    return [name for name in BOOKKEEPING if name not in present]


def restore_bookkeeping(db: apsw.Connection, present: set[str]) -> list[str]:
    """Recreate the bookkeeping tables missing from ``present``; return their names.

    Inside the caller's write transaction. ``projections`` and ``meta`` come back
    empty (every projection is then rebuilt from the log, the settings noted
    again); ``migrations`` gets the names of the migrations ``user_version`` says
    have run.
    """
    missing = missing_bookkeeping(present)
    for name in missing:
        db.execute(BOOKKEEPING[name])
    if "migrations" in missing:
        version = db.execute("PRAGMA user_version").get
        db.executemany("INSERT INTO migrations(name, applied_at) VALUES (?, ?)",
                       [(name, clock.stamp(clock.now())) for name, _step
                        in MIGRATIONS[:version]])
    return missing
