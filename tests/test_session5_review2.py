"""Session 5, review 2: adversarial tests of four late changes.

Sync conflict copies of notes (notes_read.conflict_problem), `done` taking a
cause event id (closing.done_event), vCard 2.1 quoted-printable soft breaks
(importers._soft_breaks_joined) and the idle watcher's data-version tick
(notes_watch.Watcher.step). Every problem found is fixed; its test guards the
fix, and the others guard what was tried and found to hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import InProcessCLI
from tests.test_notes import JANE, write
from tests.test_notes import live as live_events
from tests.test_notes_hostile import errors, once, sources
from tests.test_notes_names import notes

MEETING = "---\ntype: meeting\ncontact: Jane Doe\ndate: 2026-11-20 10:00\n---\nlunch\n"

__all__ = ["notes"]  # (the fixture of the notes-name tests: a folder holding Jane's note)


# -- 1. sync conflict copies -----------------------------------------------------------------

def test_ordinary_names_near_the_conflict_pattern_are_recorded(run: InProcessCLI,
                                                               notes: Path) -> None:
    write(notes, "lunch conflicted copy.md", MEETING)  # no parentheses
    write(notes, "people/bob.v2.final.md", "---\ntype: contact\ncontact: Bob Smith\n---\n")
    write(notes, "2026/11/lunch (copy).md", MEETING.replace("lunch", "coffee"))
    assert errors(once(run, notes)) == []
    assert sources(run) == {"notes:jane.md", "notes:lunch conflicted copy.md",
                            "notes:people/bob.v2.final.md", "notes:2026/11/lunch (copy).md"}


def test_a_conflict_copy_in_a_subfolder_names_its_original_there(run: InProcessCLI,
                                                                 notes: Path) -> None:
    write(notes, "2026/lunch.md", MEETING)
    write(notes, "2026/lunch (Conflicted Copy 2026-11-20).md", MEETING)  # case differs
    write(notes, "2026/photo (conflicted copy).txt", "not a note")
    write(notes, "2026/todo (conflicted copy).md", "# my own list\n")  # not a note
    assert errors(once(run, notes, expect=1)) == [
        "coffeechat: note error: 2026/lunch (Conflicted Copy 2026-11-20).md:1: looks like a "
        "sync tool's conflict copy of 2026/lunch.md: not recorded (merge what it says into "
        "that note, then delete it)"]
    assert sources(run) == {"notes:jane.md", "notes:2026/lunch.md"}


def test_a_folder_named_like_a_conflict_copy_does_not_make_its_notes_conflict_copies(
        run: InProcessCLI, notes: Path) -> None:
    write(notes, "old (conflicted copy 2025-01-01)/lunch.md", MEETING)
    write(notes, "archive.sync-conflict-2025/coffee.md", MEETING.replace("lunch", "coffee"))
    assert errors(once(run, notes)) == []
    assert sources(run) == {"notes:jane.md", "notes:old (conflicted copy 2025-01-01)/lunch.md",
                            "notes:archive.sync-conflict-2025/coffee.md"}


def _record_conflict_copy_as_before(run: InProcessCLI, notes: Path) -> Path:
    """A conflict copy recorded as a second meeting, as a store from before the change has it."""
    write(notes, "lunch.md", MEETING)
    write(notes, "lunch (conflicted copy 2026-11-20).md", MEETING.replace("lunch", "walk"))
    import coffeechat.plugins.notes_sync as notes_sync
    mp = pytest.MonkeyPatch()
    mp.setattr(notes_sync, "conflict_problem", lambda _path: None)  # (the code before)
    try:
        assert errors(once(run, notes)) == []
    finally:
        mp.undo()
    copy = notes / "lunch (conflicted copy 2026-11-20).md"
    # (its meeting.held is recorded; at the original's time, it counts as the same meeting)
    assert [e["type"] for e in live_events(run, f"notes:{copy.name}")].count("meeting.held") == 1
    return copy


def test_a_conflict_copy_recorded_before_the_change_keeps_its_events_while_there(
        run: InProcessCLI, notes: Path) -> None:
    _record_conflict_copy_as_before(run, notes)
    assert len(errors(once(run, notes, expect=1))) == 1
    # a bad note keeps its last good version: the copy's events stay (the same meeting,
    # at the same time, recorded twice: counted once)
    assert live_events(run, "notes:lunch (conflicted copy 2026-11-20).md") != []
    assert run.json("show", "jane")["meetings"] == 1


def test_deleting_a_conflict_copy_recorded_before_the_change_retracts_its_events(
        run: InProcessCLI, notes: Path) -> None:
    copy = _record_conflict_copy_as_before(run, notes)
    assert len(errors(once(run, notes, expect=1))) == 1
    assert live_events(run, "notes:lunch (conflicted copy 2026-11-20).md") != []
    copy.unlink()  # what the error asks for
    assert errors(once(run, notes)) == []
    assert run.json("show", "jane")["meetings"] == 1
    assert live_events(run, "notes:lunch (conflicted copy 2026-11-20).md") == []  # (taken back)


class Live:
    """A watcher in this process (as `watch` runs it) over a notes folder and a store file."""

    def __init__(self, tmp_path: Path, notes: Path) -> None:
        from coffeechat.config import Config
        from coffeechat.plugin_manager import Plugins
        from coffeechat.plugins.notes_sync import NotesFolder
        from coffeechat.plugins.notes_watch import Watcher
        from coffeechat.projections.projector import Projector
        from coffeechat.store import open_store

        self.db = tmp_path / "live.db"
        self.notes = notes
        self.store = open_store(self.db)
        plugins = Plugins(Config())
        projector = Projector(self.store, plugins=plugins)
        self.folder = NotesFolder(str(notes), self.store, plugins.note_parsers(),
                                  catch_up=projector.catch_up_locked)
        self.watcher = Watcher(self.folder, projector, plugins.views())
        self.first = self.watcher.step(None)

    def view(self, name: str) -> str:
        return (self.notes / "_coffeechat" / name).read_text()


@pytest.fixture
def live(tmp_path: Path, notes: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    monkeypatch.setenv("COFFEECHAT_LOAD_PLUGINS", "")
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-11-21T09:00:00Z")
    watching = Live(tmp_path, notes)
    yield watching
    watching.store.close()


def test_the_live_watcher_forgets_a_conflict_copys_error_once_it_is_deleted(
        live: Live, notes: Path) -> None:
    name = "jane (conflicted copy 2026-11-20).md"
    write(notes, name, JANE.replace("Acme", "Globex"))
    live.watcher.step({name})
    assert "looks like a sync tool's conflict copy" in live.view("errors.md")
    (notes / name).unlink()
    live.watcher.step({name})
    assert "looks like a sync tool's conflict copy" not in live.view("errors.md")


# -- 2. done takes an open item's cause event id ---------------------------------------------

def _asked_and_promised(run: InProcessCLI) -> None:
    run.ids("add", "Sam Lee")
    run.ids("ask", "sam", "--via", "linkedin")
    run.ids("add", "Mei Chen")
    run.ids("met", "mei", "--on", "2026-11-02T08:00", "--commitment", "send the deck")


def test_done_by_a_cause_event_id_is_what_skip_takes_and_undo_brings_it_back(
        run: InProcessCLI) -> None:
    from tests.test_followups_closing import due, item
    _asked_and_promised(run)
    nudge = item(run, "nudge", "sam-lee")
    [recorded] = run.json("done", f"  {nudge['event'].upper()} ")["recorded"]
    assert (recorded["type"], recorded["contact"]) == ("request.sent", "sam-lee")
    assert nudge["handle"] not in {i["handle"] for i in due(run)}
    run.run("undo")
    assert nudge["handle"] in {i["handle"] for i in due(run)}
    # The thank-you and the check-in share the meeting as cause: done, skip and snooze agree.
    thank = item(run, "thank-you", "mei-chen")
    for command in (["done"], ["skip"], ["snooze", thank["event"], "2026-12-01"]):
        args = command if len(command) > 1 else [*command, thank["event"]]
        err = run.run(*args, expect=1).err
        assert err.count("\n") == 1 and "names several open follow-ups" in err, (command, err)


def test_a_start_of_an_id_shared_with_a_commitment_is_not_taken_as_the_commitment(
        run: InProcessCLI) -> None:
    from tests.test_followups_closing import due, item
    _asked_and_promised(run)
    nudge = item(run, "nudge", "sam-lee")
    commitment = item(run, "commitment", "mei-chen")
    a, b = nudge["event"], commitment["event"]
    shared = a[:next((n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), 0)]
    if len(shared) < 8:  # (the ids were made either side of a 65-second boundary)
        pytest.skip("the ids share too little")
    assert "names several open follow-ups" in run.run("skip", shared, expect=1).err
    result = run.run("done", shared, expect=None)
    assert commitment["handle"] in {i["handle"] for i in due(run)}, result.out
    assert result.code == 1 and "names several" in result.err


def test_done_with_the_cause_of_a_closed_item_says_no_open_follow_up(
        run: InProcessCLI) -> None:
    from tests.test_followups_closing import item
    run.ids("add", "Jane Doe")
    run.ids("schedule", "jane", "--at", "2026-11-03T15:00")
    prep = item(run, "prep", "jane-doe")
    run.json("done", prep["event"])
    err = run.run("done", prep["event"], expect=1).err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "open follow-up" in err and "coffeechat due" in err, err


# -- 3. vCard 2.1 quoted-printable soft breaks -----------------------------------------------

def _vcard(run: InProcessCLI, name: str, text: str, *args: str, expect: int = 0) -> str:
    path = run.home / name
    path.write_bytes(text.encode())
    result = run.run("import", "vcard", str(path), *args, expect=expect)
    assert "Traceback" not in result.err
    return result.err


def test_real_world_2_1_values_are_decoded_and_3_0_is_left_as_it_is(run: InProcessCLI) -> None:
    latin = ("BEGIN:VCARD\r\nVERSION:2.1\r\n"
             "N;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen;;;\r\n"
             "FN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:J=FCrgen M=FC=\r\nller\r\n"
             "ORG;CHARSET=windows-1252;ENCODING=QUOTED-PRINTABLE:Caf=E9 =80 Ltd\r\n"
             "PHOTO;ENCODING=BASE64;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD=\r\n"
             " HRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAAL==\r\n\r\n"
             "END:VCARD\r\n"
             "BEGIN:VCARD\nVERSION:2.1\n"  # (LF only, a soft break inside N's parts)
             "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:St=\nra=C3=9Fe;Ma=\nx;;;\n"
             "FN;CHARSET=UTF-8;QUOTED-PRINTABLE:Max Stra=C3=9F=\ne\nNOTE:not quoted=\n"
             "END:VCARD\n")
    assert "nothing was recorded" not in _vcard(run, "latin.vcf", latin, "--dry-run")
    assert run.json("contacts") == []
    _vcard(run, "latin.vcf", latin)
    jurgen = run.json("show", "jürgen")
    assert (jurgen["name"], jurgen["company"]) == ("Jürgen Müller", "Café € Ltd")
    assert run.json("show", "max")["name"] == "Max Straße"
    _vcard(run, "v30.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:Cy Tan\nN:Tan;Cy;;;\n"
           "TITLE:Head of A=\nEMAIL:cy@example.com\nEND:VCARD\n")
    cy = run.json("show", "cy")
    assert (cy["role"], cy["email"]) == ("Head of A=", "cy@example.com")


def test_a_soft_break_at_the_end_of_the_file_is_one_line_naming_it(run: InProcessCLI) -> None:
    err = _vcard(run, "cut.vcf", "BEGIN:VCARD\nVERSION:2.1\nFN:Ann Lee\n"
                 "NOTE;ENCODING=QUOTED-PRINTABLE:hello=\n", expect=1)
    assert err.count("\n") == 1 and err.startswith(f"coffeechat: error: {run.home / 'cut.vcf'}: ")
    err = _vcard(run, "utf.vcf", "BEGIN:VCARD\nVERSION:2.1\n"
                 "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=FCrgen\nEND:VCARD\n", expect=1)
    assert err.count("\n") == 1 and err.startswith(f"coffeechat: error: {run.home / 'utf.vcf'}: ")
    assert run.json("contacts") == []


def test_quoted_printable_without_a_charset_from_an_old_phone(run: InProcessCLI) -> None:
    _vcard(run, "nokia.vcf", "BEGIN:VCARD\r\nVERSION:2.1\r\n"
           "N;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen\r\n"
           "FN;ENCODING=QUOTED-PRINTABLE:J=FCrgen M=FCller\r\nEND:VCARD\r\n"
           "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Okafor;Sam\r\nFN:Sam Okafor\r\nEND:VCARD\r\n")
    assert sorted(c["name"] for c in run.json("contacts")) == ["Jürgen Müller", "Sam Okafor"]


# -- 4. the idle watcher's data-version tick -------------------------------------------------

def test_an_idle_tick_sees_this_process_writing_through_another_connection_and_time(
        live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    import coffeechat.plugins.notes_watch as notes_watch
    from coffeechat.events import ContactAdded
    from coffeechat.store import NewEvent, open_store

    assert live.watcher.step(set()).changed is False
    other = open_store(live.db)  # (same process, its own connection)
    try:
        other.append([NewEvent(stream="contact:eve-park", occurred_at="2026-11-20T10:00:00Z",
                               payload=ContactAdded(name="Eve Park"))])
    finally:
        other.close()
    assert live.watcher.step(set()).changed
    assert "Eve Park" in live.view("contacts.md")
    # Time passing: with the clock re-render due, a tick renders and counts again.
    before = live.watcher.step(set())
    monkeypatch.setenv("COFFEECHAT_NOW", "2027-03-01T09:00:00Z")
    assert live.watcher.step(set()).overdue == before.overdue  # (not yet due to re-render)
    monkeypatch.setattr(notes_watch, "CLOCK_SECONDS", 0)
    later = live.watcher.step(set())
    assert later.due >= 1 and later.overdue == later.due > before.overdue
