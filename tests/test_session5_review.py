"""An adversarial review of session 5's changes: each finding is a test.

Every problem the review found is fixed; its test guards the fix, and the others
guard what was tried and found to hold (a stale remembered tail, pages read at
once, undated notes, the watcher's views).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from coffeechat import queries
from coffeechat.appending import chained_row
from coffeechat.codec import EVENT_COLUMNS
from coffeechat.errors import BadInput, ConflictError, StoreError
from coffeechat.events import EventRetracted, NoteAdded
from coffeechat.plugins.markdown_views import render_pages
from coffeechat.store import MEMORY, NewEvent, Store, open_store
from coffeechat.views import ViewContext
from tests.conftest import CLI
from tests.test_notes import JANE, MEETING, live, notes, once, write
from tests.test_store_guard import _fill, small_disk

__all__ = ["notes", "small_disk"]  # (fixtures shared with the tests they come from)


# -- 4. A note without a date keeps the time its live events carry ---------------------

FIRST = 1_794_304_800  # 2026-11-10T10:00:00Z: the meeting file's time when first read
DAY = 86_400
UNDATED = MEETING.replace("date: 2026-11-20 10:00\n", "")


def _held_at(run: CLI, path: str) -> list[str]:
    return [e["occurred_at"] for e in live(run, f"notes:{path}") if e["type"] == "meeting.held"]


def _save(notes: Path, name: str, text: str, at: int) -> Path:
    path = write(notes, name, text)
    os.utime(path, (at, at))
    return path


@pytest.fixture
def undated(run: CLI, notes: Path) -> Path:
    """Jane's contact note and an undated meeting note, recorded once (at FIRST)."""
    write(notes, "jane.md", JANE)
    meeting = _save(notes, "meeting.md", UNDATED, FIRST)
    once(run, notes)
    assert _held_at(run, "meeting.md") == ["2026-11-10T10:00:00Z"]
    return meeting


def test_an_edited_then_renamed_undated_note_keeps_its_meeting_time(
        run: CLI, notes: Path, undated: Path) -> None:
    # Fixed a typo five days later (the meeting stays on the 10th), then renamed it.
    _save(notes, "meeting.md", UNDATED.replace("hires", "grows"), FIRST + 5 * DAY)
    once(run, notes)
    assert _held_at(run, "meeting.md") == ["2026-11-10T10:00:00Z"]
    undated.rename(notes / "2026-11-10-jane.md")  # (a rename keeps the file's time)
    once(run, notes)
    assert _held_at(run, "2026-11-10-jane.md") == ["2026-11-10T10:00:00Z"]


def test_an_undated_note_keeps_its_time_when_its_contact_was_merged(
        run: CLI, notes: Path, undated: Path) -> None:
    # Jane Doe is merged into Jane Smith; the note is then saved naming Jane Smith.
    run.ids("add", "Jane Smith")
    run.ids("merge", "jane-smith", "jane-doe")
    _save(notes, "meeting.md", UNDATED.replace("Jane Doe", "Jane Smith"), FIRST + 5 * DAY)
    once(run, notes)
    assert _held_at(run, "meeting.md") == ["2026-11-10T10:00:00Z"]
    assert run.run("verify").code == 0


def test_an_undone_undated_note_saved_again_is_read_anew(
        run: CLI, notes: Path, undated: Path) -> None:
    # (docs/notes.md: a note whose events were all undone is read as a new one)
    run.ids("undo")  # the whole batch the note recorded
    assert _held_at(run, "meeting.md") == []
    _save(notes, "meeting.md", UNDATED.replace("hires", "grows"), FIRST + 5 * DAY)
    once(run, notes)
    assert _held_at(run, "meeting.md") == ["2026-11-15T10:00:00Z"]


