"""Note files with names the log cannot hold: one bad note each, never a blocked folder.

A name that is not UTF-8, holds a line break, or is too long for a key is
one bad note, named on one line (its odd bytes and controls escaped) beside
the other bad notes; every other note is recorded. Files that are not notes
are let be whatever their names. The live watcher outlives watchfiles failing
on such a name anywhere in the folder (even in .git/).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import InProcessCLI
from tests.test_notes import JANE, write
from tests.test_notes_hostile import errors, once, sources
from tests.test_watch import Watching, until

BOB = "---\ntype: contact\ncontact: Bob Smith\n---\n"
CAFE = os.fsdecode(b"caf\xe9.md")  # the name a Latin-1 system gives "café.md"


@pytest.fixture
def notes(run: InProcessCLI) -> Path:
    folder = run.home / "notes"
    folder.mkdir()
    run.now = "2026-11-21T09:00:00Z"
    write(folder, "jane.md", JANE)
    return folder


def test_a_note_named_in_another_encoding_is_one_bad_note(run: InProcessCLI,
                                                          notes: Path) -> None:
    write(notes, CAFE, BOB)
    write(notes, os.fsdecode(b"r\xe9sum\xe9.md"), "# my own file, not a note\n")
    write(notes, os.fsdecode(b"photo-\xe9t\xe9.txt"), "x")
    write(notes, ".git/" + os.fsdecode(b"caf\xe9"), "x")
    result = once(run, notes, expect=1)
    assert errors(result) == ["coffeechat: note error: caf\\xe9.md:1: its name is not UTF-8 "
                              "text: rename the file to record it"]
    assert sources(run) == {"notes:jane.md"}
    assert "- `caf\\xe9.md` line 1: its name is not UTF-8" in (
        notes / "_coffeechat" / "errors.md").read_text()

    os.rename(notes / CAFE, notes / "café.md")  # renamed: recorded, and the error is gone
    assert errors(once(run, notes)) == []
    assert sources(run) == {"notes:jane.md", "notes:café.md"}
    assert "None: every note was read." in (notes / "_coffeechat" / "errors.md").read_text()


def test_a_line_break_in_a_name_or_a_very_long_path_blocks_no_other_note(
        run: InProcessCLI, notes: Path) -> None:
    write(notes, "two\nlines.md", BOB)
    deep = "/".join(["x" * 100] * 11)
    write(notes, f"{deep}/carl.md", "---\ntype: contact\ncontact: Carl Lee\n---\n")
    write(notes, "bad\nname.md", "# the user's own file\n")  # not a note: let be
    write(notes, "meeting.md", "---\ntype: meeting\ncontact: Jane Doe\n---\nlunch\n")
    result = once(run, notes, "--json", expect=1)
    assert errors(result) == [
        "coffeechat: note error: two\\x0alines.md:1: its name holds a control character "
        "(a line break, say): rename the file to record it",
        f"coffeechat: note error: {deep}/carl.md:1: its path in the notes folder is 1,118 "
        "characters, over the limit of 900: move or rename the file to record it"]
    assert sorted(result.json()["recorded"]) == ["jane.md", "meeting.md"]
    assert [e["path"] for e in result.json()["errors"]] == ["two\\x0alines.md",
                                                            f"{deep}/carl.md"]
    assert sources(run) == {"notes:jane.md", "notes:meeting.md"}
    shown = (notes / "_coffeechat" / "errors.md").read_text().splitlines()
    assert [line.split(" line 1: ")[0] for line in shown if line.startswith("- ")] == [
        "- `two\\x0alines.md`", f"- `{deep}/carl.md`"]


def test_a_bad_name_in_a_note_that_is_bad_anyway_is_still_one_line(run: InProcessCLI,
                                                                    notes: Path) -> None:
    write(notes, "a\x1b[31mred\n.md", "---\ncontact: Jane Doe\nmood: happy\n---\n")
    assert errors(once(run, notes, expect=1)) == [
        "coffeechat: note error: a\\x1b[31mred\\x0a.md:1: its name holds a control "
        "character (a line break, say): rename the file to record it"]


@pytest.mark.slow
def test_the_live_watcher_outlives_an_undecodable_name_and_counts_the_notes_there(
        run: InProcessCLI) -> None:
    folder = run.home / "notes"
    (folder / ".git").mkdir(parents=True)
    run.now = "2026-11-21T09:00:00Z"
    watching = Watching(run, folder)
    try:
        write(folder, "jane.md", JANE)
        until(lambda: "Jane Doe" in watching.view("contacts.md"), what="jane.md")
        for _ in range(3):  # watchfiles fails on each change of it
            with open(folder / ".git" / os.fsdecode(b"caf\xe9"), "a") as file:
                file.write("x")
            until(lambda: "warning: watching" in watching.err, what="the warning")
        write(folder, "bob.md", BOB)
        write(folder, "two\nlines.md", BOB)
        until(lambda: "Bob Smith" in watching.view("contacts.md"), what="a note after it")
        until(lambda: "`two\\x0alines.md` line 1" in watching.view("errors.md"),
              what="the bad name in errors.md")
        until(lambda: "2 notes · " in watching.err, what="the count")
        (folder / "jane.md").unlink()
        (folder / "bob.md").unlink()
        until(lambda: "0 notes · " in watching.err, what="the count after the deletes")
        assert watching.proc.poll() is None, watching.err
    finally:
        assert watching.stop() == 0
    err = watching.err
    assert "Traceback" not in err
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert warnings == [
        f'coffeechat: warning: watching {folder} failed (Unable to decode path "{folder}/.git/'
        'caf\\xE9" to string); watching it again, the whole folder read anew'], err
    assert "error: two\\x0alines.md:1: its name holds a control character" in err
    assert "coffeechat: stopped watching" in err


def test_a_sync_tools_conflict_copy_is_one_bad_note_not_a_second_meeting(
        run: InProcessCLI, notes: Path) -> None:
    meeting = "---\ntype: meeting\ncontact: Jane Doe\ndate: 2026-11-20 10:00\n---\nlunch\n"
    write(notes, "meeting.md", meeting)
    once(run, notes)
    # Two devices saved at once: Dropbox's copy of the meeting, Syncthing's of Jane.
    write(notes, "meeting (Maya's conflicted copy 2026-11-20).md",
          meeting.replace("lunch", "lunch, and a walk"))
    write(notes, "jane.sync-conflict-20261120-101010-ABCDEFG.md",
          JANE.replace("Acme", "Globex"))
    write(notes, "groceries (conflicted copy 2026-11-20).md", "# milk\n")  # not a note
    result = once(run, notes, expect=1)
    assert errors(result) == [
        "coffeechat: note error: jane.sync-conflict-20261120-101010-ABCDEFG.md:1: looks like "
        "a sync tool's conflict copy of jane.md: not recorded (merge what it says into that "
        "note, then delete it)",
        "coffeechat: note error: meeting (Maya's conflicted copy 2026-11-20).md:1: looks "
        "like a sync tool's conflict copy of meeting.md: not recorded (merge what it says "
        "into that note, then delete it)"]
    assert sources(run) == {"notes:jane.md", "notes:meeting.md"}
    assert run.json("show", "jane")["meetings"] == 1
    assert run.json("show", "jane")["company"] == "Acme"
