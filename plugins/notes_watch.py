"""Watching a notes folder: sync changed files, keep the Markdown views current.

The loop runs on watchfiles with a short debounce. It also wakes a few times
a second to notice the store changing under it (the CLI recording while it
runs) and, once a minute, to let time pass in the views (an item becomes
overdue). Views are written atomically and only when their text changed; the
views folder itself is never watched, so writing views cannot loop. Each view
is rendered on its own and time-limited (a plugin's view that fails is one
warning), and nothing is written through a link in the views folder.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import nullcontext
from typing import Any, NamedTuple, cast

from coffeechat.clock import now, stamp
from coffeechat.collector import collector_paused
from coffeechat.errors import describe_error, visible
from coffeechat.files import (
    PRIVATE_FILE,
    PRIVATE_FOLDER,
    NotRegular,
    make_folder,
    read_regular,
    replace_file,
)
from coffeechat.fold import CONTACT_PREFIX
from coffeechat.limits import TimeLimitExceeded, time_limit
from coffeechat.plugin_calls import hook_seconds
from coffeechat.plugins.markdown_views import BUILTIN_VIEWS, ViewContext
from coffeechat.plugins.notes_sync import NotesFolder, SyncReport
from coffeechat.projections.projector import Projector

DEBOUNCE_MS = 40
# How often the watcher looks up without a change to read (half-saved notes read again,
# the folder replaced, time passing): each look costs an idle watcher a wake-up, and
# 4 a second cost it 4% of a CPU (with the step's queries; now 1 a second, ~2%).
TICK_MS = 1000
CLOCK_SECONDS = 60  # how often time alone re-renders the views
GRACE_SECONDS = 0.6  # a note that fails to read this soon after a save is read again first

Render = Callable[[ViewContext], dict[str, str]]
Warn = Callable[[str], None]


MARK = "<!-- written by coffeechat watch from the log: edits here are overwritten -->\n"


def view_modes(notes_dir: str, views_dir: str) -> tuple[int, int]:
    """(file mode, folder mode) for what is written in the views folder.

    Inside the notes folder, views are as private as the notes: they follow
    its mode (0755 gives files 0644, 0700 gives 0600). Elsewhere they are
    private: 0600 files, 0700 folders.
    """
    if os.path.abspath(views_dir).startswith(os.path.abspath(notes_dir) + os.sep):
        try:
            folder = stat.S_IMODE(os.stat(notes_dir).st_mode)
        except OSError:
            return PRIVATE_FILE, PRIVATE_FOLDER
        return folder & 0o666, folder
    return PRIVATE_FILE, PRIVATE_FOLDER


_MARK_BYTES = MARK.encode()


class ViewWriter:
    """Writes rendered views into the views folder, atomically and only when changed.

    Every file it writes starts with :data:`MARK`; it only ever removes files
    that carry it, and in a folder the user named (``keep_others``) it writes over
    none that lacks it, so a views folder shared with anything else loses nothing.
    Each view is rendered on its own, time-limited: one that raises, hangs, or
    names a path outside the views folder costs one warning, and the others are
    written. A link (or anything but a regular file) in the views folder is
    never written through.
    """

    def __init__(self, views_dir: str, views: dict[str, Render], *,
                 modes: tuple[int, int] = (PRIVATE_FILE, PRIVATE_FOLDER),
                 warn: Warn | None = None, inside: str | None = None,
                 keep_others: bool = False) -> None:
        self.views_dir = os.path.abspath(views_dir)
        # (a folder the user named: a file there without the mark is the user's own, even
        # one put in place of a view this writer wrote, and is left as it is)
        self.keep_others = keep_others
        # The folder the views folder is inside of (the notes folder) is never made here:
        # a notes folder deleted while watched must not come back holding only the views.
        self.inside = inside
        self.views = views
        self.file_mode, self.folder_mode = modes
        self.warn = warn or (lambda _text: None)
        self.written: dict[str, str] = {}
        self.warned: set[str] = set()  # said last time: a lasting problem is told once
        self._round: set[str] = set()
        self._folders: dict[str, bool] = {}  # folder → whether it is really where it says

    def write(self, ctx: ViewContext) -> list[str]:
        """Render every view; return the paths whose content changed."""
        self._round, self._folders = set(), {}
        changed = []
        for name, render in self.views.items():
            for rel, text in self._render(name, render, ctx).items():
                if self._write(name, rel, MARK + text):
                    changed.append(rel)
        if ctx.pages is None:
            changed += self._prune(ctx)
        self.warned = self._round
        return changed

    def _say(self, text: str) -> None:
        if text not in self.warned and text not in self._round:
            self.warn(text)
        self._round.add(text)

    def _render(self, name: str, render: Render, ctx: ViewContext) -> dict[str, str]:
        """What one view renders, or nothing (and a warning) when it fails."""
        # A plugin's view has the hooks' time limit. coffeechat's own views take as long as
        # the store's size asks (the first views of a large store: several seconds), with
        # the cyclic collector paused (they make no cycles: 2 s less on 10,000 contacts).
        own = any(render is view for view in BUILTIN_VIEWS.values())
        try:
            with collector_paused() if own else nullcontext(), \
                    time_limit(0 if own else hook_seconds(), f"view {name!r}"):
                pages = render(ctx)
        except TimeLimitExceeded as error:
            self._say(str(error))
            return {}
        except Exception as error:  # a view's bug must not stop the watcher
            self._say(f"view {name!r} failed: {describe_error(error)}")
            return {}
        if not isinstance(pages, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in pages.items()):
            self._say(f"view {name!r} failed: it returned a {type(pages).__name__}, "
                      "not {path: Markdown text}")
            return {}
        return pages

    def _write(self, name: str, rel: str, text: str) -> bool:
        path = os.path.normpath(os.path.join(self.views_dir, rel))
        if not path.startswith(self.views_dir + os.sep) or "\0" in rel:
            self._say(f"view {name!r} failed: {rel!r} is outside the views folder")
            return False
        shown = os.path.relpath(path, self.views_dir)
        if self.written.get(rel) == text:
            return False
        folder = os.path.dirname(path)
        if not self._folder_is_real(folder):
            shown_folder = folder if folder == self.views_dir else os.path.relpath(
                folder, self.views_dir)
            self._say(f"views: not writing into {shown_folder}: it is a link, not a folder, "
                      "or cannot be made")
            return False
        data = text.encode()
        try:
            old, mode = _existing(path, len(data) + 1)
            if self.keep_others and old is not None and not old.startswith(_MARK_BYTES):
                self._say(f"views: not writing {shown}: a file coffeechat did not write is "
                          "there (it does not start with coffeechat's mark); move it away "
                          "and the view is written")
                return False
            if old != data:
                replace_file(path, data, mode=self.file_mode)
            elif mode != self.file_mode:  # written by an older version, or the folder changed
                os.chmod(path, self.file_mode)
        except NotRegular:
            self._say(f"views: not writing {shown}: it is a link or not a regular file")
            return False
        except OSError as error:
            self._say(f"views: cannot write {shown} ({error.strerror})")
            return False
        self.written[rel] = text
        return old != data

    def _folder_is_real(self, folder: str) -> bool:
        """Create ``folder`` if needed; whether its real path is where it says."""
        known = self._folders.get(folder)
        if known is None:
            if self.inside is not None and not os.path.isdir(self.inside):
                return False  # (not remembered: the folder may come back)
            try:
                make_folder(folder, self.folder_mode)
            except OSError:
                self._folders[folder] = False
                return False
            real_views = os.path.realpath(self.views_dir)
            expected = real_views if folder == self.views_dir else os.path.join(
                real_views, os.path.relpath(folder, self.views_dir))
            known = os.path.isdir(folder) and (folder == self.views_dir  # named by the user
                                               or os.path.realpath(folder) == expected)
            self._folders[folder] = known
        return known

    def _prune(self, ctx: ViewContext) -> list[str]:
        """Remove pages of contacts that no longer exist (undone, deleted notes)."""
        folder = os.path.join(self.views_dir, "contacts")
        alive = {row[0] for row in ctx.db.execute(f"SELECT id FROM {ctx.schema}.contacts")}
        removed = []
        if not self._folder_is_real(folder):
            return []
        try:
            names = os.listdir(folder)
        except OSError:
            return []
        for name in names:
            path = os.path.join(folder, name)
            if name.endswith(".md") and name[:-3] not in alive and _ours(path):
                os.unlink(path)
                self.written.pop(f"contacts/{name}", None)
                removed.append(f"contacts/{name}")
        return removed


def _existing(path: str, limit: int) -> tuple[bytes | None, int | None]:
    """What a view file holds now (its first ``limit`` bytes) and its mode; None when absent."""
    try:
        data, info = read_regular(path, limit, follow_links=False)
    except FileNotFoundError:
        return None, None
    return data, stat.S_IMODE(info.st_mode)


def _ours(path: str) -> bool:
    """Whether ``path`` is a regular file that coffeechat wrote (it starts with the mark)."""
    try:
        start, _info = read_regular(path, len(MARK.encode()), follow_links=False)
    except OSError:
        return False
    return start == _MARK_BYTES


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
                 grace: float = GRACE_SECONDS, warn: Warn | None = None) -> None:
        self.folder = folder
        self.warn = warn or (lambda _text: None)
        self.grace = grace  # 0 for a single pass: report every bad note at once
        self.store = folder.store
        self.projector = projector
        inside = folder.root if os.path.abspath(folder.views_dir).startswith(
            os.path.join(os.path.abspath(folder.root), "")) else None
        self.writer = ViewWriter(folder.views_dir, views, warn=warn, inside=inside,
                                 modes=view_modes(folder.root, folder.views_dir),
                                 keep_others=folder.views_named)
        self.rendered_seq = -1
        self.rendered_at = 0.0
        self.rendered_errors: list[Any] | None = None
        self.synced_seq = -1  # the log's end after our last sync
        self.pending: dict[str, float] = {}  # half-saved notes to read again, and when
        self.seen: tuple[int, int, int] | None = None  # (file's data version, due, overdue)

    def step(self, paths: set[str] | None) -> Update:
        """Sync the given files (None: the whole folder), then bring the views up to date.

        A tick with nothing to read asks the store one question and stops there
        while the store's file is as the last step left it (SQLite's data version:
        another process's commit changes it) and the views are not due for time
        passing: an idle watcher costs little CPU.
        """
        seen = self.seen
        version = self._data_version()  # (before the step: a commit while it runs is seen)
        if paths is not None and not paths and not self.pending and seen is not None \
                and seen[0] == version and time.monotonic() - self.rendered_at < CLOCK_SECONDS:
            return Update(None, [], seen[1], seen[2])
        update = self._step(paths)
        self.seen = (version, update.due, update.overdue)
        return update

    def _data_version(self) -> int:
        # (the pragma, not apsw's data_version(): only a statement looks at the file anew)
        return int(self.store.conn.execute("PRAGMA data_version").get)

    def _step(self, paths: set[str] | None) -> Update:
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
            "WHERE expires_at IS NULL OR expires_at > ?", (at, at)).get
        return changed, due, overdue

    def _touched_since(self, seq: int) -> set[str]:
        return {stream[len(CONTACT_PREFIX):] for (stream,) in self.store.conn.execute(
            "SELECT DISTINCT stream FROM events WHERE seq > ?", (seq,))
            if stream.startswith(CONTACT_PREFIX)}

    def run(self, on_update: Callable[[Update], None]) -> None:
        """Scan the folder, then watch it until interrupted; Ctrl-C ends the loop cleanly.

        Ctrl-C while a step runs ends it too: a write it had begun is rolled back
        whole, and the next run reads those notes again.
        """
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
        try:
            for changes in self._following(wanted):
                # The first scan runs once watching has begun: nothing slips by. None:
                # watchfiles was started again, and what it missed meanwhile is read now.
                if not scanned or changes is None:
                    scanned = True
                    on_update(self.step(None))
                paths: set[str] = set()
                for _change, path in changes or ():
                    if folder.is_folder(path):  # a new folder: notes may be in it already
                        paths.update(folder.files(path))
                    elif (note := folder.relative(path)) is not None:
                        paths.add(note)
                    elif not os.path.exists(path):  # a folder removed or moved away
                        paths.update(folder.known(os.path.relpath(path, folder.root)))
                update = self.step(paths)
                if update.changed:
                    on_update(update)
        except KeyboardInterrupt:  # Ctrl-C during a step: a write in progress was rolled back
            return

    def _changes(self, wanted: Callable[[Any, str], bool]) -> Iterator[set[Any] | None]:
        """watchfiles' batches of changes to the folder, and None where it was restarted.

        watchfiles gives up on a path it cannot decode (a file name that is not
        UTF-8, anywhere under the folder, even in .git/): its iterator ends with
        an internal error. Then one warning line, and it is started again (after
        a pause, should it fail again at once); once the new watch runs, None: the
        folder is read anew (before that, a save could fall between the two).
        """
        from watchfiles import watch
        from watchfiles._rust_notify import WatchfilesRustInternalError

        failed_at = -1.0
        said: set[str] = set()  # (a file that keeps changing would say it again and again)
        restarted = False
        while True:
            try:
                for batch in watch(self.folder.root, watch_filter=wanted, debounce=DEBOUNCE_MS,
                                   step=20, rust_timeout=TICK_MS, yield_on_timeout=True,
                                   raise_interrupt=False):
                    if restarted:  # (the new watch runs: what changed meanwhile is read now)
                        restarted = False
                        yield None
                    yield batch
                return  # (Ctrl-C)
            except WatchfilesRustInternalError as error:
                if time.monotonic() - failed_at < 1:
                    time.sleep(1)
                failed_at = time.monotonic()
                text = (f"watching {self.folder.root} failed ({visible(str(error))}); "
                        "watching it again, the whole folder read anew")
                if text not in said:
                    said.add(text)
                    self.warn(text)
                restarted = True

    def _following(self, wanted: Callable[[Any, str], bool]) -> Iterator[set[Any] | None]:
        """:meth:`_changes` of whatever folder is at the notes folder's path now.

        A folder deleted and made again (a re-clone, some sync tools) is a new
        folder that watchfiles does not see: each batch and each tick compares the
        folder's device and inode with those it started with. A new folder is
        watched from then on and read whole (None); while there is none, one line,
        and the watcher waits for it to come back (its notes stay recorded meanwhile).
        """
        identity = _identity(self.folder.root)
        anew = False
        while True:
            # (a generator: closing it stops the old folder's watch now)
            changes = cast(Generator[Any, None, None], self._changes(wanted))
            try:
                for batch in changes:
                    if _identity(self.folder.root) != identity:
                        break
                    if anew:  # (read once the new watch has begun: nothing slips by)
                        anew = False
                        yield None
                    yield batch
                else:
                    return  # (Ctrl-C)
            finally:
                changes.close()
            identity = self._wait_for_folder()
            anew = True

    def _wait_for_folder(self) -> tuple[int, int]:
        """Wait until a folder is at the notes folder's path; get ready to watch it anew."""
        root = self.folder.root
        identity = _identity(root)
        if identity is None:
            self.warn(f"notes folder {root} is gone: waiting for it to come back")
            while (identity := _identity(root)) is None:
                time.sleep(TICK_MS / 1000)
            self.warn(f"notes folder {root} is back: watching it again")
        else:
            self.warn(f"notes folder {root} was replaced: watching the new one")
        self.folder.real_root = os.path.realpath(root)
        self.writer.written.clear()  # (the views folder went with the old folder)
        self.writer.file_mode, self.writer.folder_mode = view_modes(root, self.folder.views_dir)
        self.rendered_seq = -1
        self.pending.clear()
        return identity


def _identity(folder: str) -> tuple[int, int] | None:
    """The folder's (device, inode), or None when no folder is there."""
    try:
        info = os.stat(folder)
    except OSError:
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISDIR(info.st_mode) else None