def test_a_date_line_removed_keeps_that_date(run: CLI, notes: Path) -> None:
    # (docs/notes.md: without a date, a note keeps the time its events carry)
    write(notes, "jane.md", JANE)
    _save(notes, "meeting.md", MEETING, FIRST)  # dated 2026-11-20 10:00, read on the 10th
    once(run, notes)
    assert _held_at(run, "meeting.md") == ["2026-11-20T10:00:00Z"]
    _save(notes, "meeting.md", UNDATED, FIRST + DAY)
    once(run, notes)
    assert _held_at(run, "meeting.md") == ["2026-11-20T10:00:00Z"]


# -- 1. Appends: checks before the lock, the remembered tail -----------------------------

AT = "2026-11-20T18:00:00Z"


def _note(stream: str, text: str, **kw: Any) -> NewEvent:
    kw.setdefault("occurred_at", AT)
    return NewEvent(stream=stream, payload=NoteAdded(text=text), **kw)


def _sound(store: Store) -> None:
    """The chain verifies, seq is gapless, and every stream's versions run 1, 2, 3..."""
    assert store.verify().ok
    versions: dict[str, list[int]] = {}
    seqs = []
    for e in store.events():
        versions.setdefault(e.stream, []).append(e.version)
        seqs.append(e.seq)
    assert seqs == list(range(1, len(seqs) + 1))
    for stream, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), stream


@pytest.mark.parametrize("where", ["file", "memory"])
def test_every_other_write_between_two_single_appends_is_seen(tmp_path: Path, where: str
                                                              ) -> None:
    path = str(tmp_path / "events.db") if where == "file" else MEMORY
    store = open_store(path)
    other = open_store(path) if where == "file" else store

    def by_hand(fail: bool) -> None:  # rows inserted in a write() (as the jsonl import)
        with store.write() as db:
            seq, previous = store.tail()
            version = store.stream_version("contact:a") + 1
            row = chained_row(previous, seq + 1, f"hand-{seq}", _note("contact:a", "h"),
                              version, "note.added", '{"text":"h"}', AT, "cli", "b")
            db.execute(f"INSERT INTO events({EVENT_COLUMNS}) VALUES "
                       "(?,?,?,?,?,?,?,?,?,?,?,?,?)", row)
            store.appended(row[0], row[-1])
            if fail:
                raise RuntimeError("rolled back")

    steps: list[Callable[[], object]] = [
        lambda: by_hand(False),
        lambda: by_hand(True),
        lambda: other.append([_note("contact:a", "other")]),
        lambda: other.append([_note("contact:a", "x"), _note("contact:b", "y")]),
        lambda: store.append([_note("contact:a", "x"), _note("contact:b", "y")]),
        lambda: store.append_planned(lambda: [([_note("contact:a", "p")], "cli"),
                                              ([_note("contact:c", "q")], "cli")]),
        lambda: store.append([_note("contact:a", "k", key="same")]),  # (the 2nd: a no-op)
        lambda: store.append([_note("contact:a", "c")], expected={"contact:a": 0}),
        lambda: store.append([_note("contact:a", "bad", occurred_at="soon")]),
        lambda: store.append([_note("contact:a", "dup", id="fixed-id")]),
        lambda: store.conn.execute("CREATE TABLE IF NOT EXISTS scratch(x); "
                                   "INSERT INTO scratch VALUES (1)"),
    ]
    for step in steps * 2:
        store.append([_note("contact:a", "before")])
        with contextlib.suppress(ConflictError, BadInput, RuntimeError):
            step()
        written = store.append([_note("contact:a", "after")])
        assert written and written[0].seq == store.last_seq()
        _sound(store)


def test_a_long_lived_store_on_a_full_disk_goes_on_where_it_left(small_disk: Path) -> None:
    store = open_store(small_disk / "events.db")
    other = open_store(small_disk / "events.db")
    for n in range(3):
        store.append([_note("contact:a", str(n))])
    filler = _fill(small_disk)
    refused = written = 0
    for room in (0, 4, 8, 16, 32, 64, 96, 128, 192, 256):
        os.truncate(filler, max(0, filler.stat().st_size - room * 1024))
        for writer in (store, other, store):
            try:
                writer.append([_note("contact:a", "y" * 9000)])
                written += 1
            except StoreError as error:
                assert "the disk is full" in str(error)
                refused += 1
    assert refused and written
    filler.unlink()
    for writer in (store, other, store):
        writer.append([_note("contact:a", "z")])
    _sound(store)
    store.close()
    other.close()


