"""`coffeechat watch` running for real: watchfiles on a real folder, in a subprocess.

The watcher is always a real process; the test reads and records in-process
(``run``), except where the CLI itself writes alongside (``cli``).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI
from tests.test_notes import JANE, MEETING, write

pytestmark = pytest.mark.slow  # a real watcher process each


def until(check: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
    """Poll until ``check()`` is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.05)


class Watching:
    def __init__(self, cli: CLI, folder: Path) -> None:
        self.cli = cli
        self.folder = folder
        self.views = folder / "_coffeechat"
        self.err_path = cli.home / "watch.err"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "coffeechat", "watch", str(folder)],
            stdout=subprocess.DEVNULL, stderr=open(self.err_path, "w"),  # noqa: SIM115
            env=cli.env(),
        )
        until(lambda: (self.views / "due.md").exists(), what="the first views")

    def view(self, name: str) -> str:
        try:
            return (self.views / name).read_text()
        except FileNotFoundError:
            return ""

    @property
    def err(self) -> str:
        return self.err_path.read_text()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=20)


@pytest.fixture
def watching(run: CLI) -> Iterator[Watching]:
    folder = run.home / "notes"
    folder.mkdir()
    run.now = "2026-11-21T09:00:00Z"
    watcher = Watching(run, folder)
    yield watcher
    watcher.stop()


def live_sources(cli: CLI) -> set[str]:
    return {e["source"] for e in cli.json("log") if not e.get("retracted")
            and e["type"] != "event.retracted" and e["stream"].startswith("contact:")}


def test_create_edit_delete_rename_while_watching(run: CLI, watching: Watching) -> None:
    write(watching.folder, "jane.md", JANE)
    write(watching.folder, "meeting.md", MEETING)
    until(lambda: "thank-you" in watching.view("due.md"), what="the meeting in due.md")
    assert "notes:meeting.md" in live_sources(run)
    assert "Bob Smith" in watching.view("contacts.md")

    write(watching.folder, "meeting.md", MEETING.replace("build one", "ship one"))
    until(lambda: "ship one" in watching.view("contacts/jane-doe.md"), what="the edit")
    held = [e for e in run.json("log", "--type", "meeting.held") if not e.get("retracted")]
    assert [e["data"]["takeaways"] for e in held] == [["ship one end-to-end project before "
                                                       "applying"]]

    (watching.folder / "meeting.md").rename(watching.folder / "2026-11-20-jane.md")
    until(lambda: "notes:2026-11-20-jane.md" in live_sources(run), what="the rename")
    until(lambda: "notes:meeting.md" not in live_sources(run), what="the old path retracted")
    # the facts survived the rename (the views are written one after another: waited on)
    until(lambda: "thank-you" in watching.view("due.md"), what="the meeting after the rename")

    (watching.folder / "2026-11-20-jane.md").unlink()
    until(lambda: "thank-you" not in watching.view("due.md"), what="the delete")
    until(lambda: "Bob Smith" not in watching.view("contacts.md"), what="the delete's contacts")
    assert live_sources(run) == {"notes:jane.md"}
    assert watching.stop() == 0
    assert "coffeechat: stopped watching" in watching.err


def test_views_follow_the_store_when_the_cli_records(run: CLI, watching: Watching) -> None:
    write(watching.folder, "jane.md", JANE)
    until(lambda: "Jane Doe" in watching.view("contacts.md"))
    run.ids("add", "Eve Park", "--company", "Initech")
    until(lambda: "Eve Park" in watching.view("contacts.md"), what="a CLI add in the views")
    run.ids("ask", "eve")
    until(lambda: "nudge" in watching.view("due.md"), what="a CLI ask in due.md")


