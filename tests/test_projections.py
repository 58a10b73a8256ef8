"""Projections: order independence, incremental = rebuild, checkpoints, versions, settings."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from coffeechat import projections, queries
from coffeechat.events import (
    CommitmentDone,
    CommitmentMade,
    ContactAdded,
    EventRetracted,
    MeetingHeld,
    MeetingScheduled,
    NoteAdded,
    ReferralMade,
    RequestSent,
    ThanksSent,
)
from coffeechat.projections.base import Folded, Projection
from coffeechat.projections.projector import Projector, Setup
from coffeechat.store import NewEvent, Store, open_store
from tests.conftest import CLI

NOW = "2026-12-01T00:00:00Z"


def story() -> list[NewEvent]:
    """Two contacts' events with fixed ids, so any append order gives the same log content."""
    from datetime import UTC, datetime

    def ev(n: int, stream: str, payload: Any, at: str) -> NewEvent:
        return NewEvent(id=f"01900000-0000-7000-8000-{n:012d}", stream=f"contact:{stream}",
                        payload=payload, occurred_at=at)

    return [
        ev(1, "jane", ContactAdded(name="Jane Doe", company="Acme"), "2026-11-01T09:00:00Z"),
        ev(2, "jane", RequestSent(channel="email"), "2026-11-02T09:00:00Z"),
        ev(3, "jane", MeetingScheduled(at=datetime(2026, 11, 10, 15, tzinfo=UTC)),
           "2026-11-03T09:00:00Z"),
        ev(4, "jane", MeetingHeld(notes="data platforms", takeaways=["ship a project"]),
           "2026-11-10T15:30:00Z"),
        ev(5, "jane", CommitmentMade(text="send portfolio"), "2026-11-10T15:30:00Z"),
        ev(6, "jane", ReferralMade(contact="bob", name="Bob Smith"), "2026-11-10T15:30:00Z"),
        ev(7, "bob", ContactAdded(name="Bob Smith", referred_by="jane"), "2026-11-10T15:30:00Z"),
        ev(8, "jane", ThanksSent(channel="email"), "2026-11-11T09:00:00Z"),
        ev(9, "jane", NoteAdded(text="likes Rust"), "2026-11-12T09:00:00Z"),
        ev(10, "jane", CommitmentDone(commitment="01900000-0000-7000-8000-000000000005"),
           "2026-11-13T09:00:00Z"),
        ev(11, "jane", EventRetracted(target="01900000-0000-7000-8000-000000000008"),
           "2026-11-14T09:00:00Z"),
    ]


def snapshot(store: Store) -> tuple[Any, ...]:
    Projector(store).catch_up()
    db = store.conn
    return (queries.contacts(db, "main", NOW), queries.due(db, "main", NOW, None),
            queries.referrals(db, "main"), queries.search(db, "main", "platforms"))


@pytest.fixture
def mem(home: Path) -> Store:
    return open_store(":memory:")


def test_the_order_events_arrive_in_does_not_matter(home: Path) -> None:
    events = story()
    expected = None
    for seed in range(6):
        shuffled = events[:]
        random.Random(seed).shuffle(shuffled)
        store = open_store(":memory:")
        for i in range(0, len(shuffled), 3):  # several batches, caught up in between
            store.append(shuffled[i:i + 3])
            Projector(store).catch_up()
        result = snapshot(store)
        if expected is None:
            expected = result
        assert result == expected, seed
    assert expected is not None
    contacts, due, tree, hits = expected
    assert [c["stage"] for c in contacts] == ["prospect", "met"]  # Bob, Jane
    assert ("jane", "thank-you") in [(d["contact"], d["kind"]) for d in due]  # thanks undone
    assert tree[0]["referred"][0]["id"] == "bob"
    assert hits and hits[0]["contact"] == "jane"


def test_incremental_catch_up_equals_a_full_rebuild(mem: Store) -> None:
    for event in story():
        mem.append([event])
        Projector(mem).catch_up()
    incremental = snapshot(mem)
    Projector(mem).rebuild()
    assert snapshot(mem) == incremental


def test_checkpoints_move_with_the_rows(mem: Store) -> None:
    projector = Projector(mem)
    mem.append(story()[:4])
    assert not projector.is_current()
    assert projector.catch_up() == 4
    assert projector.is_current()
    assert projector.catch_up() == 0  # nothing new: nothing done
    checkpoints = {n: c for n, c in mem.conn.execute("SELECT name, checkpoint FROM projections")}
    assert checkpoints == dict.fromkeys(projections.VERSIONS, 4)


class Failing(Projection):
    name = "followups"
    version = projections.VERSIONS["followups"]
    tables = ("followups",)
    ddl = ""

    def remove(self, db: Any, schema: str, folded: list[Folded]) -> None:
        raise RuntimeError("disk on fire")

    insert = remove