def test_recorded_at_never_goes_back_along_the_log(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COFFEECHAT_NOW", raising=False)  # (the real clock moves on)
    path = tmp_path / "events.db"
    holder, waiter = open_store(path), open_store(path)
    waiter.append([_note("contact:a", "first")])
    done: list[object] = []
    thread = threading.Thread(target=lambda: done.append(
        waiter.append([_note("contact:a", "waited")])))

    def plan() -> list[tuple[list[NewEvent], str]]:  # (run holding the write lock, as the
        thread.start()                                 # notes sync plans its batches)
        time.sleep(1.5)  # a one-event append waits meanwhile
        return [([_note("contact:b", "1"), _note("contact:b", "2")], "cli")]

    holder.append_planned(plan)
    thread.join()
    assert done
    stamps = [e.recorded_at for e in waiter.events()]
    assert stamps == sorted(stamps)


@pytest.mark.parametrize("size", [1, 2, 100])
def test_an_unregistered_payload_class_is_refused_naming_the_event(size: int) -> None:
    class Stranger(msgspec.Struct):
        text: str = "?"

    store = open_store(MEMORY)
    events = [_note("contact:a", str(n)) for n in range(size)]
    events[size // 2] = NewEvent(stream="contact:a", payload=Stranger(),  # type: ignore[arg-type]
                                 occurred_at=AT)
    with pytest.raises(BadInput, match=r"^(the event|event \d+ of \d+) \(.*Stranger.*\): "
                                       r"[^\n]*nothing was recorded$"):
        store.append(events)
    assert store.count() == 0


# -- 2. Contact pages read 500 contacts at a time ----------------------------------------

PAGES_NOW = "2026-11-21T09:00:00Z"


def _many(run: CLI, tmp_path: Path, count: int = 110) -> None:
    """``count`` contacts from one LinkedIn import (over 100 streams: the stories' read of
    retractions then takes the whole log), merged in a chain, a merge undone, met, promised."""
    run.now = PAGES_NOW
    csv = tmp_path / "Connections.csv"
    csv.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                   + "".join(f"P{n:03d},Person,https://www.linkedin.com/in/p{n},,Acme,Eng,"
                             "01 Nov 2026\n" for n in range(count)))
    run.run("import", "linkedin", str(csv))
    run.ids("met", "p000-person", "--on", "2026-11-02T10:00")
    run.ids("met", "p001-person", "--on", "2026-11-03T10:00")
    run.ids("commit", "p002-person", "send the deck", "--due", "2026-11-25")
    run.ids("merge", "p001-person", "p000-person", "--on", "2026-11-10T10:00")  # 000 into 001
    run.ids("merge", "p002-person", "p001-person", "--on", "2026-11-11T10:00")  # 001 into 002
    run.ids("met", "p004-person", "--on", "2026-11-04T10:00")
    [merge] = run.ids("merge", "p003-person", "p004-person", "--on", "2026-11-12T10:00")
    run.ids("undo", merge)
    [note] = run.ids("note", "p005-person", "met at the fair")
    run.ids("undo", note)
    run.run("due")  # (the projections caught up)


def _compare(store: Store, ids: list[str]) -> None:
    stories = queries.stories(store, ids)
    items = queries.due_by_contact(store.conn, "main", PAGES_NOW, ids)
    for contact_id in ids:
        assert stories[contact_id] == queries.events(store, contact_id=contact_id,
                                                     by_time=True), contact_id
        assert items[contact_id] == queries.due(store.conn, "main", PAGES_NOW, None,
                                                contact_id=contact_id), contact_id


