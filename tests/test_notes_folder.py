"""A store's notes folder has an identity (issue 9).

A store is synced with one notes folder, remembered by its real path: another
folder, or a folder inside it, is refused instead of taking back every note it
does not hold; a folder that moved is adopted. A running watcher whose folder
is deleted and made again reads and watches the new one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.test_notes import JANE, MEETING, once, write
from tests.test_watch import Watching, until

BOB = JANE.replace("Jane Doe", "Bob Smith").replace("jane@", "bob@")


def names(cli: CLI) -> list[str]:
    return sorted(c["name"] for c in cli.json("contacts"))


@pytest.fixture
def folders(run: CLI, tmp_path: Path) -> tuple[Path, Path]:
    run.now = "2026-11-21T09:00:00Z"
    a, b = tmp_path / "a", tmp_path / "b"
    write(a, "jane.md", JANE)
    write(b, "bob.md", BOB)
    return a, b


def test_a_second_folder_is_refused_and_takes_nothing_back(
        run: CLI, folders: tuple[Path, Path]) -> None:
    a, b = folders
    assert once(run, a)["recorded"] == ["jane.md"]
    before = run.count()
    refused = run.run("watch", str(b), "--once", expect=1)
    err = refused.err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("coffeechat: error: watch:")
    assert str(a) in err and str(b) in err and "--moved" in err
    assert run.count() == before and names(run) == ["Jane Doe"]
    assert once(run, a)["events"] == 0
    assert run.count() == before  # alternating no longer grows the log


def test_a_folder_inside_the_notes_folder_is_refused(run: CLI, folders: tuple[Path, Path]
                                                     ) -> None:
    a, _b = folders
    write(a, "sub/meeting.md", MEETING)
    once(run, a)
    before = run.count()
    err = run.run("watch", str(a / "sub"), "--once", expect=1).err
    assert f"{a / 'sub'} is a folder inside {a}" in err and len(err.strip().splitlines()) == 1
    assert run.count() == before and names(run) == ["Bob Smith", "Jane Doe"]


def test_moved_adopts_the_new_folder(run: CLI, folders: tuple[Path, Path]) -> None:
    a, b = folders
    once(run, a)
    copy = b.parent / "copy"
    shutil.copytree(a, copy)
    done = run.run("watch", str(copy), "--once", "--moved", "--json")
    assert done.json()["events"] == 0  # the same notes: nothing to record or take back
    assert done.err.strip() == f"coffeechat: notes folder is now {copy} (was {a})"
    run.run("watch", str(a), "--once", expect=1)  # the old one is now the other folder
    assert once(run, copy)["events"] == 0


def test_a_folder_whose_old_place_is_gone_is_adopted(run: CLI, folders: tuple[Path, Path]
                                                     ) -> None:
    a, _b = folders
    once(run, a)
    moved = a.parent / "renamed"
    a.rename(moved)
    done = run.run("watch", str(moved), "--once", "--json")
    assert done.json()["events"] == 0 and names(run) == ["Jane Doe"]
    assert done.err.strip() == (f"coffeechat: notes folder is now {moved} "
                                f"(was {a}, now gone)")


def test_a_store_synced_before_the_check_adopts_its_first_folder(
        run: CLI, folders: tuple[Path, Path]) -> None:
    a, b = folders
    once(run, a)
    with sqlite3.connect(run.db) as db:  # as a store written before this change (or meta lost)
        db.execute("DELETE FROM meta WHERE key = 'notes_folder'")
    assert once(run, a)["events"] == 0
    run.run("watch", str(b), "--once", expect=1)


def test_the_folder_is_known_by_its_real_path(run: CLI, folders: tuple[Path, Path]) -> None:
    a, _b = folders
    link = a.parent / "link"
    link.symlink_to(a)
    once(run, link)
    assert once(run, a)["events"] == 0


def _watching_jane(cli: CLI, notes: Path) -> Watching:
    """A live watcher of ``notes``, started with Jane's note in it and her in the views."""
    cli.now = "2026-11-21T09:00:00Z"
    write(notes, "jane.md", JANE)
    watching = Watching(cli, notes)
    try:
        until(lambda: "Jane Doe" in watching.view("contacts.md"), what="Jane in the views")
    except BaseException:
        watching.stop()
        raise
    return watching


def _removed(folder: Path) -> bool:
    shutil.rmtree(folder, ignore_errors=True)
    return not folder.exists()


@pytest.mark.slow
def test_a_folder_deleted_and_made_again_is_watched(cli: CLI, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    watching = _watching_jane(cli, notes)
    try:
        # (as `rm -rf` would: the watcher may write its views into the folder meanwhile)
        until(lambda: _removed(notes), what="the folder removed")
        until(lambda: "is gone" in watching.err, what="the folder gone")
        notes.mkdir()
        write(notes, "bob.md", BOB)
        until(lambda: "Bob Smith" in watching.view("contacts.md"), what="Bob from the new folder")
        assert "Jane Doe" not in watching.view("contacts.md")  # her note went with the old one
        write(notes, "jane.md", JANE)  # and the new folder is really watched
        until(lambda: "Jane Doe" in watching.view("contacts.md"), what="Jane back")
        assert watching.proc.poll() is None
    finally:
        assert watching.stop() == 0
    err = watching.err
    assert f"notes folder {notes} is gone: waiting for it to come back" in err
    assert f"notes folder {notes} is back: watching it again" in err


@pytest.mark.slow
def test_a_folder_replaced_at_once_is_watched(cli: CLI, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    watching = _watching_jane(cli, notes)
    try:
        fresh = tmp_path / "fresh"
        write(fresh, "bob.md", BOB)
        os.rename(notes, tmp_path / "old")
        os.rename(fresh, notes)  # (a sync tool swapping folders: never gone for a tick)
        until(lambda: "Bob Smith" in watching.view("contacts.md"), what="Bob from the new folder")
        write(notes, "jane.md", JANE)
        until(lambda: "Jane Doe" in watching.view("contacts.md"), what="Jane back")
    finally:
        assert watching.stop() == 0
    assert f"notes folder {notes} was replaced: watching the new one" in watching.err
