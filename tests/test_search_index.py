"""A search index left by a rebuild to the first search finds what one kept all along finds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from coffeechat import queries
from coffeechat.events import ContactAdded, EventRetracted, MeetingHeld, NoteAdded
from coffeechat.projections.projector import Projector
from coffeechat.projections.search import PENDING
from coffeechat.store import NewEvent, Store, open_store

NOW = "2026-12-01T00:00:00Z"
WORDS = ("platforms", "rust", "portfolio", "Acme", "Bob", "zebra", "hiring", "Jose")


def ev(n: int, stream: str, payload: Any, at: str) -> NewEvent:
    return NewEvent(id=f"01900000-0000-7000-8000-{n:012d}", stream=f"contact:{stream}",
                    payload=payload, occurred_at=at)


FIRST = [
    ev(1, "jane", ContactAdded(name="Jane Doe", company="Acme"), "2026-11-01T09:00:00Z"),
    ev(2, "bob", ContactAdded(name="Bob Smith", company="Initech"), "2026-11-01T10:00:00Z"),
    ev(3, "jane", MeetingHeld(notes="data platforms", takeaways=["learn rust"]),
       "2026-11-10T15:30:00Z"),
    ev(4, "bob", NoteAdded(text="hiring for a portfolio review"), "2026-11-11T09:00:00Z"),
]
LATER = [  # after the rebuild, before any search: edits to the list still to index
    ev(5, "jose", ContactAdded(name="José Álvarez"), "2026-11-12T09:00:00Z"),
    ev(6, "bob", EventRetracted(target="01900000-0000-7000-8000-000000000004"),
       "2026-11-12T10:00:00Z"),
    ev(7, "jane", NoteAdded(text="zebra stripes on the platforms slide"), "2026-11-13T09:00:00Z"),
]


def results(store: Store) -> tuple[Any, ...]:
    db = store.conn
    hits = tuple(tuple(sorted(map(str, queries.search(db, "main", word)))) for word in WORDS)
    rows = list(db.execute("SELECT rowid, contact, type, text FROM search ORDER BY rowid"))
    return hits, rows


def pending(store: Store) -> bool:
    return store.conn.execute("SELECT count(*) FROM sqlite_master WHERE name = ?",
                              (PENDING,)).get == 1


def test_a_deferred_index_finds_what_an_index_kept_all_along_finds(home: Path) -> None:
    kept = open_store(home / "kept.db")  # searched after every step: the index exists early
    for event in FIRST + LATER:
        kept.append([event])
        Projector(kept).catch_up()
        results(kept)
    assert not pending(kept)

    deferred = open_store(home / "deferred.db")
    deferred.append(FIRST)
    Projector(deferred).rebuild()
    assert pending(deferred)  # the rebuild only listed what to index
    deferred.append(LATER[:2])
    Projector(deferred).catch_up()  # a retraction, a new contact: the list is edited
    deferred.append(LATER[2:])
    Projector(deferred).catch_up()
    assert pending(deferred)
    assert results(deferred) == results(kept)
    assert not pending(deferred)  # built by the first search, once
    hits, rows = results(deferred)
    assert len(rows) == 5  # four texts, the retracted note gone
    assert hits[WORDS.index("Jose")] and not hits[WORDS.index("hiring")]


def test_the_past_is_searched_the_same_way(home: Path) -> None:
    store = open_store(home / "store.db")
    store.append(FIRST)
    store.append(LATER)
    projector = Projector(store)
    projector.rebuild()
    with projector.as_of("2100-01-01T00:00:00Z") as schema:
        past = queries.search(store.conn, schema, "platforms")
    assert [hit["contact"] for hit in past] == ["jane", "jane"]
    assert [h["event"] for h in past] == [h["event"] for h in
                                          queries.search(store.conn, "main", "platforms")]