def test_pages_read_at_once_over_merge_chains_and_undone_merges(run: CLI, tmp_path: Path
                                                                ) -> None:
    _many(run, tmp_path)
    store = open_store(run.db)
    try:
        ids = [c["id"] for c in queries.contacts(store.conn, "main", PAGES_NOW)]
        assert "p000-person" not in ids and "p001-person" not in ids and "p004-person" in ids
        _compare(store, ids)
        _compare(store, ids[:5])  # (a few: one query a contact)
        every = render_pages(ViewContext(store, "main", PAGES_NOW, [], None))
        for contact_id in ("p002-person", "p003-person", "p004-person", "p005-person"):
            rel = f"contacts/{contact_id}.md"
            assert render_pages(ViewContext(store, "main", PAGES_NOW, [], {contact_id})) == {
                rel: every[rel]}
        chain = every["contacts/p002-person.md"]
        assert chain.count("meeting.held") == 2 and "send the deck" in chain
    finally:
        store.close()


def test_a_retraction_on_another_stream_is_read_as_show_reads_it(run: CLI, tmp_path: Path
                                                                 ) -> None:
    _many(run, tmp_path)
    store = open_store(run.db)
    try:
        [met] = [e for e in store.events(stream="contact:p004-person")
                 if e.type == "meeting.held"]
        # A plugin's (or an imported log's) retraction, kept on another contact's stream.
        store.append([NewEvent(stream="contact:p010-person", occurred_at=AT,
                               payload=EventRetracted(target=met.id))], source="plugin:x")
        run.run("due")
        ids = [c["id"] for c in queries.contacts(store.conn, "main", PAGES_NOW)]
        assert run.json("show", "p004-person")["stage"] == "met"  # (the fold keeps it)
        _compare(store, ids)
    finally:
        store.close()


# -- 3. The watcher's views: coffeechat's own without a time limit, the collector paused --

GC_VIEW = '''
import gc

from coffeechat import hookimpl


def cycles(context):
    return {"gc.md": f"collector on: {gc.isenabled()}\\n"}


@hookimpl
def register_views(register):
    register("cycles", cycles)
'''

WRAPPED_VIEW = '''
import functools
import time

from coffeechat import hookimpl
from coffeechat.plugins.markdown_views import render_due


@functools.wraps(render_due)  # (a plugin's own view, decorated the usual way)
def slow(context):
    time.sleep(1.0)
    return {"slow.md": "done\\n"}


@hookimpl
def register_views(register):
    register("slow", slow)
'''


def _watch_with(run: CLI, tmp_path: Path, notes: Path, name: str, source: str
                ) -> tuple[Path, str]:
    plugins = tmp_path / "review_plugins"
    plugins.mkdir(exist_ok=True)
    (plugins / f"{name}.py").write_text(source)
    write(notes, "jane.md", JANE)
    result = run.run("--plugins-dir", str(plugins), "watch", str(notes), "--once",
                     COFFEECHAT_LOAD_PLUGINS=name)
    return notes / "_coffeechat", result.err


def test_a_plugins_view_runs_with_the_collector_on(run: CLI, tmp_path: Path, notes: Path
                                                   ) -> None:
    views, _err = _watch_with(run, tmp_path, notes, "review_gc_view", GC_VIEW)
    assert (views / "gc.md").read_text().endswith("collector on: True\n")


def test_a_plugins_wrapped_view_keeps_the_time_limit(run: CLI, tmp_path: Path, notes: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # (the watcher's views read limits.HOOK_SECONDS, not $COFFEECHAT_HOOK_SECONDS)
    monkeypatch.setattr("coffeechat.limits.HOOK_SECONDS", 0.3)
    views, err = _watch_with(run, tmp_path, notes, "review_wrapped_view", WRAPPED_VIEW)
    assert "view 'slow' took longer than 0.3 s and was stopped" in err
    assert not (views / "slow.md").exists()
