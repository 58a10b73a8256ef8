"""Keeping the log in step with a notes folder.

Each note file is recorded as one batch with source ``notes:<relative path>``
and idempotency keys made of the path, the content's hash and a revision
number. Syncing a file compares its hash with what the log says the file
recorded: unchanged files cost nothing; a changed file's old events are
retracted and its new ones appended in the same transaction; a deleted file's
events are retracted. A renamed file is a delete plus an add: its facts are
retracted under the old path and recorded again under the new one. A bad note
records nothing (its previous version, if any, stays) and is reported.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable
from typing import NamedTuple

import msgspec

from coffeechat.clock import now, stamp
from coffeechat.codec import decode_payload
from coffeechat.errors import BadInput
from coffeechat.events import RETRACTED, EventRetracted
from coffeechat.fold import CONTACT_PREFIX, ROW_COLUMNS, Row, retracted_ids
from coffeechat.plugins.notes import Note, NoteBook, NoteError, NoteProblem, Parser, read_note
from coffeechat.resolve import ContactDirectory
from coffeechat.store import NewEvent, Store

SOURCE = "notes:"
_KEY = re.compile(r"^notes:.*@(?P<digest>\w+)#(?P<revision>\d+):")


class RecordedFile(NamedTuple):
    """What the log holds for one note file."""

    digest: str | None  # of the content whose events are live; None when none are
    revision: int  # the highest revision recorded so far
    live: list[tuple[str, str]]  # (event id, stream) still in effect
    created: dict[str, str]  # folded name → contact id of contacts it added


class SyncReport(NamedTuple):
    recorded: list[str]  # paths whose new content was recorded
    retracted: list[str]  # paths whose events were retracted (deleted files)
    events: int  # events appended, retractions included
    errors: list[NoteError]  # current errors (all files, not only this sync's)


class NotesFolder:
    """A folder of notes, and what the log says each file recorded."""

    def __init__(self, root: str, store: Store, parsers: dict[str, Parser], *,
                 views_dir: str | None = None) -> None:
        self.root = os.path.abspath(root)
        self.views_dir = os.path.abspath(views_dir or os.path.join(self.root, "_coffeechat"))
        if self.views_dir == self.root or self.root.startswith(self.views_dir + os.sep):
            raise BadInput(f"--views: {views_dir} holds the notes folder itself; choose a "
                           "folder inside it (the default is NOTES/_coffeechat) or elsewhere")
        self.store = store
        self.parsers = parsers
        self.errors: dict[str, NoteError] = {}
        self.deferred: list[str] = []  # files that failed to read right after a save
        self.recorded = self._load_recorded()

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

    # -- what the log says ---------------------------------------------------------

    def _load_recorded(self) -> dict[str, RecordedFile]:
        return _records(self.store, "source LIKE 'notes:%'", ())

    # -- syncing ----------------------------------------------------------------------

    def sync(self, paths: Iterable[str] | None = None, *, grace: float = 0.0) -> SyncReport:
        """Bring the log in step with the given files (or the whole folder).

        With ``grace``, a file that cannot be read and was saved less than that
        many seconds ago is not reported yet but listed in :attr:`deferred`, to
        be read again: an editor saving in steps must not cause a burst of errors.
        """
        self.deferred = []
        saved_before = time.time() - grace
        if paths is None:
            candidates = set(self.files()) | {p for p, r in self.recorded.items() if r.live}
        else:
            candidates = set(paths)
        notes: dict[str, Note] = {}
        gone: list[str] = []
        for path in sorted(candidates):
            found = read_note(self.root, path)
            if isinstance(found, NoteError):
                if grace and _modified_after(os.path.join(self.root, path), saved_before):
                    self.deferred.append(path)
                    continue
                self.errors[path] = found
            elif found is None:
                self.errors.pop(path, None)
                if self.recorded.get(path, RecordedFile(None, 0, [], {})).live:
                    gone.append(path)
            else:
                recorded = self.recorded.get(path)
                if recorded is not None and recorded.digest == found.digest:
                    self.errors.pop(path, None)  # unchanged (a previous error was fixed back)
                else:
                    notes[path] = found
        # Contact notes first: other notes in the same scan may name those contacts.
        order = sorted(notes.values(), key=lambda n: (n.front.type != "contact", n.path))
        directory = ContactDirectory.load(self.store.conn)
        taken: set[str] = set()
        batches: list[tuple[list[NewEvent], str]] = []
        recorded_paths = []
        for note in order:
            events = self._events_of(note, directory, taken)
            if events is not None:
                batches.append((events, SOURCE + note.path))
                recorded_paths.append(note.path)
        for path in gone:
            revision = self.recorded[path].revision + 1
            batches.append((self._retractions(path, f"{SOURCE}{path}@deleted#{revision}:"),
                            SOURCE + path))
        appended = self.store.append_batches(batches) if batches else []
        self.recorded.update({path: self._after(path) for path in recorded_paths + gone})
        count = sum(len(batch) for batch in appended)
        return SyncReport(recorded_paths, gone, count, self.current_errors())

    def current_errors(self) -> list[NoteError]:
        return [self.errors[path] for path in sorted(self.errors)]

    def _events_of(self, note: Note, directory: ContactDirectory, taken: set[str]
                   ) -> list[NewEvent] | None:
        recorded = self.recorded.get(note.path, RecordedFile(None, 0, [], {}))
        parser = self.parsers.get(note.front.type)
        try:
            if parser is None:
                raise NoteProblem("type", f"unknown note type {note.front.type!r} "
                                  f"(known: {', '.join(sorted(self.parsers))})")
            book = NoteBook(directory, note, taken, recorded.created)
            parser(note, book)
        except NoteProblem as problem:
            self.errors[note.path] = NoteError(note.path, note.line_of(problem.key),
                                               problem.key, problem.message)
            return None
        self.errors.pop(note.path, None)
        revision = recorded.revision + 1
        prefix = f"{SOURCE}{note.path}@{note.digest}#{revision}:"
        events = self._retractions(note.path, prefix)
        events += [NewEvent(stream=CONTACT_PREFIX + contact_id, payload=payload,
                            occurred_at=book.occurred_at, key=f"{prefix}{n}")
                   for n, (contact_id, payload) in enumerate(book.events)]
        return events

    def _retractions(self, path: str, prefix: str) -> list[NewEvent]:
        """Retract what the file recorded so far; keyed with ``prefix``, so a repeat is a no-op."""
        recorded = self.recorded.get(path, RecordedFile(None, 0, [], {}))
        at = stamp(now())
        return [NewEvent(stream=stream, payload=EventRetracted(target=event_id),
                         occurred_at=at, key=f"{prefix}undo:{event_id}")
                for event_id, stream in recorded.live]

    def _after(self, path: str) -> RecordedFile:
        """Re-read one file's record from the log after a sync changed it."""
        found = _records(self.store, "source LIKE 'notes:%' AND source = ?", (SOURCE + path,))
        return found.get(path, RecordedFile(None, 0, [], {}))