def test_a_bad_note_is_reported_once_and_the_watcher_goes_on(run: CLI,
                                                              watching: Watching) -> None:
    write(watching.folder, "jane.md", JANE)
    until(lambda: "Jane Doe" in watching.view("contacts.md"))
    write(watching.folder, "oops.md", "---\ncontact: Jane Doe\nmood: happy\n---\nhi\n")
    until(lambda: "`oops.md` line 3: **mood**: unknown key" in watching.view("errors.md"),
          what="the error in errors.md")
    until(lambda: "error: oops.md:3: mood: unknown key" in watching.err)
    write(watching.folder, "meeting.md", MEETING)  # other notes still work
    until(lambda: "thank-you" in watching.view("due.md"))
    assert watching.err.count("oops.md:3") == 1
    write(watching.folder, "oops.md", "---\ncontact: Jane Doe\n---\nhi\n")
    until(lambda: "None: every note was read." in watching.view("errors.md"), what="the fix")
    until(lambda: "notes:oops.md" in live_sources(run))


def test_a_note_saved_in_steps_causes_no_error(run: CLI, watching: Watching) -> None:
    write(watching.folder, "jane.md", JANE)
    until(lambda: "Jane Doe" in watching.view("contacts.md"))
    path = watching.folder / "half.md"
    with open(path, "w") as out:  # an editor that writes the file in pieces
        out.write("---\ncontact: Jane Do")
        out.flush()
        time.sleep(0.15)
        out.write("e\ntype: note\n")
        out.flush()
        time.sleep(0.15)
        out.write("---\nwritten in steps\n")
    until(lambda: "notes:half.md" in live_sources(run), what="the finished note")
    time.sleep(0.3)
    assert "half.md" not in watching.err.replace("recorded half.md", "")
    assert "None: every note was read." in watching.view("errors.md")


def test_the_cli_and_the_watcher_writing_at_once_lose_nothing(cli: CLI,
                                                              watching: Watching) -> None:
    # Real processes only: the CLI records from a thread while this one reads.
    cli.now = watching.cli.now
    write(watching.folder, "jane.md", JANE)
    until(lambda: "Jane Doe" in watching.view("contacts.md"))
    names = [f"Person {n:02d}" for n in range(12)]

    def record() -> None:
        for name in names:
            cli.ids("add", name)

    writer = threading.Thread(target=record)
    writer.start()
    for n in range(12):
        write(watching.folder, f"note-{n:02d}.md",
              f"---\ncontact: Jane Doe\ndate: 2026-11-{n + 1:02d}\n---\nnote {n}\n")
        time.sleep(0.05)
    writer.join()
    until(lambda: len({s for s in live_sources(cli) if s.startswith("notes:note-")}) == 12,
          timeout=30, what="every note recorded")
    contacts = {c["name"] for c in cli.json("contacts")}
    assert set(names) <= contacts
    notes_added = [e for e in cli.json("log", "--type", "note.added") if not e.get("retracted")]
    assert len(notes_added) == 13  # 12 notes and Jane's own
    assert cli.run("verify").code == 0


def test_a_note_in_a_brand_new_folder(run: CLI, watching: Watching) -> None:
    write(watching.folder, "jane.md", JANE)
    until(lambda: "Jane Doe" in watching.view("contacts.md"))
    # The folder and the note appear together, before the watcher can watch the folder.
    write(watching.folder, "2026/11/meeting.md", MEETING)
    until(lambda: "thank-you" in watching.view("due.md"), what="the note in the new folder")


def test_a_folder_moved_away_takes_its_notes_with_it(run: CLI, watching: Watching,
                                                     tmp_path: Path) -> None:
    write(watching.folder, "jane.md", JANE)
    write(watching.folder, "2026/meeting.md", MEETING)
    until(lambda: "thank-you" in watching.view("due.md"))
    (watching.folder / "2026").rename(tmp_path / "archived-2026")
    until(lambda: "thank-you" not in watching.view("due.md"), what="the moved folder's notes")
    assert live_sources(run) == {"notes:jane.md"}


def test_a_note_naming_an_unknown_contact_is_read_once_they_exist(run: CLI,
                                                                  watching: Watching) -> None:
    write(watching.folder, "eve.md", "---\ncontact: Eve Park\n---\nmet at the fair\n")
    until(lambda: "`eve.md` line 2: **contact**" in watching.view("errors.md"))
    run.ids("add", "Eve Park")
    until(lambda: "notes:eve.md" in live_sources(run), what="the note, once Eve exists")
    until(lambda: "None: every note was read." in watching.view("errors.md"))
