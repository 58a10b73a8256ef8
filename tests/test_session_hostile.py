"""This session's speed work, attacked: the guarantees of docs/guarantees.md still hold.

- ``Store.write(durable=False)`` (catch-ups and rebuilds without a disk wait): every
  way out of it leaves the next event's commit waiting for the disk;
- a batch of 64 or more is checked at once: it is refused (or taken) exactly as the
  same events one by one are, and the first bad event is the one named;
- plugin commands that end in every way a plugin's code can;
- real processes: SIGKILL in the middle of catch-ups and rebuilds while another
  process appends, views through the memory map while a writer, ``rebuild`` and
  ``backup`` run, and ids made by two processes at once.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import apsw
import pytest

from coffeechat.errors import StoreError
from coffeechat.events import NoteAdded
from coffeechat.projections.projector import Projector
from coffeechat.store import NewEvent, open_store
from tests.conftest import CLI, InProcessCLI
from tests.test_store_durability import committed_under, synchronous

AT = "2026-11-20T10:00:00Z"
FULL, NORMAL = 2, 1
PLUGINS = Path(__file__).parent / "plugins"

# -- write(durable=False): every way out restores FULL ----------------------------------------


def _note(n: int, stream: str = "contact:jane", **envelope: Any) -> NewEvent:
    fields: dict[str, Any] = {"stream": stream, "occurred_at": AT, "key": f"k{n}", **envelope}
    return NewEvent(payload=NoteAdded(text=f"note {n}"), **fields)


def _next_append_is_durable(store: Any, n: int) -> None:
    assert synchronous(store.conn) == FULL
    assert committed_under(store.conn, lambda: store.append([_note(n)])) == [FULL]


def test_ctrl_c_in_a_catch_up_leaves_the_next_append_durable(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    try:
        store.append([_note(n) for n in range(5)])
        projector = Projector(store)

        def interrupt(_done: int, _total: int) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            projector.catch_up(interrupt)
        assert not projector.is_current()  # rolled back whole
        _next_append_is_durable(store, 100)
        with pytest.raises(KeyboardInterrupt):
            projector.rebuild(interrupt)
        _next_append_is_durable(store, 101)
        assert projector.catch_up() == 7  # and the next catch-up does it all
    finally:
        store.close()


def test_a_store_that_stays_busy_leaves_the_next_append_durable(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    other = apsw.Connection(str(tmp_path / "s.db"))
    try:
        store.append([_note(1)])
        store.conn.set_busy_timeout(20)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="stayed busy"):
            Projector(store).catch_up()
        other.execute("ROLLBACK")
        _next_append_is_durable(store, 2)
    finally:
        other.close()
        store.close()


def test_an_error_at_commit_leaves_the_next_append_durable(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s.db")
    try:
        store.append([_note(1)])

        def refuse_commit(_cursor: apsw.Cursor, sql: str, _bindings: Any) -> bool:
            return not sql.strip().upper().startswith("COMMIT")  # (False: SQLite refuses it)

        store.conn.exec_trace = refuse_commit
        with pytest.raises(apsw.ExecTraceAbort):
            Projector(store).catch_up()
        store.conn.exec_trace = None
        assert store.conn.getautocommit()  # nothing left open
        _next_append_is_durable(store, 2)
    finally:
        store.close()


# -- a batch of 64+ is judged as the same events one by one ------------------------------------

NOT_TEXT: list[tuple[str, Any]] = [
    ("stream", 5), ("stream", None), ("stream", ["contact:jane"]), ("stream", b"contact:jane"),
    ("occurred_at", 5), ("occurred_at", None), ("occurred_at", [AT]),
    ("key", 5), ("key", ["k"]), ("key", b"k"),
    ("id", 5), ("id", ["x"]),
    ("type", 5), ("type", ["note.added"]),
]
BAD_TEXT: list[tuple[str, Any]] = [
    ("stream", ""), ("stream", "x\x01y"), ("stream", "contact:../x"),
    ("occurred_at", "2026-02-30T10:00:00Z"), ("occurred_at", AT + "\n"),
    ("occurred_at", "2026-11-20t10:00:00z"), ("occurred_at", "٢٠٢٦-11-20T10:00:00Z"),
    ("occurred_at", "9999-11-20T10:00:00Z"),
    ("key", "a\tb"), ("key", "k" * 1001), ("key", "a\x7fb"),
    ("type", ""), ("type", "note.added\n"), ("type", "t" * 101),
]


def _outcome(tmp_path: Path, events: list[NewEvent]) -> tuple[str, str, int]:
    """(error type or "ok", its message with the batch size taken out, events in the log)."""
    path = tmp_path / f"{uuid.uuid4().hex}.db"
    store = open_store(path)
    try:
        try:
            written = store.append(events)
            result = ("ok", str(len(written)))
        except Exception as error:  # (any error: both paths must give the same one)
            result = (type(error).__name__, str(error).replace(f"of {len(events)}", "of N"))
        return (*result, store.count())
    finally:
        store.close()


def _with(events: list[NewEvent], positions: list[int], field: str, value: Any) -> None:
    for at in positions:
        old = events[at]
        fields = {"stream": old.stream, "occurred_at": old.occurred_at, "key": old.key,
                  "type": old.type, "payload": old.payload, field: value}
        events[at] = NewEvent(**fields)


@pytest.mark.parametrize(("field", "value"), BAD_TEXT + NOT_TEXT)
@pytest.mark.parametrize("where", ["first", "middle", "last", "several"])
def test_a_large_batch_is_refused_as_a_small_one(tmp_path: Path, field: str, value: Any,
                                                 where: str) -> None:
    outcomes = []
    for size in (40, 100):
        positions = {"first": [0], "middle": [size // 2], "last": [size - 1],
                     "several": [size // 2, size // 2 + 3, size - 1]}[where]
        events = [_note(n) for n in range(size)]
        _with(events, positions, field, value)
        kind, message, count = _outcome(tmp_path, events)
        assert count == 0
        assert kind == "BadInput", message  # one line naming the event, not a TypeError
        assert f"event {positions[0] + 1} of N " in message and "\n" not in message
        outcomes.append((kind, re.sub(r"event \d+ of N", "event ? of N", message)))
    assert outcomes[0] == outcomes[1]


def test_repeats_inside_a_batch_are_judged_alike_at_any_size(tmp_path: Path) -> None:
    for size in (40, 100):
        events = [_note(n) for n in range(size)]
        twin_key = _note(size, key="k3")  # a key already in the batch: skipped
        twin_id = NewEvent(stream="contact:jane", payload=NoteAdded(text="again"),
                           occurred_at=AT, id="0190a0b0-0000-7000-8000-000000000001")
        first_id = NewEvent(stream="contact:jane", payload=NoteAdded(text="first"),
                            occurred_at=AT, id="0190a0b0-0000-7000-8000-000000000001")
        events[size // 2:size // 2] = [first_id, twin_key, twin_id]
        kind, written, count = _outcome(tmp_path, events)
        assert (kind, written, count) == ("ok", str(size + 1), size + 1)


# -- plugin commands that end in every way ------------------------------------------------------


@pytest.mark.parametrize(("how", "code", "err"), [
    ("bad", 1, "coffeechat: error: the file 'a b' is not a contact list fix it\n"),
    ("lines", 1, "coffeechat: error: plugin command 'ends' failed: ValueError: first line "
                 "second line third (COFFEECHAT_TRACE_PLUGINS=1 shows where)\n"),
    ("abort", 1, "coffeechat: aborted\n"),
    ("exit3", 3, ""),
    # Ctrl-C: exit 130 as the user guide's table says (click turns it into its Abort,
    # after a line break that ends the ^C the terminal echoed)
    ("interrupt", 130, "\ncoffeechat: interrupted\n"),
])
def test_a_plugin_command_ends_as_the_docs_say(run: InProcessCLI, how: str, code: int,
                                               err: str) -> None:
    result = run.run("--plugins-dir", str(PLUGINS), "ends", how, expect=code,
                     COFFEECHAT_LOAD_PLUGINS="cli_hostile")
    assert result.err == err
    assert run.count() == 0
    run.run("add", "Jane Doe")  # and the store works on


# -- real processes -------------------------------------------------------------------------------

PROCS = Path(__file__).parent / "procs"
# What a rebuild must come back to; FTS's own bookkeeping tables are left out (their
# layout depends on how the index was written, not on what it holds).
_NOT_COMPARED = {"events", "meta", "migrations", "search_data", "search_idx",
                 "search_docsize", "search_config"}


def _worker(script: str, *args: str, pause: float = 0) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, str(PROCS / script), *args],
                            env={**os.environ, "MIXED_PAUSE": str(pause)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()  # type: ignore[union-attr]
    return proc


def _acknowledged(proc: subprocess.Popen[str]) -> int:
    """Kill a worker and return the events it said were committed."""
    proc.send_signal(signal.SIGKILL)
    out, _err = proc.communicate(timeout=30)
    done = [int(line.split()[1]) for line in out.splitlines() if line.startswith("committed")]
    return done[-1] if done else 0


def _command(cli: CLI, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "coffeechat", *args], env=cli.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _projections(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = apsw.Connection(str(db))
    try:
        names = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            if name not in _NOT_COMPARED]
        return {name: sorted(conn.execute(f"SELECT * FROM {name}"), key=repr)
                for name in names}
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_in_catch_ups_and_rebuilds_while_another_process_appends(cli: CLI) -> None:
    cli.run("add", "Jane Doe")
    cli.run("add", "Bob Stone")
    stream = "contact:jane-doe"
    seed = _worker("mixed_worker.py", str(cli.db), stream, "2", "4000")
    assert seed.wait(timeout=60) == 0
    writer = _worker("mixed_worker.py", str(cli.db), "contact:bob-stone", "100000", "50")
    chance = random.Random(13)
    killed = 0
    for _ in range(12):
        victim = _command(cli, *chance.choice([["rebuild"], ["due"], ["today"],
                                               ["show", "jane"], ["rebuild"]]))
        time.sleep(chance.uniform(0.05, 0.5))
        if victim.poll() is None:
            killed += 1
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
    acknowledged = _acknowledged(writer)
    assert killed >= 4 and acknowledged > 0  # (kills that landed inside a command)

    raw = apsw.Connection(str(cli.db))
    assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    written = raw.execute("SELECT count(*) FROM events WHERE stream = 'contact:bob-stone' "
                          "AND source LIKE 'test:%'").fetchall()[0][0]
    last = raw.execute("SELECT max(seq) FROM events").fetchall()[0][0]
    raw.close()
    assert acknowledged <= written <= acknowledged + 50  # none lost; at most one unsaid batch
    cli.run("verify")
    cli.run("due", "--json")  # the next command catches up
    caught_up = _projections(cli.db)
    assert {checkpoint for (_name, _version, checkpoint) in caught_up["projections"]} == {last}
    cli.run("rebuild")
    assert _projections(cli.db) == caught_up


@pytest.mark.slow
def test_views_through_the_memory_map_while_others_append_rebuild_and_back_up(
        cli: CLI, tmp_path: Path) -> None:
    import threading

    cli.run("add", "Jane Doe")
    writer = _worker("mixed_worker.py", str(cli.db), "contact:jane-doe", "3", "5000",
                     pause=0.7)
    stop = threading.Event()
    troubles: list[str] = []

    def maintain() -> None:  # a third process at a time: rebuild, then backup, again
        rounds = 0
        while not stop.is_set() or rounds < 2:
            for args in (["rebuild"], ["backup", str(tmp_path / "copy.db"), "--force"]):
                done = cli.run(*args, expect=None)
                if done.code != 0 or done.err:
                    troubles.append(f"{args[0]}: exit {done.code}: {done.err}")
            rounds += 1

    maintainer = threading.Thread(target=maintain)
    maintainer.start()
    seen_log: list[list[str]] = []
    timeline = 0
    views = 0
    try:
        while writer.poll() is None or views < 8:
            for args in (["due"], ["today"], ["show", "jane"], ["log"]):
                done = cli.run(*args, "--json", expect=None)  # (a SIGBUS would be exit -7)
                assert (done.code, done.err) == (0, ""), (args, done.code, done.err)
                answer = done.json()
                if args[0] == "log":
                    seen_log.append([event["id"] for event in answer])
                if args[0] == "show":
                    assert len(answer["timeline"]) >= timeline  # never fewer than before
                    timeline = len(answer["timeline"])
                views += 1
    finally:
        stop.set()
        maintainer.join(timeout=120)
        writer.communicate(timeout=60)
    assert writer.returncode == 0
    assert not troubles, troubles
    final = [event["id"] for event in cli.json("log")]
    assert len(final) == 1 + 3 * 5001
    for ids in seen_log:  # each view saw the log as it was at some moment: a prefix
        assert ids == final[:len(ids)]
    assert len({len(ids) for ids in seen_log}) > 1  # (and the writer did move on meanwhile)
    cli.run("verify")
    backup = open_store(tmp_path / "copy.db")
    try:
        assert backup.verify().ok
    finally:
        backup.close()


_UUID7 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.mark.slow
def test_ids_made_by_two_processes_at_once(tmp_path: Path) -> None:
    db = tmp_path / "ids.db"
    open_store(db).close()
    go = tmp_path / "go"
    workers = [_worker("mixed_worker.py", str(db), f"contact:{name}", "40", "300", str(go))
               for name in ("alice", "bob")]
    go.touch()
    for worker in workers:
        _out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    store = open_store(db)
    try:
        rows = list(store.conn.execute("SELECT source, id, batch FROM events ORDER BY seq"))
        assert store.verify().ok
    finally:
        store.close()
    assert len(rows) == 2 * 40 * 301
    ids = [event_id for _source, event_id, _batch in rows]
    assert len(set(ids)) == len(ids)
    for text in {*ids, *(batch for _s, _i, batch in rows)}:
        assert _UUID7.fullmatch(text), text
        assert str(uuid.UUID(text)) == text and uuid.UUID(text).version == 7
    for source in {source for source, _i, _b in rows}:
        # one process's ids in the order it made them: each batch's events, then its batch id
        made: list[str] = []
        for row_source, event_id, batch in rows:
            if row_source == source:
                if made and made[-1] == batch:
                    made.pop()
                made += [event_id, batch]
        assert made == sorted(made) and len(set(made)) == len(made)
