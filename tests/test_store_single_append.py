"""One-event appends take a shorter path (no savepoint, one query for the tail and
the stream's version): they must end exactly where a batch would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coffeechat.errors import BadInput, ConflictError
from coffeechat.events import NoteAdded
from coffeechat.integrity import read_head
from coffeechat.store import NewEvent, open_store

AT = "2026-11-20T18:00:00Z"


def note(stream: str, text: str, **kw: str) -> NewEvent:
    return NewEvent(stream=stream, payload=NoteAdded(text=text), occurred_at=AT, **kw)


def test_one_by_one_numbers_and_chains_like_one_batch(tmp_path: Path) -> None:
    plan = [("contact:a", "1"), ("contact:b", "2"), ("contact:a", "3"), ("digest:x", "4"),
            ("contact:a", "5")]
    single = open_store(tmp_path / "single.db")
    for stream, text in plan:
        single.append([note(stream, text)])
    batch = open_store(tmp_path / "batch.db")
    batch.append([note(stream, text) for stream, text in plan])
    one = list(single.events())
    assert [(e.seq, e.stream, e.version) for e in one] == [
        (e.seq, e.stream, e.version) for e in batch.events()]
    assert [e.version for e in one] == [1, 1, 2, 1, 3]
    assert single.verify().ok
    head = read_head(str(tmp_path / "single.db"))
    assert head is not None and (head.seq, head.hash) == (5, one[-1].hash)


def test_a_repeated_single_event_in_a_planned_write_keeps_the_batches_before_it(
        tmp_path: Path) -> None:
    store = open_store(tmp_path / "events.db")
    store.append([note("contact:a", "first", id="01900000-0000-7000-8000-000000000001")])
    written = store.append_planned(lambda: [
        ([note("contact:b", "kept")], "cli"),
        ([note("contact:a", "again", id="01900000-0000-7000-8000-000000000001")], "cli"),
        ([note("contact:c", "also kept", key="k1")], "cli"),
        ([note("contact:c", "same key", key="k1")], "cli"),
        ([note("contact:a", "last")], "cli"),
    ])
    assert [len(w) for w in written] == [1, 0, 1, 0, 1]
    assert [(e.seq, e.stream, e.version) for e in store.events()] == [
        (1, "contact:a", 1), (2, "contact:b", 1), (3, "contact:c", 1), (4, "contact:a", 2)]
    assert store.verify().ok


@pytest.mark.parametrize("expected", [0, 2])
def test_a_single_event_against_a_moved_stream_writes_nothing(
        tmp_path: Path, expected: int) -> None:
    store = open_store(tmp_path / "events.db")
    store.append([note("contact:a", "one")])
    with pytest.raises(ConflictError):
        store.append([note("contact:a", "two")], expected={"contact:a": expected})
    with pytest.raises(ConflictError):  # expecting another stream than the one written
        store.append([note("contact:b", "two")], expected={"contact:a": expected})
    assert store.count() == 1
    store.append([note("contact:a", "two")], expected={"contact:a": 1})
    assert store.stream_version("contact:a") == 2


def test_the_first_event_of_an_empty_log(tmp_path: Path) -> None:
    store = open_store(tmp_path / "events.db")
    written = store.append([note("contact:a", "one")], expected={"contact:a": 0})
    assert [(e.seq, e.version) for e in written] == [(1, 1)]
    assert store.verify().ok


# A connection remembers the tail its last one-event append left, and reads it again
# only when the file has changed since (SQLite's data version): every writer below
# changes the file between two appends of one connection.

def test_another_connection_appending_in_between_is_seen(tmp_path: Path) -> None:
    first, second = open_store(tmp_path / "events.db"), open_store(tmp_path / "events.db")
    first.append([note("contact:a", "1")])
    second.append([note("contact:a", "2")])
    second.append([note("contact:b", "3")])
    written = first.append([note("contact:a", "4")])
    assert [(e.seq, e.version) for e in written] == [(4, 3)]
    assert first.verify().ok


def test_another_process_appending_in_between_is_seen(tmp_path: Path) -> None:
    store = open_store(tmp_path / "events.db")
    store.append([note("contact:a", "mine")])
    worker = Path(__file__).parent / "procs" / "append_worker.py"  # three one-event appends
    subprocess.run([sys.executable, str(worker), str(tmp_path / "events.db"), "a", "3", "1"],
                   check=True, capture_output=True)
    written = store.append([note("contact:a", "mine again")])
    assert [(e.seq, e.version) for e in written] == [(5, 5)]
    assert store.verify().ok


def test_the_same_connections_other_writes_are_seen(tmp_path: Path) -> None:
    store = open_store(tmp_path / "events.db")
    store.append([note("contact:a", "1")])
    store.append([note("contact:a", "2"), note("contact:b", "3")])  # a batch
    with store.write() as db:  # rows written by hand, as the jsonl import does
        tail = store.tail()
        from coffeechat.appending import chained_row

        row = chained_row(tail[1], tail[0] + 1, "01900000-0000-7000-8000-00000000000a",
                          note("contact:a", "4"), 3, "note.added", '{"text":"4"}',
                          AT, "cli", "01900000-0000-7000-8000-00000000000b")
        db.execute("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", row)
        store.appended(row[0], row[-1])
    written = store.append([note("contact:a", "5")])
    assert [(e.seq, e.version) for e in written] == [(5, 4)]
    assert store.verify().ok


def test_a_refused_or_repeated_append_leaves_the_tail_right(tmp_path: Path) -> None:
    store = open_store(tmp_path / "events.db")
    store.append([note("contact:a", "1", key="k")])
    with pytest.raises(ConflictError):
        store.append([note("contact:a", "2")], expected={"contact:a": 0})
    assert store.append([note("contact:a", "again", key="k")]) == []
    written = store.append([note("contact:a", "3")])
    assert [(e.seq, e.version) for e in written] == [(2, 2)]
    assert store.verify().ok


def test_a_batchs_hashes_are_each_events_chain_hash(tmp_path: Path) -> None:
    from coffeechat.chain import chain_hash

    store = open_store(tmp_path / "events.db")
    store.append([note("contact:a", "one", key="k1"), note("contact:b", "two"),
                  note("contact:a", "three")])
    previous = ""
    for e in store.events():
        assert e.hash == chain_hash(previous, (
            e.id, e.stream, str(e.version), e.type, str(e.schema), e.occurred_at,
            e.recorded_at, e.source, e.key or "", e.batch or "", e.data))
        previous = e.hash


@pytest.mark.parametrize("kind", ["", "note.added\n", 5])
def test_a_type_given_must_be_one_line_of_text(tmp_path: Path, kind: object) -> None:
    store = open_store(tmp_path / "events.db")
    for events in ([note("contact:a", "one")], [note("contact:a", "one"), note("contact:b", "2")]):
        events[0] = NewEvent(stream="contact:a", payload=NoteAdded(text="x"), occurred_at=AT,
                             type=kind)  # type: ignore[arg-type]  # (whatever a plugin gave)
        with pytest.raises(BadInput, match=r"type: must be one line of 1 to 100 characters; "
                                           r"nothing was recorded$"):
            store.append(events)
    assert store.count() == 0
