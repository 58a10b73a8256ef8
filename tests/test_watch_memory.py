"""A long-running `coffeechat watch` keeps its memory level: a real watcher process, its RSS read.

What a watcher's memory follows (measured for the test's numbers, see the
commit that added it): each save re-reads what it needs of the contact's
history, so the working set of one pass grows with the history of the busiest
contact (the log itself grows), and SQLite's page cache fills up to its 2 MB.
What must not happen is memory kept per pass: a watcher that runs for weeks
would grow with time, not with what it holds. Here the history is built first,
then many passes that add nothing to the log but redo the whole pass (read the
note, plan in a write transaction, fold, render and write every view) are
timed against the watcher's resident memory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.test_notes import JANE, write
from tests.test_watch import until

pytestmark = pytest.mark.slow  # a real watcher process, a few hundred saves

EDITS = 40  # saves of one meeting note: history to fold on every later pass
PASSES = 260  # passes that add nothing to the log
SETTLE = 100  # passes before the first reading: caches and arenas fill (about 0.7 MB), then level
# A per-pass leak at the rate seen before this was measured (12 MB over 1,500
# saves, 8 KB a save) would add 1.28 MB over the 160 passes measured; a level
# watcher moved by 0 to 250 KB there (1,200 passes: flat after the first 700),
# and a little more on a machine busy with other tests.
BOUND_KB = 700


def meeting(i: int) -> str:
    return ("---\ntype: meeting\ncontact: Jane Doe\ndate: 2026-11-20 10:00\n"
            f"takeaways:\n  - takeaway number {i}\ncommitments:\n  - text: send my portfolio\n"
            f"    due: 2026-11-25\n---\nTyping the notes of the meeting, save {i}. "
            + "words " * 40 + "\n")


def bad(i: int) -> str:
    return f"---\ntype: meeting\ncontact: Nobody {i}\n---\nwho was it?\n"


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise AssertionError("no RssAnon in /proc")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_watcher_keeps_no_memory_per_pass(cli: CLI, tmp_path: Path) -> None:
    notes, views = tmp_path / "notes", tmp_path / "views"
    notes.mkdir()
    write(notes, "jane.md", JANE)
    script = os.path.join(os.path.dirname(sys.executable), "coffeechat")  # (the console script)
    proc = subprocess.Popen([script, "watch", str(notes), "--views", str(views)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=cli.env())
    errors = views / "errors.md"

    def shown(i: int) -> bool:
        try:
            return f"'Nobody {i}'" in errors.read_text()
        except FileNotFoundError:
            return False

    def pass_(i: int) -> None:
        write(notes, "bad.md", bad(i))
        until(lambda: shown(i), what=f"save {i} of the bad note in errors.md")

    try:
        until(lambda: (views / "due.md").exists(), what="the first views")
        page = views / "contacts" / "jane-doe.md"
        for i in range(EDITS):  # typing in a meeting note (3 events a save the watcher sees)
            write(notes, "meeting.md", meeting(i))
            time.sleep(0.05)
        until(lambda: f"takeaway number {EDITS - 1}\n" in page.read_text(), what="the last edit")
        events = cli.count()
        assert events > EDITS  # (saves close together are read as one)
        pass_(0)
        for i in range(1, SETTLE + 1):
            pass_(i)
        before = rss_kb(proc.pid)
        for i in range(SETTLE + 1, PASSES + 1):
            pass_(i)
        after = rss_kb(proc.pid)
        assert cli.count() == events  # the passes added nothing: a level log
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    assert after - before < BOUND_KB, (
        f"the watcher grew by {after - before} KB over {PASSES - SETTLE} passes "
        f"({before} -> {after} KB)")