def _modified_after(path: str, moment: float) -> bool:
    try:
        return os.stat(path).st_mtime > moment
    except OSError:
        return False


def _records(store: Store, where: str, params: tuple[str, ...]) -> dict[str, RecordedFile]:
    """What each note file recorded: its live events, digest, revision and contacts."""
    db = store.conn
    rows = db.execute(f"SELECT id, stream, type, source, key, data FROM events "
                      f"WHERE {where} ORDER BY seq", params).fetchall()
    streams = sorted({row[1] for row in rows})
    undone: set[str] = set()
    if streams:  # retractions of note events may come from anywhere (a CLI undo)
        undone = retracted_ids([Row._make(r) for r in db.execute(
            f"SELECT {ROW_COLUMNS} FROM events WHERE type = ? AND stream IN "
            "(SELECT value FROM json_each(?))",
            (RETRACTED, msgspec.json.encode(streams).decode()))])
    files: dict[str, RecordedFile] = {}
    for event_id, stream, event_type, source, key, data in rows:
        path = source[len(SOURCE):]
        match = _KEY.match(key or "")
        known = files.get(path) or RecordedFile(None, 0, [], {})
        digest = known.digest
        if event_type != RETRACTED and event_id not in undone:
            known.live.append((event_id, stream))
            digest = match["digest"] if match else digest
            if event_type == "contact.added":
                name = decode_payload(event_type, 1, data).name  # type: ignore[union-attr]
                known.created[name.strip().casefold()] = stream[len(CONTACT_PREFIX):]
        revision = max(known.revision, int(match["revision"]) if match else 0)
        files[path] = RecordedFile(digest, revision, known.live, known.created)
    return {path: r._replace(digest=r.digest if r.live else None) for path, r in files.items()}
