"""Watching a notes folder: sync changed files, keep the Markdown views current.

The loop runs on watchfiles with a short debounce. It also wakes a few times
a second to notice the store changing under it (the CLI recording while it
runs) and, once a minute, to let time pass in the views (an item becomes
overdue). Views are written atomically and only when their text changed; the
views folder itself is never watched, so writing views cannot loop.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from coffeechat.clock import now, stamp
from coffeechat.files import replace_file
from coffeechat.fold import CONTACT_PREFIX
from coffeechat.plugins.markdown_views import ViewContext
from coffeechat.plugins.notes_sync import NotesFolder, SyncReport
from coffeechat.projections.projector import Projector

DEBOUNCE_MS = 40
TICK_MS = 250
CLOCK_SECONDS = 60  # how often time alone re-renders the views
GRACE_SECONDS = 0.6  # a note that fails to read this soon after a save is read again first

Render = Callable[[ViewContext], dict[str, str]]


MARK = "<!-- written by coffeechat watch from the log: edits here are overwritten -->\n"


class ViewWriter:
    """Writes rendered views into the views folder, atomically and only when changed.

    Every file it writes starts with :data:`MARK`; it only ever removes files
    that carry it, so a views folder shared with anything else loses nothing.
    """

    def __init__(self, views_dir: str, views: dict[str, Render]) -> None:
        self.views_dir = views_dir
        self.views = views
        self.written: dict[str, str] = {}

    def write(self, ctx: ViewContext) -> list[str]:
        """Render every view; return the paths whose content changed."""
        changed = []
        for render in self.views.values():
            for rel, text in render(ctx).items():
                if self._write(rel, MARK + text):
                    changed.append(rel)
        if ctx.pages is None:
            changed += self._prune(ctx)
        return changed

    def _write(self, rel: str, text: str) -> bool:
        path = os.path.join(self.views_dir, rel)
        inside = os.path.realpath(self.views_dir) + os.sep
        if not os.path.realpath(path).startswith(inside):
            raise ValueError(f"a view may only be written inside {self.views_dir}: {rel!r}")
        if self.written.get(rel) == text:
            return False
        try:
            with open(path, encoding="utf-8") as existing:
                if existing.read() == text:
                    self.written[rel] = text
                    return False
        except OSError:
            pass
        os.makedirs(os.path.dirname(path), exist_ok=True)
        replace_file(path, text.encode())
        self.written[rel] = text
        return True

    def _prune(self, ctx: ViewContext) -> list[str]:
        """Remove pages of contacts that no longer exist (undone, deleted notes)."""
        folder = os.path.join(self.views_dir, "contacts")
        alive = {row[0] for row in ctx.db.execute(f"SELECT id FROM {ctx.schema}.contacts")}
        removed = []
        try:
            names = os.listdir(folder)
        except OSError:
            return []
        for name in names:
            if name.endswith(".md") and name[:-3] not in alive and _ours(os.path.join(folder,
                                                                                       name)):
                os.unlink(os.path.join(folder, name))
                self.written.pop(f"contacts/{name}", None)
                removed.append(f"contacts/{name}")
        return removed


def _ours(path: str) -> bool:
    try:
        with open(path, encoding="utf-8") as file:
            return file.read(len(MARK)) == MARK
    except (OSError, UnicodeDecodeError):
        return False


class Update(NamedTuple):
    """What one turn of the loop did, for the terminal."""

    report: SyncReport | None  # None when no file was read
    views: list[str]  # view files rewritten
    due: int  # open follow-ups
    overdue: int

    @property
    def changed(self) -> bool:
        """Whether anything happened worth telling."""
        moved = self.report is not None and bool(self.report.recorded or self.report.retracted)
        return moved or bool(self.views)


class Watcher:
    """The notes folder, the store and the views, kept in step."""

    def __init__(self, folder: NotesFolder, projector: Projector, views: dict[str, Render], *,
                 grace: float = GRACE_SECONDS) -> None:
        self.folder = folder
        self.grace = grace  # 0 for a single pass: report every bad note at once
        self.store = folder.store
        self.projector = projector
        self.writer = ViewWriter(folder.views_dir, views)
        self.rendered_seq = -1
        self.rendered_at = 0.0
        self.rendered_errors: list[Any] | None = None
        self.synced_seq = -1  # the log's end after our last sync
        self.pending: dict[str, float] = {}  # half-saved notes to read again, and when

    def step(self, paths: set[str] | None) -> Update:
        """Sync the given files (None: the whole folder), then bring the views up to date."""
        due_again = {p for p, when in self.pending.items() if when <= time.monotonic()}
        for path in due_again:
            del self.pending[path]
        if paths is not None and self.store.last_seq() != self.synced_seq:
            # Something else recorded: a bad note naming a contact may read now.
            due_again |= set(self.folder.errors)
        report = None
        if paths is None or paths or due_again:
            report = self.folder.sync(None if paths is None else paths | due_again,
                                      grace=self.grace)
            self.synced_seq = self.store.last_seq()
            for path in self.folder.deferred:
                self.pending[path] = time.monotonic() + self.grace
        views, due, overdue = self.render()
        return Update(report, views, due, overdue)

    def render(self) -> tuple[list[str], int, int]:
        """Catch up; rewrite views if the log moved, the errors changed, or time passed."""
        self.projector.catch_up()
        last = self.projector.checkpoint()  # what the views will show, not the log's end
        errors = self.folder.current_errors()
        at = stamp(now())
        fresh = (last == self.rendered_seq and errors == self.rendered_errors
                 and time.monotonic() - self.rendered_at < CLOCK_SECONDS)
        changed: list[str] = []
        if not fresh:
            pages = None if self.rendered_seq < 0 else self._touched_since(self.rendered_seq)
            changed = self.writer.write(ViewContext(self.store, "main", at, errors, pages))
            self.rendered_seq, self.rendered_errors = last, errors
            self.rendered_at = time.monotonic()
        due, overdue = self.store.conn.execute(
            "SELECT count(*), coalesce(sum(due_at < ?), 0) FROM followups "
            "WHERE expires_at IS NULL OR expires_at > ?", (at, at)).fetchone()
        return changed, due, overdue

    def _touched_since(self, seq: int) -> set[str]:
        return {stream[len(CONTACT_PREFIX):] for (stream,) in self.store.conn.execute(
            "SELECT DISTINCT stream FROM events WHERE seq > ?", (seq,))
            if stream.startswith(CONTACT_PREFIX)}

    def run(self, on_update: Callable[[Update], None]) -> None:
        """Scan the folder, then watch it until interrupted; Ctrl-C ends the loop cleanly."""
        from watchfiles import watch

        folder = self.folder

        def wanted(_change: Any, path: str) -> bool:
            if folder.relative(path) is not None or folder.is_folder(path):
                return True
            # A folder that is already gone (moved away): its notes went with it.
            rel = os.path.relpath(os.path.abspath(path), folder.root)
            inside_views = os.path.abspath(path).startswith(folder.views_dir + os.sep)
            return not (os.path.exists(path) or rel.startswith("..") or inside_views
                        or any(p.startswith(".") for p in rel.split(os.sep)))

        scanned = False
        for changes in watch(folder.root, watch_filter=wanted, debounce=DEBOUNCE_MS, step=20,
                             rust_timeout=TICK_MS, yield_on_timeout=True,
                             raise_interrupt=False):
            if not scanned:  # the first scan runs once watching has begun: nothing slips by
                scanned = True
                on_update(self.step(None))
            paths: set[str] = set()
            for _change, path in changes:
                if folder.is_folder(path):  # a new folder: notes may be in it already
                    paths.update(folder.files(path))
                elif (note := folder.relative(path)) is not None:
                    paths.add(note)
                elif not os.path.exists(path):  # a folder removed or moved away
                    paths.update(folder.known(os.path.relpath(path, folder.root)))
            update = self.step(paths)
            if update.changed:
                on_update(update)