class FailingProjector(Projector):
    def setup(self, *, record: bool = True) -> Setup:
        setup = super().setup(record=record)
        return setup._replace(projections=[Failing() if p.name == "followups" else p
                                           for p in setup.projections])


def test_a_failed_catch_up_leaves_rows_and_checkpoints_as_they_were(mem: Store) -> None:
    mem.append(story()[:2])
    before = snapshot(mem)
    checkpoints = list(mem.conn.execute("SELECT * FROM projections ORDER BY name"))
    mem.append(story()[2:6])
    with pytest.raises(RuntimeError, match="disk on fire"):
        FailingProjector(mem).catch_up()
    assert list(mem.conn.execute("SELECT * FROM projections ORDER BY name")) == checkpoints
    db = mem.conn
    assert queries.contacts(db, "main", NOW) == before[0]  # no half-applied batch
    assert mem.count() == 6  # and the log itself is untouched
    assert snapshot(mem) != before  # a working projector catches up fine


def test_a_new_projection_version_rebuilds_it(mem: Store, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    mem.append(story())
    expected = snapshot(mem)
    mem.conn.execute("DELETE FROM contacts")  # a projection's rows are disposable
    assert Projector(mem).is_current()  # (nothing tells the projector...)
    monkeypatch.setitem(projections.VERSIONS, "contacts", 99)
    monkeypatch.setattr("coffeechat.projections.contacts.ContactsProjection.version", 99)
    assert not Projector(mem).is_current()  # (...until its version changes)
    assert snapshot(mem) == expected
    assert mem.conn.execute(
        "SELECT version FROM projections WHERE name = 'contacts'").fetchone() == (99,)


def test_changed_follow_up_settings_recompute_the_follow_ups(mem: Store, home: Path) -> None:
    mem.append(story())
    Projector(mem).catch_up()
    thank = [d for d in queries.due(mem.conn, "main", NOW, None) if d["kind"] == "thank-you"]
    assert thank[0]["due_at"] == "2026-11-11T15:30:00Z"
    (home / "config.toml").write_text("[followups]\nthank_you_hours = 48\ncheckin_days = 30\n")
    assert not Projector(mem).is_current()
    Projector(mem).catch_up()
    due = {d["kind"]: d["due_at"] for d in queries.due(mem.conn, "main", NOW, None)}
    assert due["thank-you"] == "2026-11-12T15:30:00Z"
    assert due["check-in"] == "2026-12-13T09:00:00Z"  # 30 days after the last touch
    assert Projector(mem).is_current()


def test_as_of_rebuilds_the_past_without_touching_the_live_views(mem: Store) -> None:
    mem.append(story()[:4])
    Projector(mem).catch_up()
    recorded = mem.conn.execute("SELECT max(recorded_at) FROM events").fetchone()[0]
    live = snapshot(mem)
    with Projector(mem).as_of(recorded) as schema:
        past = queries.contacts(mem.conn, schema, NOW)
    assert past == live[0]
    with Projector(mem).as_of("2000-01-01T00:00:00Z") as schema:
        assert queries.contacts(mem.conn, schema, NOW) == []
    assert snapshot(mem) == live


def test_search_skips_retracted_events(run: CLI) -> None:
    run.ids("add", "Jane Doe")
    [note_id] = run.ids("note", "jane", "Loves distributed tracing")
    assert [h["contact"] for h in run.json("search", "tracing")] == ["jane-doe"]
    assert [h["contact"] for h in run.json("search", "distrib")] == ["jane-doe"]  # prefix
    run.ids("undo", note_id)
    assert run.json("search", "tracing") == []
    assert run.json("search", '"unbalanced (quote') == []  # no FTS syntax errors


def test_config_errors_name_the_file_and_key(run: CLI) -> None:
    run.ids("add", "Jane Doe")
    config = run.home / "config.toml"
    config.write_text("[followups]\nthank_you_hourz = 12\n")
    result = run.run("due", expect=1)
    assert result.err.splitlines() == [
        f"coffeechat: error: {config}: key followups: Object contains unknown field "
        "`thank_you_hourz`"]
    config.write_text("[followups]\nnudge_days = 'soon'\n")
    assert "followups.nudge_days" in run.run("due", expect=1).err
    config.write_text("[followups\n")
    assert "not valid TOML" in run.run("due", expect=1).err
    config.write_text("[followups]\nnudge_days = 3\n")
    run.ids("ask", "jane")
    assert run.json("due")[0]["due_at"] == "2026-11-05T09:00:00Z"


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_a_rebuild_in_small_chunks_equals_one_in_a_single_chunk(
        mem: Store, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    from coffeechat.projections import folding

    mem.append(story())
    mem.append([NewEvent(stream=f"contact:p{n}", payload=ContactAdded(name=f"Person {n}"),
                         occurred_at=f"2026-11-0{n + 1}T09:00:00Z") for n in range(5)])
    Projector(mem).rebuild()
    whole = snapshot(mem)
    monkeypatch.setattr(folding, "CHUNK", chunk)
    Projector(mem).rebuild()
    assert snapshot(mem) == whole
    assert len(whole[0]) == 7


def test_a_rebuild_gives_the_sorter_helper_threads_and_takes_them_back(
        tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from coffeechat.projections import folding

    store = open_store(tmp_path / "events.db")
    store.append(story())
    store.conn.execute("PRAGMA threads = 0")
    during: list[int] = []
    fold_all = folding.fold_all

    def watched(*args: Any, **kwargs: Any) -> Any:
        for chunk in fold_all(*args, **kwargs):
            during.append(store.conn.execute("PRAGMA threads").get)
            yield chunk

    monkeypatch.setattr(folding, "SORT_THREADS", 2)
    monkeypatch.setattr(folding, "CHUNK", 1)  # (a chunk while the sort is being read)
    monkeypatch.setattr(folding, "fold_all", watched)
    Projector(store).rebuild()
    assert during[0] == 2
    assert store.conn.execute("PRAGMA threads").get == 0


def _indexes(db: Any, schema: str = "main") -> set[str]:
    return {name for (name,) in db.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}


class Indexed(Projection):
    """A plugin-style projection whose index is made after a rebuild's rows."""

    name = "indexed"
    version = 1
    tables = ("indexed",)
    ddl = "CREATE TABLE {s}.indexed (contact TEXT NOT NULL)"
    indexes = "CREATE INDEX {s}.indexed_contact ON indexed(contact)"

    def __init__(self, seen: list[bool]) -> None:
        self.seen = seen  # at each insert: was the index there?

    def remove(self, db: Any, schema: str, folded: list[Folded]) -> None:
        db.executemany(f"DELETE FROM {schema}.indexed WHERE contact = ?",
                       [(f.state.id,) for f in folded])

    def insert(self, db: Any, schema: str, folded: list[Folded]) -> None:
        self.seen.append("indexed_contact" in _indexes(db, schema))
        db.executemany(f"INSERT INTO {schema}.indexed VALUES (?)", [(f.state.id,) for f in folded])


def test_a_rebuild_makes_the_indexes_once_the_rows_are_in(mem: Store) -> None:
    seen: list[bool] = []

    class IndexedProjector(Projector):
        def setup(self, *, record: bool = True) -> Setup:
            setup = super().setup(record=record)
            return setup._replace(projections=[*setup.projections, Indexed(seen)])

    mem.append(story())
    IndexedProjector(mem).rebuild()
    assert seen == [False]  # the rows went in before the index was made
    indexes = _indexes(mem.conn)
    assert {"indexed_contact", "contacts_name", "contacts_email", "followups_handle",
            "followups_due", "followups_contact", "search_pending_seq"} <= indexes
    mem.append([NewEvent(stream="contact:jane", payload=NoteAdded(text="more"),
                         occurred_at="2026-11-20T09:00:00Z")])
    IndexedProjector(mem).catch_up()
    assert seen == [False, True]  # a catch-up keeps the index up to date row by row
    assert mem.conn.execute("SELECT count(*) FROM indexed").get == 2
    IndexedProjector(mem).rebuild()
    assert _indexes(mem.conn) == indexes


def test_a_search_list_left_by_an_older_version_keeps_working(mem: Store) -> None:
    """Before, the list of what a rebuild left to index was keyed by seq (no index made
    at the end); a store holding one catches up and searches as a fresh one does."""
    events = story()
    mem.append(events[:9])
    Projector(mem).rebuild()
    db = mem.conn
    rows = db.execute("SELECT seq, contact FROM search_pending").fetchall()
    db.execute("DROP TABLE search_pending")
    db.execute("CREATE TABLE search_pending (seq INTEGER PRIMARY KEY, contact TEXT NOT NULL)")
    db.executemany("INSERT INTO search_pending VALUES (?, ?)", rows)
    mem.append(events[9:])  # (a retraction: the catch-up edits the list)
    fresh = open_store(":memory:")
    fresh.append(events)
    assert snapshot(mem) == snapshot(fresh)
    assert queries.search(db, "main", "rust")  # the note, found once the index is built
    assert "search_pending" not in {n for (n,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_the_list_of_built_in_indexes_is_what_the_projections_make() -> None:
    import re

    from coffeechat.config import FollowupRules
    from coffeechat.projections.contacts import ContactsProjection
    from coffeechat.projections.followups import FollowupsProjection

    for projection in (ContactsProjection(FollowupRules()), FollowupsProjection()):
        made = re.findall(r"CREATE INDEX \{s\}\.(\w+)", projection.indexes)
        assert tuple(made) == projections.INDEXES[projection.name]
        assert "CREATE INDEX" not in projection.ddl
