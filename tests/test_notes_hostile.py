"""A hostile notes folder: nothing in it can hang or kill `watch`, or sneak bad events in.

FIFOs, links out of the folder, /dev/zero, huge notes, YAML aliases, dates
outside the window, and views that raise, hang or write elsewhere: each is one
line on stderr, the log is untouched by it, and everything else goes on.
Tests that would hang or eat memory on a regression run in a subprocess with
a timeout (and a memory limit); the rest run in-process.
"""

from __future__ import annotations

import functools
import os
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coffeechat.views import ViewContext
from tests.conftest import CLI, InProcessCLI, Result
from tests.test_notes import JANE, MEETING, write
from tests.test_watch import Watching, until

PLUGINS = Path(__file__).parent / "plugins"
NOW = "2026-11-21T09:00:00Z"
GOOD = "---\ncontact: Jane Doe\n---\nA good note in the same folder.\n"
MEMORY = 2 * 1024**3  # a regression that reads /dev/zero stops here, not at the machine's end


@pytest.fixture
def notes(run: InProcessCLI) -> Path:
    folder = run.home / "notes"
    folder.mkdir()
    run.now = NOW
    write(folder, "jane.md", JANE)
    return folder


def once(runner: CLI, folder: Path, *extra: str, expect: int | None = 0, **env: str) -> Result:
    return runner.run("watch", str(folder), "--once", *extra, expect=expect, **env)


def errors(result: Result) -> list[str]:
    lines = result.err.splitlines()
    assert not any("Traceback" in line for line in lines), result.err
    return [line for line in lines if line.startswith("coffeechat: note error: ")]


def sources(runner: CLI) -> set[str]:
    return {e["source"] for e in runner.json("log")}


