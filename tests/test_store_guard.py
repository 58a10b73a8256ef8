"""The store guards what gets in, and notices what was taken out.

Every way in (the CLI, the store API a plugin uses) refuses an event that a
later read could not use; the head remembered beside the store catches the
newest events deleted, a truncated file and dropped triggers; a full disk and
a killed backup leave the store and the folder as they were.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import apsw
import pytest

from coffeechat.errors import BadInput
from coffeechat.events import ContactAdded, MeetingScheduled, NoteAdded
from coffeechat.store import NewEvent, open_store
from tests.conftest import CLI, InProcessCLI

# -- way in: the CLI ----------------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["met", "jane", "--on", "9999-12-30"],
    ["ask", "jane", "--on", "9999-12-31"],
    ["ask", "jane", "--on", "0001-01-01"],
    ["schedule", "jane", "--at", "9999-12-31T10:00"],
    ["commit", "jane", "send it", "--due", "2999-01-01"],
    ["note", "jane", "hi", "--on", "+99999d"],
    ["due", "--as-of", "9999-12-31"],
])
def test_dates_outside_the_window_are_refused_in_one_line(run: InProcessCLI,
                                                          args: list[str]) -> None:
    run.run("add", "Jane Doe")
    before = run.count()
    result = run.run(*args, expect=1)
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
    assert "outside the dates coffeechat keeps (1900-01-01 to 2200-12-31)" in result.err
    assert run.count() == before
    for command in (["due"], ["contacts"], ["show", "jane"], ["rebuild"], ["undo"]):
        run.run(*command)


def test_a_clock_outside_the_window_is_refused(run: InProcessCLI) -> None:
    result = run.run("add", "Jane Doe", expect=1, COFFEECHAT_NOW="9999-12-30T00:00:00Z")
    assert "COFFEECHAT_NOW: 9999-12-30 is outside" in result.err
    assert run.count() == 0


# -- way in: the store API ------------------------------------------------------------------


def _jane(payload: object, **envelope: str) -> NewEvent:
    fields = {"stream": "contact:jane", "occurred_at": "2026-11-20T10:00:00Z", **envelope}
    return NewEvent(payload=payload, **fields)  # type: ignore[arg-type]


REFUSED = [
    (_jane(ContactAdded(name=42)), "Expected `str`, got `int`"),  # type: ignore[arg-type]
    (_jane(MeetingScheduled(at=datetime(9999, 12, 30, tzinfo=UTC))), "outside the dates"),
    (_jane(MeetingScheduled(at=datetime(2026, 12, 1))), "has no time zone"),
    (_jane(MeetingScheduled(at=datetime(2026, 12, 1, tzinfo=UTC), minutes=10**12)),
     "minutes"),
    (_jane(NoteAdded(text="x" * 300_000)), "over the limit"),
    (_jane(NoteAdded(text="hi"), occurred_at="9999-99-99T99:99:99Z"), "occurred_at"),
    (_jane(NoteAdded(text="hi"), occurred_at="2026-11-20 10:00"), "occurred_at"),
    (_jane(NoteAdded(text="hi"), stream="contact:../../etc"), "contact:<id>"),
    (_jane(NoteAdded(text="hi"), key="a\nb"), "key"),
    (_jane(NoteAdded(text="hi"), key="k" * 1001), "key"),
    (_jane(NoteAdded(text="hi"), id="a\nb"), "id: must be one line"),
    (_jane(NoteAdded(text="hi"), id=""), "id: must be one line"),
    (_jane(NoteAdded(text="hi"), id="i" * 101), "id: must be one line"),
]


@pytest.mark.parametrize(("event", "words"), REFUSED)
def test_the_store_api_refuses_what_a_read_could_not_use(tmp_path: Path, event: NewEvent,
                                                          words: str) -> None:
    store = open_store(tmp_path / "api.db")
    good = _jane(ContactAdded(name="Jane"))
    with pytest.raises(BadInput) as refused:
        store.append([good, event])
    message = str(refused.value)
    assert "event 2 of 2" in message and words in message and "\n" not in message
    assert store.count() == 0  # the good event went nowhere either: one transaction
    store.close()


@pytest.mark.parametrize(("event", "words"), REFUSED)
def test_a_large_batch_names_the_one_event_refused(tmp_path: Path, event: NewEvent,
                                                    words: str) -> None:
    # (a batch of 64 or more is checked at once first, then one by one to name the event)
    store = open_store(tmp_path / "api.db")
    goods = [_jane(NoteAdded(text=f"note {n}"), key=f"k{n}",
                   occurred_at=f"2026-11-20T10:{n // 60:02d}:{n % 60:02d}Z") for n in range(119)]
    with pytest.raises(BadInput) as refused:
        store.append([*goods[:70], event, *goods[70:]])
    message = str(refused.value)
    assert "event 71 of 120" in message and words in message and "\n" not in message
    assert store.count() == 0
    assert len(store.append(goods)) == 119  # the same batch without it goes in
    store.close()


# -- the head ---------------------------------------------------------------------------------


@pytest.fixture
def recorded(run: InProcessCLI) -> InProcessCLI:
    for name in ("Jane Doe", "Bob Smith", "Carol King"):
        run.run("add", name)
    run.run("ask", "jane")
    assert run.run("verify").code == 0
    return run


def _raw(db: Path, *statements: str) -> None:
    conn = apsw.Connection(str(db))
    for sql in statements:
        conn.execute(sql)
    conn.close()


def test_verify_notices_the_newest_events_deleted(recorded: InProcessCLI) -> None:
    _raw(recorded.db, "DROP TRIGGER events_no_delete",
         "DELETE FROM events WHERE seq > 2",
         "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
         "BEGIN SELECT RAISE(ABORT, 'no'); END")
    result = recorded.run("verify", expect=1)
    assert "the store ends at seq 2, but it held 4 events before" in result.err


def test_verify_notices_dropped_triggers(recorded: InProcessCLI) -> None:
    _raw(recorded.db, "DROP TRIGGER events_no_update")
    result = recorded.run("verify", expect=1)
    assert "events_no_update is gone" in result.err


def test_verify_notices_history_rewritten_to_the_same_length(recorded: InProcessCLI,
                                                             tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    recorded.run("backup", str(old))
    recorded.run("add", "Dan Brown")
    shutil.copy(old, recorded.db)  # an older copy put in place (the head stays)
    for suffix in ("-wal", "-shm"):
        Path(f"{recorded.db}{suffix}").unlink(missing_ok=True)
    recorded.run("add", "Eve Other")  # same length again, but not the same events
    result = recorded.run("verify", expect=1)
    assert "the event at seq 5 is not the one the store held before" in result.err
    # Restored on purpose: say so once, and verify is content again.
    assert recorded.run("verify", "--reset-head").code == 0
    assert recorded.run("verify").code == 0


def test_an_empty_store_file_is_refused_not_replaced(recorded: InProcessCLI) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{recorded.db}{suffix}").unlink(missing_ok=True)
    os.truncate(recorded.db, 0)
    for args in (["contacts"], ["add", "Mallory"], ["verify"]):
        result = recorded.run(*args, expect=1)
        assert "the file is empty (0 bytes), not a coffeechat store" in result.err
        assert result.err.count("\n") == 1
    assert recorded.db.stat().st_size == 0  # left for the user to restore


def test_a_missing_store_where_one_was_is_refused(recorded: InProcessCLI) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{recorded.db}{suffix}").unlink(missing_ok=True)
    result = recorded.run("contacts", expect=1)
    assert "the store is missing, but it held 4 events" in result.err
    assert not recorded.db.exists()


def test_a_new_store_is_never_left_empty(tmp_path: Path) -> None:
    path = tmp_path / "folder" / "new.db"
    open_store(path).close()
    assert path.stat().st_size > 0
    assert sorted(p.name for p in path.parent.iterdir()) == ["new.db"]
    assert oct(path.parent.stat().st_mode & 0o777) == oct(0o700)


# -- a full disk ------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real 3 MB tmpfs (needs root to mount; skipped otherwise, saying why)."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root; the disk-full test did not run")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); the disk-full "
                    "test did not run")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as out:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError:
                continue
    return filler


def test_a_full_disk_says_so_and_leaves_the_store_valid(small_disk: Path) -> None:
    cli = InProcessCLI(small_disk)
    cli.run("add", "Jane Doe")
    cli.run("note", "jane", "before the disk filled")
    recorded = len(cli.json("log"))
    filler = _fill(small_disk)
    refused = 0
    # The disk full, then with a little room: the open, the WAL or the commit fails.
    for room in (0, 8, 32, 64, 96, 128, 192):
        os.truncate(filler, max(0, filler.stat().st_size - room * 1024))
        result = cli.run("note", "jane", "x" * 19_000, expect=None)
        assert "Traceback" not in result.err and result.err.count("\n") <= 1
        if result.code == 0:
            recorded += 1
        else:
            assert "the disk is full; nothing was written" in result.err, result.err
            refused += 1
    assert refused >= 2
    filler.unlink()
    assert len(cli.json("log")) == recorded
    assert cli.run("verify").code == 0
    cli.run("add", "Bob Smith")


# -- a killed backup --------------------------------------------------------------------------


@pytest.mark.slow  # a real process, killed
def test_a_killed_backup_leaves_nothing_behind_after_the_next(run: CLI, tmp_path: Path) -> None:
    run.run("add", "Jane Doe")
    conn = apsw.Connection(str(run.db))  # a store big enough that the copy takes a while
    conn.execute("CREATE TABLE ballast(x BLOB)")
    conn.executemany("INSERT INTO ballast VALUES (randomblob(65536))", [()] * 800)
    conn.close()
    dest = tmp_path / "copy.db"
    partial = Path(f"{dest}.partial")
    proc = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from coffeechat.store import open_store; "
         "open_store(sys.argv[1]).backup(sys.argv[2], pages_per_step=4)",
         str(run.db), str(dest)], env=run.env())
    deadline = time.monotonic() + 20
    while not partial.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert partial.exists() and not dest.exists()  # killed half way
    run.run("backup", str(dest))
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("copy.db"))
    assert leftovers == ["copy.db", "copy.db.head"]  # the copy, and its own head
    assert run.run("--db", str(dest), "verify").code == 0


# -- the head's own file ------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".head", "-wal", "-shm", "-journal"])
def test_a_backup_cannot_land_on_the_stores_own_files(recorded: InProcessCLI,
                                                      suffix: str) -> None:
    result = recorded.run("backup", f"{recorded.db}{suffix}", "--force", expect=1)
    assert "DEST: that is one of the store's own files" in result.err
    assert recorded.run("verify").code == 0


def test_an_unreadable_head_is_a_problem(recorded: InProcessCLI) -> None:
    Path(f"{recorded.db}.head").write_text("garbage\n")
    result = recorded.run("verify", expect=1)
    assert "the head beside the store cannot be read" in result.err


def test_a_missing_head_is_said_but_is_not_a_problem(recorded: InProcessCLI) -> None:
    Path(f"{recorded.db}.head").unlink()
    out = recorded.run("verify").out
    assert "no head beside the store yet" in out
    recorded.run("add", "Dan Brown")  # the next event writes it again
    assert "no head" not in recorded.run("verify").out


def test_a_backup_carries_its_own_head(recorded: InProcessCLI, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    assert recorded.run("backup", str(dest)).out.startswith("Backed up 4 events to")
    assert Path(f"{dest}.head").exists()
    assert "no head" not in recorded.run("--db", str(dest), "verify").out


def test_counts_read_right_in_the_singular(run: InProcessCLI, tmp_path: Path) -> None:
    run.run("add", "Jane Doe")
    assert run.run("backup", str(tmp_path / "one.db")).out.startswith(
        "Backed up 1 event to")
    _raw(run.db, "DROP TRIGGER events_no_update")
    assert "verify found 1 problem in 1 event" in run.run("verify", expect=1).err


def test_reset_head_says_what_it_did(recorded: InProcessCLI) -> None:
    out = recorded.run("verify", "--reset-head").out
    assert out.startswith("The head now says seq 4: this store, as it is, is the one to "
                          "check against.")
