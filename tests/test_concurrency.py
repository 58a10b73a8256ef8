"""Real processes: two writers at once, and a writer killed with SIGKILL mid-append."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import apsw
import pytest

from coffeechat.store import open_store

pytestmark = pytest.mark.slow  # real processes: two writers, and a SIGKILL

WORKER = str(Path(__file__).parent / "procs" / "append_worker.py")


def _start(db: Path, name: str, count: int, batch: int, go: Path | None = None
           ) -> subprocess.Popen[str]:
    args = [sys.executable, WORKER, str(db), name, str(count), str(batch)]
    if go is not None:
        args.append(str(go))
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()  # type: ignore[union-attr]
    return proc


def test_two_processes_appending_5000_each_at_once(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    open_store(db).close()
    go = tmp_path / "go"
    workers = [_start(db, name, 5000, 1, go) for name in ("alice", "bob")]
    go.touch()
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        assert worker.returncode == 0, err
        assert out.strip().splitlines()[-1] == "committed 5000"
    store = open_store(db)
    try:
        assert store.count() == 10_000
        db_ = store.conn
        assert db_.execute("SELECT count(DISTINCT id) FROM events").fetchone()[0] == 10_000
        for name in ("alice", "bob"):
            versions = [v for (v,) in db_.execute(
                "SELECT version FROM events WHERE stream = ? ORDER BY seq", (f"contact:{name}",))]
            assert versions == list(range(1, 5001))
        assert store.verify().ok
    finally:
        store.close()


def test_sigkill_mid_append_leaves_a_valid_log_of_whole_batches(tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    open_store(db).close()
    batch = 2000
    proc = _start(db, "carol", 10_000_000, batch)
    acknowledged = 0
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    while acknowledged < 4 * batch and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith("committed"):
            acknowledged = int(line.split()[1])
    time.sleep(0.013)  # land the kill somewhere inside a later batch
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert acknowledged >= 4 * batch

    raw = apsw.Connection(str(db))
    assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    raw.close()
    store = open_store(db)
    try:
        report = store.verify()
        assert report.ok, report.problems
        count = store.count()
        assert count >= acknowledged  # nothing acknowledged was lost
        assert count % batch == 0  # and only whole batches are there
        sizes = {n for (n,) in store.conn.execute(
            "SELECT count(*) FROM events GROUP BY batch")}
        assert sizes == {batch}
        # The store keeps working after the crash.
        from coffeechat.events import NoteAdded
        from coffeechat.store import NewEvent

        store.append([NewEvent(stream="contact:carol", payload=NoteAdded(text="after"),
                               occurred_at="2026-11-21T00:00:00Z")])
        assert store.verify().ok
    finally:
        store.close()
