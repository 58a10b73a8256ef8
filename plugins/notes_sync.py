"""Keeping the log in step with a notes folder.

Each note file has a stream of its own, ``note:<path>``, whose latest event
says which content of the file the log reflects (``notes.file-read`` with the
content's hash, or ``notes.file-gone``). What a file says is recorded as one
batch with source ``notes:<path>``, each event keyed by the path, the content
hash and its place in the note, so two devices reading the same note record the
same keys and a merge of their logs does not double it.

A sync reads every file first, before it takes the write lock (only regular
files inside the folder; a link is followed only to a file inside it), so a
slow, huge or hostile file can never keep another writer waiting. It then
decides everything inside one write transaction, from what it read and the
log as it is then: a file whose content is the one last read costs nothing
(even if you undid what it recorded: the undo sticks until the file changes);
a deleted file's events are retracted. Within a sync, deletions are planned
first, so a renamed file's contacts keep their ids. A bad note records nothing
(its last good version stays) and is reported.

A changed file records only what changed: of the events its new content
gives, one that this same content recorded before (same key) is kept or brought
back, one that says exactly what a live event of the file says keeps that
event, the rest are appended, and the live events it no longer gives are
retracted. Typing in a meeting note's body, saved every few hundred
milliseconds, so costs three events a save (the old meeting retracted, the new
one, the marker) however many saves; its referrals and promises keep their ids.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import apsw
import msgspec

from coffeechat.codec import Event, decode_as, encode_payloads
from coffeechat.errors import BadInput
from coffeechat.events import (
    RETRACTED,
    CommitmentMade,
    ContactAdded,
    EventRetracted,
    Payload,
    type_name,
)
from coffeechat.fold import CONTACT_PREFIX, ROW_COLUMNS, Row, retracted_ids
from coffeechat.hookspecs import hookimpl
from coffeechat.plugins.notes import NoteBook, NoteProblem, Parser
from coffeechat.plugins.notes_parse import checked_events, run_parser
from coffeechat.plugins.notes_read import (
    Note,
    NoteError,
    conflict_problem,
    name_problem,
    read_note,
    shown_name,
)
from coffeechat.resolve import ContactDirectory
from coffeechat.retractions import Retraction
from coffeechat.store import NewEvent, Store

SOURCE = "notes:"
FILE_STREAM = "note:"
META_NOTES_FOLDER = "notes_folder"  # the real path of the folder the store is synced with
# Every contact stream sorts from "contact:" up to (not including) "contact;".
CONTACT_STREAMS = (CONTACT_PREFIX, CONTACT_PREFIX[:-1] + ";")


class FileRead(Payload):
    """The log reflects this content of the note file."""

    type_name = "notes.file-read"
    searchable = False  # (bookkeeping, on the note's own stream)

    digest: str

    def describe(self) -> str:
        return f"the log reflects this version of the note (content {self.digest[:12]})"


class FileGone(Payload):
    """The note file is gone (deleted, renamed, or no longer a note)."""

    type_name = "notes.file-gone"
    searchable = False

    def describe(self) -> str:
        return "the note file is gone: what it recorded is retracted"


@hookimpl
def register_event_types(register: Any) -> None:
    register(FileRead.type_name, FileRead)
    register(FileGone.type_name, FileGone)


class Recorded(NamedTuple):
    """An event a note file recorded, as the log holds it."""

    id: str
    stream: str
    type: str
    data: str
    occurred_at: str


class FileState(NamedTuple):
    """What the log holds for one note file."""

    digest: str | None  # the content last read (None: never read, or gone)
    live: list[Recorded]  # its events still in effect
    by_key: dict[str, tuple[str, str]]  # key → (event id, stream): what this content recorded
    created: dict[str, str]  # folded name → id of the contacts it added (last time)


NO_STATE = FileState(None, [], {}, {})


class SyncReport(NamedTuple):
    recorded: list[str]  # paths whose (new) content is now in the log
    retracted: list[str]  # paths whose events were retracted (deleted files)
    events: int  # events appended, retractions included
    errors: list[NoteError]  # current errors (all files, not only this sync's)


OnCommit = Callable[[list[Event]], None]


class NotesFolder:
    """A folder of notes, kept in step with the log."""

    def __init__(self, root: str, store: Store, parsers: dict[str, Parser], *,
                 views_dir: str | None = None, catch_up: Callable[[], Any] | None = None,
                 on_commit: OnCommit | None = None) -> None:
        self.root = os.path.abspath(root)
        self.real_root = os.path.realpath(self.root)
        self.views_dir = os.path.abspath(views_dir or os.path.join(self.root, "_coffeechat"))
        if self.views_dir == self.root or self.root.startswith(self.views_dir + os.sep):
            raise BadInput(f"--views: {views_dir} holds the notes folder itself; choose a "
                           "folder inside it (the default is NOTES/_coffeechat) or elsewhere")
        if views_dir is None:
            _check_default_views(self.views_dir, os.path.join(self.real_root, "_coffeechat"))
        # A folder the user named may hold files of their own: those are never written over
        # (the default one is coffeechat's: a view scribbled over there is written again)
        self.views_named = os.path.realpath(self.views_dir) != os.path.join(
            self.real_root, "_coffeechat")  # (the default is a real folder of the notes')
        self.store = store
        self.parsers = parsers
        self.catch_up = catch_up  # brings the projections up to date inside the write
        self.on_commit = on_commit
        self.errors: dict[str, NoteError] = {}
        self.deferred: list[str] = []  # files to read again after the grace period

    # -- which files ----------------------------------------------------------------

    def relative(self, path: str) -> str | None:
        """The note path of a file in the folder, or None if it is not one to read."""
        full = os.path.abspath(path)
        if full == self.views_dir or full.startswith(self.views_dir + os.sep):
            return None
        rel = os.path.relpath(full, self.root)
        if rel.startswith(".."):
            return None
        parts = rel.split(os.sep)
        if any(part.startswith(".") for part in parts) or not rel.endswith(".md"):
            return None
        return "/".join(parts)

    def is_folder(self, path: str) -> bool:
        """Whether ``path`` is a folder of the notes folder that notes may be in."""
        full = os.path.abspath(path)
        if not os.path.isdir(full) or full == self.views_dir:
            return False
        rel = os.path.relpath(full, self.root)
        return not rel.startswith("..") and not any(
            part.startswith(".") for part in rel.split(os.sep) if part != ".")

    def files(self, under: str | None = None) -> list[str]:
        """Every candidate note file (below ``under``), skipping hidden folders and views."""
        found = []
        for folder, dirs, names in os.walk(under or self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and os.path.join(folder, d) != self.views_dir)
            for name in names:
                rel = self.relative(os.path.join(folder, name))
                if rel is not None:
                    found.append(rel)
        return sorted(found)

    def known(self, under: str | None = None) -> list[str]:
        """Note paths the log knows of (below the folder path ``under``)."""
        prefix = FILE_STREAM + (under.rstrip("/") + "/" if under else "")
        rows = self.store.conn.execute(
            "SELECT DISTINCT stream FROM events WHERE stream >= ? AND stream < ?",
            (prefix, prefix + "\U0010ffff"))
        return [row[0][len(FILE_STREAM):] for row in rows]

    def claim(self, *, moved: bool = False) -> str | None:
        """Make sure this store's notes come from this folder; a line to tell, if any.

        The store remembers the real path of the folder it is synced with (the
        ``notes_folder`` meta key). Another folder, or a folder inside it, would
        take back every note it does not hold: refused (BadInput), unless the
        remembered folder is gone or ``moved`` says the notes moved here. A store
        without the key (synced before it existed, or its meta lost) adopts this one.
        """
        mine = self.real_root
        try:
            if _meta_folder(self.store) == mine:
                return None
            with self.store.write():
                known = _meta_folder(self.store)
                if known == mine:
                    return None
                if known is not None and not moved and os.path.isdir(known):
                    inside = mine.startswith(known + os.sep)
                    raise BadInput(
                        f"watch: {mine} is " + ("a folder inside " if inside else "not ")
                        + f"{known}, this store's notes folder; watch {known}, or if the notes "
                        f"moved to {mine}, add --moved (other notes need a store of their "
                        "own: --db FILE)")
                self.store.conn.execute(
                    "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) "
                    "DO UPDATE SET value = excluded.value", (META_NOTES_FOLDER, mine))
        except apsw.SQLError:  # (no meta table: it comes back empty, and this check with it)
            return None
        if known is None:
            return None
        return f"notes folder is now {mine} (was {known}" + (")" if moved else ", now gone)")

    def recorded_count(self) -> int:
        """How many note files the log reflects now (read, and not gone since)."""
        return self.store.conn.execute(
            "SELECT count(*) FROM (SELECT type, max(version) FROM events "
            "WHERE stream >= ? AND stream < ? GROUP BY stream) WHERE type = ?",
            (FILE_STREAM, FILE_STREAM[:-1] + ";", FileRead.type_name)).get

    def current_errors(self) -> list[NoteError]:
        return [self.errors[path] for path in sorted(self.errors)]

    # -- syncing ----------------------------------------------------------------------

    def read(self, path: str) -> Note | NoteError | None:
        """Read one note file of the folder (outside any transaction).

        Only a regular file inside the folder is read. A link is followed when
        it leads inside the folder; a link to another note file of the folder
        is that note, read under its own name only.
        """
        full = os.path.join(self.root, path)
        real = os.path.realpath(full)
        if not real.startswith(self.real_root + os.sep):
            if not os.path.lexists(full):
                return None
            return NoteError(path, 1, None, "links outside the notes folder")
        if real != os.path.join(self.real_root, *path.split("/")):
            target = self.relative(os.path.join(self.root, os.path.relpath(real,
                                                                           self.real_root)))
            if target is not None and target != path:
                return None
        return read_note(real, path)

    def sync(self, paths: Iterable[str] | None = None, *, grace: float = 0.0) -> SyncReport:
        """Bring the log in step with the given files (or the whole folder).

        Every file is read before the write transaction begins; inside it, only
        what was read and the log are consulted. With ``grace``, a file that
        cannot be read or is not a note any more, when it was saved less than
        that many seconds ago, is listed in :attr:`deferred` instead: an editor
        that saves in steps must not cause a burst of errors, or a retraction
        and re-recording.
        """
        wanted = (set(self.files()) | set(self.known())) if paths is None else set(paths)
        found = self._read(sorted(wanted), grace)
        outcome: dict[str, list[str]] = {"recorded": [], "retracted": []}

        def plan() -> list[tuple[list[NewEvent], str]]:
            if self.catch_up is not None:
                self.catch_up()  # names resolve against the log as it is now
            return self._plan(found, outcome)

        appended = self.store.append_planned(plan)
        events = [event for batch in appended for event in batch]
        if events and self.on_commit is not None:
            self.on_commit(events)
        return SyncReport(outcome["recorded"], outcome["retracted"], len(events),
                          self.current_errors())

    def _read(self, paths: list[str], grace: float) -> list[tuple[str, Note | NoteError | None]]:
        """Read each file, setting aside the half-saved ones (see :meth:`sync`)."""
        self.deferred = []
        recent = time.time() - grace
        found: list[tuple[str, Note | NoteError | None]] = []
        for path in paths:
            result = self.read(path)
            if not isinstance(result, Note) and grace and _recent(
                    os.path.join(self.root, path), recent):
                self.deferred.append(path)  # half saved: look again in a moment
                continue
            problem = name_problem(path)
            if problem is None and result is not None:  # (a gone copy: what it said goes too)
                problem = conflict_problem(path)
            if problem is not None:  # a note the log cannot hold; any other file is let be
                if result is None:
                    continue
                result = NoteError(path, 1, None, problem)
            found.append((path, result))
        return found

    def _plan(self, found: list[tuple[str, Note | NoteError | None]],
              outcome: dict[str, list[str]]) -> list[tuple[list[NewEvent], str]]:
        """The batches that bring the log in step with what was read (inside the write)."""
        states = _file_states(self.store, [p for p, _r in found if name_problem(p) is None],
                              {path: r.digest for path, r in found if isinstance(r, Note)})
        notes: list[Note] = []
        gone: list[str] = []
        for path, result in found:
            state = states.get(path, NO_STATE)
            if isinstance(result, Note):
                if result.digest == state.digest:
                    self.errors.pop(path, None)  # unchanged (or an error undone by hand)
                else:
                    notes.append(result)
            elif isinstance(result, NoteError):
                self.errors[path] = result._replace(path=shown_name(result.path))  # (one line)
            else:
                self.errors.pop(path, None)
                if state.digest is not None:  # it was a note, and now is not (or is gone)
                    gone.append(path)
        batches: list[tuple[list[NewEvent], str]] = []
        released: dict[str, str] = {}  # contacts of gone files, for the renamed ones
        moved: dict[str, str] = {}  # content of a gone file → the time its events carried
        for path in gone:
            state = states[path]
            released.update(state.created)
            if state.digest is not None and state.live:  # (renamed: the same content)
                moved[state.digest] = min(r.occurred_at for r in state.live)
            batches.append(([*self._retract([(r.id, r.stream) for r in state.live]),
                             self._marker(path, None)], SOURCE + path))
            outcome["retracted"].append(path)
        directory = ContactDirectory.load(self.store.conn)
        # Contact notes first: other notes in the same sync may name those contacts.
        for note in sorted(notes, key=lambda n: (n.front.type != "contact", n.path)):
            events = self._record(note, states.get(note.path, NO_STATE), directory, released,
                                  moved.get(note.digest))
            if events is not None:
                batches.append((events, SOURCE + note.path))
                outcome["recorded"].append(note.path)
        return batches

    def _record(self, note: Note, state: FileState, directory: ContactDirectory,
                released: dict[str, str], moved_at: str | None) -> list[NewEvent] | None:
        """The batch that brings this file's new content into the log, or None if it is bad.

        ``moved_at``: the time the events of a gone file with this same content carried
        (the note was renamed), for a note without a date.
        """
        made = self._parse(note, state, directory, released, moved_at)
        if made is None:
            return None
        self.errors.pop(note.path, None)
        return [*self._changes(state, made), self._marker(note.path, note.digest)]

    def _changes(self, state: FileState, made: list[NewEvent]) -> list[NewEvent]:
        """What turns the file's live events into ``made``: only what differs (see above)."""
        if not state.live and not state.by_key:
            return made  # (a file read for the first time)
        live = {r.id for r in state.live}
        earlier = [state.by_key.get(new.key or "") for new in made]
        keep = {e[0] for e in earlier if e is not None and e[0] in live}
        back = [e for e in earlier if e is not None and e[0] not in live]  # retracted since
        fresh = [new for new, e in zip(made, earlier, strict=True) if e is None]
        same: dict[tuple[str, str, str, str], list[str]] = {}  # what a live event says → it
        for r in state.live:
            if r.id not in keep:
                same.setdefault((r.stream, r.type, r.data, r.occurred_at), []).append(r.id)
        # A promise is the same promise when only the note's time moved: it keeps its id
        # (the one `done` takes) and the time it was first recorded at.
        promises: dict[tuple[str, str], list[str]] = {}
        for (stream, kind, data, _at), ids in same.items():
            if kind == _PROMISE:
                promises.setdefault((stream, data), []).extend(ids)
        appended = []
        for new, data in zip(fresh, encode_payloads([n.payload for n in fresh]), strict=True):
            kind = type_name(new.payload)
            found = [i for i in same.get((new.stream, kind, data, new.occurred_at), ())
                     if i not in keep]
            if not found and kind == _PROMISE:
                found = [i for i in promises.get((new.stream, data), ()) if i not in keep]
            if found:
                keep.add(found[0])
            else:
                appended.append(new)
        gone = [(r.id, r.stream) for r in state.live if r.id not in keep]
        return [*self._retract(gone), *self._restore(back), *appended]

    def _parse(self, note: Note, state: FileState, directory: ContactDirectory,
               released: dict[str, str], moved_at: str | None) -> list[NewEvent] | None:
        parser = self.parsers.get(note.front.type)
        book: NoteBook | None = None
        try:
            if parser is None:
                raise NoteProblem("type", f"unknown note type {note.front.type!r} "
                                  f"(known: {', '.join(sorted(self.parsers))})")
            own = next(iter(state.created.values()), None) if note.front.type == "contact" \
                else None
            recorded_at = min((r.occurred_at for r in state.live), default=moved_at)
            book = NoteBook(directory, note, {**released, **state.created}, own=own,
                            recorded_at=recorded_at)
            run_parser(parser, note.front.type, note, book)
            return checked_events(note, book, f"{SOURCE}{note.path}@{note.digest}:")
        except NoteProblem as problem:
            if book is not None:
                book.withdraw()
            self.errors[note.path] = NoteError(shown_name(note.path), note.line_of(problem.key),
                                               problem.key, problem.message)
            return None

    def _retract(self, live: list[tuple[str, str]]) -> list[NewEvent]:
        at = _now()
        return [NewEvent(stream=stream, payload=EventRetracted(target=event_id), occurred_at=at)
                for event_id, stream in live]

    def _restore(self, earlier: list[tuple[str, str]]) -> list[NewEvent]:
        """Retract the live retractions of these events, which brings them back."""
        if not earlier:
            return []
        db = self.store.conn
        streams = sorted({stream for _id, stream in earlier})
        rows = [Row._make(r) for r in db.execute(
            f"SELECT {ROW_COLUMNS} FROM events WHERE type = ? AND stream IN "
            "(SELECT value FROM json_each(?))", (RETRACTED, msgspec.json.encode(streams).decode()))]
        undone = retracted_ids(rows)
        wanted = {event_id for event_id, _stream in earlier}
        live_retractions = [(r.id, r.stream) for r in rows if r.id not in undone
                            and decode_as(EventRetracted, 1, r.data).target in wanted]
        return self._retract(live_retractions)

    def _marker(self, path: str, digest: str | None) -> NewEvent:
        payload: Payload = FileRead(digest=digest) if digest else FileGone()
        return NewEvent(stream=FILE_STREAM + path, payload=payload, occurred_at=_now())