def limited(cli: CLI, *args: str, timeout: float = 20) -> Result:
    """Run coffeechat in a subprocess that can neither hang the suite nor eat the machine."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    proc = subprocess.run([sys.executable, "-m", "coffeechat", *args], capture_output=True,
                          text=True, env=cli.env(), timeout=timeout, preexec_fn=cap_memory)
    return Result(proc.returncode, proc.stdout, proc.stderr)


# -- only regular files inside the folder are read -------------------------------------------

def test_a_fifo_a_device_and_a_link_out_are_one_line_each(cli: CLI, tmp_path: Path) -> None:
    folder = cli.home / "notes"
    folder.mkdir()
    cli.now = NOW
    write(folder, "jane.md", JANE)
    write(folder, "good.md", GOOD)
    os.mkfifo(folder / "pipe.md")
    (folder / "zero.md").symlink_to("/dev/zero")
    outside = write(tmp_path / "elsewhere", "eve.md", JANE.replace("Jane Doe", "Eve Park"))
    (folder / "eve.md").symlink_to(outside)
    started = time.monotonic()
    result = limited(cli, "watch", str(folder), "--once")
    assert time.monotonic() - started < 15
    assert result.code == 1, result.err
    assert sorted(errors(result)) == [
        "coffeechat: note error: eve.md:1: links outside the notes folder",
        "coffeechat: note error: pipe.md:1: not a regular file",
        "coffeechat: note error: zero.md:1: links outside the notes folder",
    ]
    assert sources(cli) == {"notes:jane.md", "notes:good.md"}
    assert "Eve Park" not in {c["name"] for c in cli.json("contacts")}
    assert stat.S_ISFIFO(os.lstat(folder / "pipe.md").st_mode)


def test_a_link_to_a_note_outside_the_folder_is_not_read(run: InProcessCLI, notes: Path,
                                                          tmp_path: Path) -> None:
    outside = write(tmp_path / "private", "eve.md", JANE.replace("Jane Doe", "Eve Park"))
    (notes / "eve.md").symlink_to(outside)
    result = once(run, notes, expect=1)
    assert errors(result) == ["coffeechat: note error: eve.md:1: links outside the notes folder"]
    assert [c["name"] for c in run.json("contacts")] == ["Jane Doe"]
    assert "notes:eve.md" not in sources(run)


def test_links_inside_the_folder_are_followed_and_a_note_is_read_once(
        run: InProcessCLI, notes: Path) -> None:
    write(notes, ".drafts/meeting.md", MEETING)  # hidden: read only through the link
    (notes / "meeting.md").symlink_to(notes / ".drafts" / "meeting.md")
    (notes / "jane-again.md").symlink_to(notes / "jane.md")  # the same note twice
    result = once(run, notes)
    assert errors(result) == []
    assert sources(run) >= {"notes:jane.md", "notes:meeting.md"}
    assert "notes:jane-again.md" not in sources(run)
    assert run.json("show", "jane")["stage"] == "met"


def test_the_watcher_never_waits_on_a_fifo(cli: CLI) -> None:
    """A FIFO saved while `watch` runs: other writers get in, and Ctrl-C stops it at once."""
    folder = cli.home / "notes"
    folder.mkdir()
    cli.now = NOW
    write(folder, "jane.md", JANE)
    watching = Watching(cli, folder)
    try:
        until(lambda: "Jane Doe" in watching.view("contacts.md"), timeout=10)
        os.mkfifo(folder / "pipe.md")
        until(lambda: "`pipe.md` line 1: not a regular file" in watching.view("errors.md"),
              timeout=10, what="the FIFO reported")
        cli.ids("add", "Eve Park")  # another writer, while the FIFO is still there
        write(folder, "meeting.md", MEETING)
        until(lambda: "thank-you" in watching.view("due.md"), timeout=10, what="notes go on")
        until(lambda: "Eve Park" in watching.view("contacts.md"), timeout=10)
        started = time.monotonic()
        watching.proc.send_signal(signal.SIGINT)
        assert watching.proc.wait(timeout=10) == 0, watching.err
        assert time.monotonic() - started < 5
        assert watching.err.count("error: pipe.md:1: not a regular file") == 1
        assert "Traceback" not in watching.err
    finally:
        if watching.proc.poll() is None:
            watching.proc.kill()
            watching.proc.wait(timeout=10)


# -- sizes ------------------------------------------------------------------------------------

def test_a_note_over_the_size_limit_is_refused_without_being_read_whole(
        run: InProcessCLI, notes: Path) -> None:
    write(notes, "huge.md", "---\ncontact: Jane Doe\n---\n" + "word " * 1_300_000)
    write(notes, "book.md", "# Not a note\n" + "word " * 300_000)  # big, but not a note
    write(notes, "good.md", GOOD)
    result = once(run, notes, expect=1)
    [line] = errors(result)
    assert line.startswith("coffeechat: note error: huge.md:1: ")
    assert "over the limit of 1,048,576 bytes" in line
    assert sources(run) == {"notes:jane.md", "notes:good.md"}


def test_a_list_over_the_limit_is_refused_naming_the_key(run: InProcessCLI,
                                                          notes: Path) -> None:
    tags = ", ".join(f"t{n}" for n in range(201))
    write(notes, "tags.md", f"---\ntype: contact\ncontact: Eve Park\ntags: [{tags}]\n---\n")
    result = once(run, notes, expect=1)
    [line] = errors(result)
    assert line.startswith("coffeechat: note error: tags.md:4: tags: ")
    assert "200" in line
    assert "notes:tags.md" not in sources(run)


def test_a_note_that_would_make_an_event_over_the_limit_is_refused(run: InProcessCLI,
                                                                    notes: Path) -> None:
    takeaways = "".join(f"  - {n} {'x' * 15_000}\n" for n in range(20))
    write(notes, "long.md", f"---\ntype: meeting\ncontact: Jane Doe\ntakeaways:\n{takeaways}---\n")
    write(notes, "good.md", GOOD)
    before = len(run.json("log"))
    result = once(run, notes, expect=1)
    [line] = errors(result)
    assert line.startswith("coffeechat: note error: long.md:1: ")
    assert "meeting.held" in line and "262,144" in line
    assert "notes:long.md" not in sources(run)
    assert "notes:good.md" in sources(run) and len(run.json("log")) > before


# -- YAML aliases -------------------------------------------------------------------------------

def test_yaml_anchors_and_aliases_are_refused(run: InProcessCLI, notes: Path) -> None:
    write(notes, "alias.md", "---\ntype: meeting\ncontact: Jane Doe\ntakeaways: &t\n"
                             "  - one thing\ntags: *t\n---\n")
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [f"{k}: &{k} [{', '.join(['*' + p] * 8)}]" for p, k in zip("abc", "bcd", strict=True)]
    write(notes, "laughs.md", "---\ncontact: Jane Doe\n" + "\n".join(levels)
          + "\ntakeaways: *d\n---\nlol\n")
    result = once(run, notes, expect=1)
    assert sorted(errors(result)) == [
        "coffeechat: note error: alias.md:4: YAML anchors and aliases (&name, *name) "
        "are not allowed",
        "coffeechat: note error: laughs.md:3: YAML anchors and aliases (&name, *name) "
        "are not allowed",
    ]
    assert not sources(run) & {"notes:alias.md", "notes:laughs.md"}


def test_ampersands_and_stars_in_text_are_fine(run: InProcessCLI, notes: Path) -> None:
    write(notes, "att.md", "---\ntype: contact\ncontact: Eve Park\ncompany: AT&T\n"
                           "how_met: R&D meetup, *very* good\n---\n")
    write(notes, "journal.md", "---\ntitle: &t my day\nsame: *t\n---\nnot a note\n")
    assert errors(once(run, notes)) == []
    assert run.json("show", "eve")["company"] == "AT&T"


# -- dates inside the window ------------------------------------------------------------------

DATES = [
    ("date: 9999-12-30", 3, "date"),
    ("date: 1899-12-31 23:00:00", 3, "date"),
    ("date: 0001-01-01", 3, "date"),
    ("type: commitment\ncommitments:\n  - text: x\n    due: 2201-01-01", 4, "commitments"),
    ("type: commitment\ncommitments:\n  - text: x\n    due: 9999-12-31 10:00:00", 4,
     "commitments"),
]


@pytest.mark.parametrize(("front", "line", "key"), DATES, ids=[d[0] for d in DATES])
def test_a_yaml_date_outside_the_window_is_a_note_error(run: InProcessCLI, notes: Path,
                                                        front: str, line: int, key: str) -> None:
    once(run, notes)
    before = run.json("log")
    write(notes, "when.md", f"---\ncontact: Jane Doe\n{front}\n---\nhi\n")
    result = once(run, notes, expect=1)
    [error] = errors(result)
    assert error.startswith(f"coffeechat: note error: when.md:{line}: {key}: ")
    assert "outside the dates coffeechat keeps (1900-01-01 to 2200-12-31)" in error
    assert run.json("log") == before


def test_a_note_without_a_date_and_a_file_time_outside_the_window(run: InProcessCLI,
                                                            notes: Path) -> None:
    path = write(notes, "future.md", GOOD)
    future = 7_400_000_000  # 2204 (ext4 keeps no time before 1901)
    os.utime(path, (future, future))
    result = once(run, notes, expect=1)
    [error] = errors(result)
    assert error.startswith("coffeechat: note error: future.md:1: date: ")
    assert "2204" in error and "outside the dates" in error
    assert "notes:future.md" not in sources(run)


# -- the views folder ---------------------------------------------------------------------------

def test_a_views_folder_that_links_elsewhere_is_refused(run: InProcessCLI, notes: Path,
                                                         tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (notes / "_coffeechat").symlink_to(elsewhere)
    result = once(run, notes, expect=1)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err
    assert "_coffeechat" in lines[0] and "--views" in lines[0]
    assert list(elsewhere.iterdir()) == []
    assert run.count() == 0
    # Named on purpose, it is where the views go.
    once(run, notes, "--views", str(notes / "_coffeechat"))
    assert (elsewhere / "due.md").exists()


def test_a_link_in_the_views_folder_is_never_written_through(run: InProcessCLI, notes: Path,
                                                             tmp_path: Path) -> None:
    mine = write(tmp_path, "mine.md", "# my own file\n")
    views = notes / "_coffeechat"
    views.mkdir()
    (views / "contacts.md").symlink_to(mine)
    result = once(run, notes)
    warnings = [line for line in result.err.splitlines() if "warning" in line]
    assert warnings == ["coffeechat: warning: views: not writing contacts.md: "
                        "it is a link or not a regular file"]
    assert mine.read_text() == "# my own file\n"
    assert (views / "contacts.md").is_symlink()
    assert "Jane Doe" in (views / "contacts" / "jane-doe.md").read_text()
    assert (views / "due.md").exists()


def test_a_fifo_in_the_views_folder_is_skipped(cli: CLI) -> None:
    folder = cli.home / "notes"
    write(folder, "jane.md", JANE)
    (folder / "_coffeechat").mkdir()
    os.mkfifo(folder / "_coffeechat" / "due.md")
    result = limited(cli, "watch", str(folder), "--once")
    assert result.code == 0, result.err
    assert result.err.splitlines() == ["coffeechat: warning: views: not writing due.md: "
                                       "it is a link or not a regular file"]
    assert (folder / "_coffeechat" / "contacts.md").exists()


def modes(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): stat.S_IMODE(p.stat().st_mode)
            for p in [folder, *folder.rglob("*")]}


@pytest.mark.parametrize(("notes_mode", "file_mode", "folder_mode"),
                         [(0o755, 0o644, 0o755), (0o700, 0o600, 0o700)])
def test_views_inside_the_notes_folder_follow_its_mode(run: InProcessCLI, notes: Path,
                                                       notes_mode: int, file_mode: int,
                                                       folder_mode: int) -> None:
    notes.chmod(notes_mode)
    once(run, notes)
    found = modes(notes / "_coffeechat")
    assert found.pop(".") == folder_mode and found.pop("contacts") == folder_mode
    assert found and set(found.values()) == {file_mode}


def test_view_files_follow_a_change_of_the_notes_folders_mode(run: InProcessCLI,
                                                              notes: Path) -> None:
    notes.chmod(0o755)
    once(run, notes)
    notes.chmod(0o700)  # made private: the views follow, though their text is the same
    assert once(run, notes, "--json").json()["views"] == []
    files = [p for p in (notes / "_coffeechat").rglob("*") if p.is_file()]
    assert files and {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}


def test_views_elsewhere_are_private(run: InProcessCLI, notes: Path, tmp_path: Path) -> None:
    notes.chmod(0o755)
    views = tmp_path / "views"
    once(run, notes, "--views", str(views))
    found = modes(views)
    assert found.pop(".") == 0o700 and found.pop("contacts") == 0o700
    assert found and set(found.values()) == {0o600}


# -- each view on its own --------------------------------------------------------------------

def with_views(runner: InProcessCLI, folder: Path, *plugins: str, expect: int = 0) -> Result:
    return runner.run("--plugins-dir", str(PLUGINS), "watch", str(folder), "--once",
                      expect=expect, COFFEECHAT_LOAD_PLUGINS=",".join(plugins))


def warnings(result: Result) -> list[str]:
    assert "Traceback" not in result.err
    return [line for line in result.err.splitlines() if line.startswith("coffeechat: warning")]


def test_a_view_that_raises_is_one_warning(run: InProcessCLI, notes: Path) -> None:
    result = with_views(run, notes, "view_raises")
    assert sorted(warnings(result)) == [
        "coffeechat: warning: view 'broken' failed: RuntimeError: the view broke",
        "coffeechat: warning: view 'odd' failed: it returned a list, not "
        "{path: Markdown text}",
    ]
    assert "Jane Doe" in (notes / "_coffeechat" / "contacts.md").read_text()
    # A bad note still makes the exit code 1; the view's failure never does.
    write(notes, "bad.md", "---\ncontact: Jane Doe\nmood: happy\n---\n")
    again = with_views(run, notes, "view_raises", expect=1)
    assert errors(again) == ["coffeechat: note error: bad.md:3: mood: unknown key"]


def test_a_view_cannot_write_outside_the_views_folder(run: InProcessCLI, notes: Path) -> None:
    result = with_views(run, notes, "view_escapes")
    assert warnings(result) == [
        "coffeechat: warning: view 'escaping' failed: '../escaped.md' is outside the "
        "views folder"]
    assert not (notes / "escaped.md").exists()
    assert (notes / "_coffeechat" / "escaping-ok.md").exists()
    assert (notes / "_coffeechat" / "due.md").exists()


def test_a_view_that_hangs_is_stopped(run: InProcessCLI, notes: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("coffeechat.limits.HOOK_SECONDS", 0.3)
    started = time.monotonic()
    result = with_views(run, notes, "view_hangs")
    assert time.monotonic() - started < 5
    assert warnings(result) == [
        "coffeechat: warning: view 'slow' took longer than 0.3 s and was stopped"]
    assert "Jane Doe" in (notes / "_coffeechat" / "contacts.md").read_text()


def test_the_built_in_views_have_no_time_limit(run: InProcessCLI, notes: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # The first views of a large store may take longer than a plugin's hook may: here
    # the contact pages take 0.5 s (a store of some 10,000 contacts), a plugin 0.3 s.
    from coffeechat.plugins import markdown_views

    fast = markdown_views.render_pages

    @functools.wraps(fast)
    def render_pages(ctx: ViewContext) -> dict[str, str]:
        time.sleep(0.5)
        return fast(ctx)

    monkeypatch.setitem(markdown_views.BUILTIN_VIEWS, "contact pages", render_pages)
    monkeypatch.setattr("coffeechat.limits.HOOK_SECONDS", 0.3)
    result = with_views(run, notes, "view_hangs")
    assert warnings(result) == [
        "coffeechat: warning: view 'slow' took longer than 0.3 s and was stopped"]
    assert "Jane Doe" in (notes / "_coffeechat" / "contacts" / "jane-doe.md").read_text()
