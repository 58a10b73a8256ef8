"""Which commits wait for the disk: every event's, and not the projections' catch-ups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import apsw
import pytest

from coffeechat.events import ContactAdded
from coffeechat.projections.projector import Projector
from coffeechat.store import NewEvent, open_store

AT = "2026-11-20T18:00:00Z"
FULL, NORMAL = 2, 1


def added(name: str) -> NewEvent:
    slug = name.lower().replace(" ", "-")
    return NewEvent(stream=f"contact:{slug}", payload=ContactAdded(name=name), occurred_at=AT)


def synchronous(db: apsw.Connection) -> int:
    return db.execute("PRAGMA synchronous").get


def committed_under(db: apsw.Connection, work: Any) -> list[int]:
    """The synchronous setting in force at each COMMIT that ``work()`` runs."""
    seen: list[int] = []

    def trace(_cursor: apsw.Cursor, sql: str, _bindings: Any) -> bool:
        if sql.strip().upper().startswith("COMMIT"):
            seen.append(synchronous(db))
        return True

    db.exec_trace = trace
    try:
        work()
    finally:
        db.exec_trace = None
    return seen


def test_events_are_committed_durably_and_catch_ups_are_not(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store.db")
    try:
        projector = Projector(store)
        assert synchronous(store.conn) == FULL
        assert committed_under(store.conn, lambda: store.append([added("Jane Doe")])) == [FULL]
        # the catch-up is worked out again from the log after a power cut: no disk wait
        assert committed_under(store.conn, projector.catch_up) == [NORMAL]
        assert synchronous(store.conn) == FULL  # and the next event's commit waits again
        assert committed_under(store.conn, lambda: store.append([added("Bob Stone")])) == [FULL]
        assert committed_under(store.conn, projector.rebuild) == [NORMAL]
        names = [n for (n,) in store.conn.execute("SELECT name FROM contacts ORDER BY name")]
        assert names == ["Bob Stone", "Jane Doe"]
    finally:
        store.close()


def test_a_failed_non_durable_write_leaves_the_store_durable(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store.db")
    try:
        with pytest.raises(RuntimeError), store.write(durable=False) as db:
            assert synchronous(db) == NORMAL
            raise RuntimeError("a projection failed")
        assert synchronous(store.conn) == FULL
        assert committed_under(store.conn, lambda: store.append([added("Jane Doe")])) == [FULL]
    finally:
        store.close()