_PROMISE = CommitmentMade.type_name


def _meta_folder(store: Store) -> str | None:
    row = store.conn.execute("SELECT value FROM meta WHERE key = ?",
                             (META_NOTES_FOLDER,)).fetchone()
    return row[0] if row else None


def _check_default_views(views_dir: str, expected: str) -> None:
    """The default views folder must be what it says: a folder of the notes folder itself."""
    if not os.path.lexists(views_dir):
        return
    real = os.path.realpath(views_dir)
    if real != expected:
        raise BadInput(f"views: {views_dir} leads to {real}; to write the views there, "
                       "name it with --views DIR")
    if not os.path.isdir(views_dir):
        raise BadInput(f"views: {views_dir} is not a folder; move it away or choose "
                       "another with --views DIR")


def _now() -> str:
    from coffeechat.clock import now, stamp

    return stamp(now())


def _recent(path: str, since: float) -> bool:
    """Saved after ``since`` (a file that is not there is not recent: it is gone)."""
    try:
        return os.stat(path).st_mtime > since
    except OSError:
        return False


def _file_states(store: Store, paths: list[str], digests: dict[str, str]) -> dict[str, FileState]:
    """What the log says about each of these files (read inside the write transaction).

    ``digests`` gives the content just read of each file that is a note: of the
    events a file ever recorded, only those keyed with that content are looked
    up (:meth:`NotesFolder._changes` asks for no other), and only live events
    keep their payload. A note edited thousands of times leaves thousands of
    dead versions in the log; a save must not hold them all in memory at once
    (a watcher's memory would follow the busiest note's history).
    """
    db = store.conn
    if not paths:
        return {}
    sources = msgspec.json.encode([SOURCE + p for p in paths]).decode()
    mine = ("WHERE source LIKE 'notes:%' AND source IN (SELECT value FROM json_each(?)) "
            "AND +stream >= ? AND +stream < ?")
    streams = [s for (s,) in db.execute(f"SELECT DISTINCT stream FROM events {mine}",
                                        (sources, *CONTACT_STREAMS))]
    undone: set[str] = set()
    if streams:  # retractions of a note's events may come from anywhere (a CLI undo)
        undone = retracted_ids(Retraction._make(r) for r in db.execute(
            "SELECT id, type, schema, data FROM events WHERE type = ? AND stream IN "
            "(SELECT value FROM json_each(?))", (RETRACTED, msgspec.json.encode(streams).decode())))
    states: dict[str, FileState] = {}
    live: dict[str, tuple[str, str, str]] = {}  # event id → (path, stream, type)
    # (a cursor, read row by row: dead versions pass through, none is kept)
    for event_id, stream, event_type, source, name_data in db.execute(
            "SELECT id, stream, type, source, "
            "CASE WHEN type = 'contact.added' THEN data END "
            f"FROM events {mine} AND type != ? ORDER BY seq", (sources, *CONTACT_STREAMS,
                                                             RETRACTED)):
        path = source[len(SOURCE):]
        state = states.setdefault(path, FileState(None, [], {}, {}))
        if event_id not in undone:
            live[event_id] = (path, stream, event_type)
        if name_data is not None and (event_id not in undone or not state.created):
            name = decode_as(ContactAdded, 1, name_data).name
            state.created[name.strip().casefold()] = stream[len(CONTACT_PREFIX):]
    if live:
        for event_id, data, occurred_at in db.execute(
                "SELECT id, data, occurred_at FROM events WHERE id IN "
                "(SELECT value FROM json_each(?)) ORDER BY seq",
                (msgspec.json.encode(list(live)).decode(),)):
            path, stream, event_type = live[event_id]
            states[path].live.append(Recorded(event_id, stream, event_type, data, occurred_at))
    for path, content in digests.items():
        prefix = f"{SOURCE}{path}@{content}:"
        for key, event_id, stream in db.execute(
                "SELECT key, id, stream FROM events WHERE key >= ? AND key < ? "
                "AND source = ? AND +stream >= ? AND +stream < ? AND type != ?",
                (prefix, prefix + "\U0010ffff", SOURCE + path, *CONTACT_STREAMS, RETRACTED)):
            states.setdefault(path, FileState(None, [], {}, {})).by_key[key] = (event_id, stream)
    for path in paths:
        marker = db.execute(
            "SELECT type, data FROM events WHERE stream = ? ORDER BY version DESC "
            "LIMIT 1", (FILE_STREAM + path,)).fetchone()
        if marker is None:
            continue
        event_type, data = marker
        digest = msgspec.json.decode(data).get("digest") if event_type == "notes.file-read" \
            else None
        state = states.get(path, FileState(None, [], {}, {}))
        states[path] = state._replace(digest=digest)
    return states
