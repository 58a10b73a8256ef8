"""The event log's contract, run against a file-backed store and an in-memory one."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import apsw
import msgspec
import pytest

from coffeechat.clock import stamp
from coffeechat.codec import register_upcaster
from coffeechat.errors import ConflictError, StoreError
from coffeechat.events import EVENT_TYPES, SCHEMAS, NoteAdded, Payload, register_event_type
from coffeechat.migrations import MIGRATIONS
from coffeechat.store import NewEvent, Store, open_store

AT = "2026-11-20T18:00:00Z"


def note(stream: str = "contact:jane-doe", text: str = "hello", **kw: str) -> NewEvent:
    return NewEvent(stream=stream, payload=NoteAdded(text=text), occurred_at=AT, **kw)


def test_appended_events_read_back_in_order(store: Store) -> None:
    written = store.append([note(text="one"), note(text="two"), note("contact:bob", "three")])
    assert [e.seq for e in written] == [1, 2, 3]
    assert [e.version for e in written] == [1, 2, 1]
    read = list(store.events())
    assert [e.id for e in read] == [e.id for e in written]
    assert [e.payload().text for e in read] == ["one", "two", "three"]  # type: ignore[union-attr]
    assert len({e.batch for e in read}) == 1  # one append, one batch


def test_update_and_delete_on_events_fail(store: Store) -> None:
    store.append([note()])
    with pytest.raises(apsw.ConstraintError, match="append-only"):
        store.conn.execute("UPDATE events SET data = '{\"text\":\"changed\"}'")
    with pytest.raises(apsw.ConstraintError, match="append-only"):
        store.conn.execute("DELETE FROM events")
    assert store.count() == 1
    assert next(store.events()).payload().text == "hello"  # type: ignore[union-attr]


def test_appending_an_existing_id_is_a_no_op(store: Store) -> None:
    first = store.append([note(id="01900000-0000-7000-8000-000000000001")])
    again = store.append([note(id="01900000-0000-7000-8000-000000000001", text="other")])
    assert len(first) == 1 and again == []
    assert store.count() == 1
    # Within one batch, the first occurrence wins too.
    twice = store.append([note(id="01900000-0000-7000-8000-000000000002"),
                          note(id="01900000-0000-7000-8000-000000000002")])
    assert len(twice) == 1 and store.count() == 2


def test_appending_an_existing_key_is_a_no_op(store: Store) -> None:
    store.append([note(key="notes:jane.md#abc")])
    assert store.append([note(key="notes:jane.md#abc", text="other")]) == []
    assert store.count() == 1


def test_stale_expected_version_raises_and_writes_nothing(store: Store) -> None:
    store.append([note()])
    store.append([note()], expected={"contact:jane-doe": 1})
    with pytest.raises(ConflictError, match="expected version 1, found 2"):
        store.append([note(), note("contact:bob")], expected={"contact:jane-doe": 1})
    assert store.count() == 2
    assert store.stream_version("contact:bob") == 0


def test_failed_batch_leaves_nothing(store: Store) -> None:
    class NotJson(Payload):
        value: object

    register_event_type("test.not-json", NotJson)
    try:
        # The second event cannot be encoded: the whole batch, first event too, is refused.
        with pytest.raises(TypeError, match="complex"):
            store.append([note(), NewEvent(stream="contact:x", payload=NotJson(value=1j),
                                           occurred_at=AT)])
    finally:
        EVENT_TYPES.pop("test.not-json")
    assert store.count() == 0
    assert store.append([note()])[0].seq == 1  # and the store still works


def test_payloads_are_readable_with_json_extract(store: Store) -> None:
    store.append([note(text="met at the conference")])
    row = store.conn.execute("SELECT json_extract(data, '$.text') FROM events").fetchone()
    assert row == ("met at the conference",)


def test_verify_passes_and_detects_a_row_changed_behind_its_back(store: Store) -> None:
    store.append([note(text=str(i)) for i in range(20)])
    report = store.verify()
    assert report.ok and report.events == 20
    db = store.conn
    db.execute("DROP TRIGGER events_no_update")
    db.execute("UPDATE events SET data = '{\"text\":\"forged\"}' WHERE seq = 7")
    report = store.verify()
    assert not report.ok
    assert any(p.startswith("seq 7 ") for p in report.problems)


def test_backup_is_a_complete_private_copy(store: Store, tmp_path: Path) -> None:
    store.append([note(text=str(i)) for i in range(50)])
    dest = tmp_path / "copy.db"
    store.backup(dest)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    copy = open_store(dest)
    try:
        assert copy.count() == 50
        assert copy.verify().ok
        assert [e.id for e in copy.events()] == [e.id for e in store.events()]
    finally:
        copy.close()


def test_upcaster_moves_old_payloads_to_the_current_schema(store: Store) -> None:
    class Greeting(Payload):
        words: list[str]

    register_event_type("test.greeting", Greeting, schema=2)
    register_upcaster("test.greeting", 1, lambda old: {"words": old["text"].split()})
    try:
        # A row as an older coffeechat wrote it: schema 1, {"text": ...}. (The store
        # API only writes today's schema, and checks it: plant the old row with SQL.)
        store.conn.execute(
            "INSERT INTO events(seq, id, stream, version, type, schema, occurred_at, "
            "recorded_at, source, data, hash) VALUES (1, 'old', 'contact:x', 1, "
            "'test.greeting', 1, ?, ?, 'cli', '{\"text\":\"hi there\"}', '')", (AT, AT))
        payload = next(store.events()).payload()
        assert payload == Greeting(words=["hi", "there"])
    finally:
        EVENT_TYPES.pop("test.greeting")
        SCHEMAS.pop("test.greeting")


def test_unknown_event_types_are_kept_and_decode_to_dicts(store: Store) -> None:
    class Custom(Payload):
        channel: str

    register_event_type("plugin.custom", Custom)
    store.append([NewEvent(stream="contact:x", payload=Custom(channel="carrier pigeon"),
                           occurred_at=AT)])
    EVENT_TYPES.pop("plugin.custom")  # the plugin is uninstalled
    event = next(store.events())
    assert event.type == "plugin.custom"
    assert event.payload() == {"channel": "carrier pigeon"}


def test_file_store_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "new.db"
    opened = open_store(path)
    opened.append([note()])
    opened.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_migrations_run_once_on_a_blank_store(tmp_path: Path) -> None:
    opened = open_store(tmp_path / "m.db")
    names = [r[0] for r in opened.conn.execute("SELECT name FROM migrations ORDER BY rowid")]
    assert names == [name for name, _ in MIGRATIONS]
    assert opened.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    opened.close()
    again = open_store(tmp_path / "m.db")  # nothing to do the second time
    assert again.conn.execute("SELECT count(*) FROM migrations").fetchone()[0] == len(MIGRATIONS)
    again.close()


def test_migrations_bring_an_old_store_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    # A store as the first release left it: only the first migration applied.
    db = apsw.Connection(str(path))
    db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    name, first = MIGRATIONS[0]
    first(db)
    db.execute("INSERT INTO migrations VALUES (?, ?)", (name, AT))
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO events(id, stream, version, type, schema, occurred_at, recorded_at, "
        "source, data, hash) VALUES ('e1', 'contact:a', 1, 'note.added', 1, ?, ?, 'cli', "
        "'{\"text\":\"old\"}', 'h')", (AT, AT))
    db.close()
    opened = open_store(path)
    try:
        applied = {r[0] for r in opened.conn.execute("SELECT name FROM migrations")}
        assert applied == {name for name, _ in MIGRATIONS}
        assert opened.count() == 1
        assert opened.conn.execute("SELECT count(*) FROM projections").fetchone() == (0,)
    finally:
        opened.close()


def test_a_store_from_a_newer_coffeechat_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    open_store(path).close()
    db = apsw.Connection(str(path))
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    db.close()
    with pytest.raises(StoreError, match="newer coffeechat"):
        open_store(path)


def test_times_are_stored_as_utc_stamps(store: Store) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    local = datetime(2026, 11, 20, 10, 0, tzinfo=timezone(timedelta(hours=-8)))
    assert stamp(local) == "2026-11-20T18:00:00Z"
    assert stamp(datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    written = store.append([NewEvent(stream="contact:a", payload=NoteAdded(text="x"),
                                     occurred_at=stamp(local))])
    assert written[0].occurred_at == "2026-11-20T18:00:00Z"
    assert msgspec.json.decode(written[0].data) == {"text": "x"}


def test_store_path_in_error_when_unopenable(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    os.chmod(bad, 0o600)
    with pytest.raises(StoreError, match=r"not-a-db\.db"):
        open_store(bad)


def test_a_fold_follows_the_registry_as_it_changes() -> None:
    """A fold decodes by the types registered when it runs: a type registered after a
    first fold, then registered again with a newer schema, then taken out."""
    from coffeechat.contact_state import ROW_COLUMNS, ContactState, Row
    from coffeechat.fold import fold

    class Parcel(Payload):
        touch = True  # (a class fact, not a field: no annotation)
        size: int

    store = open_store(":memory:")
    store.conn.executemany(  # (rows of schema 1, {"weight": ...}, and 2: planted with SQL)
        "INSERT INTO events(seq, id, stream, version, type, schema, occurred_at, recorded_at,"
        " source, data, hash) VALUES (?, ?, 'contact:x', ?, 'test.parcel', ?, ?, ?, 'cli', ?,"
        " '')", [(1, "old", 1, 1, AT, AT, '{"weight":3}'), (2, "new", 2, 2, AT, AT,
                                                         '{"size":5}')])

    def folded() -> ContactState:
        rows = [Row(*r) for r in store.conn.execute(f"SELECT {ROW_COLUMNS} FROM events")]
        return fold("contact:x", rows)

    def as_is(state: ContactState) -> bool:  # kept as what nothing registers (no touch)
        return [r.id for r in state.events] == ["old", "new"] and state.last_touch_at is None

    assert as_is(folded())
    register_event_type("test.parcel", Parcel)
    try:
        assert folded().events == []  # schema 1 today: one row does not read, one is newer
        register_event_type("test.parcel", Parcel, schema=2)
        register_upcaster("test.parcel", 1, lambda old: {"size": old["weight"]})
        state = folded()  # the old one upcast, not read as today's schema
        assert [r.id for r in state.events] == ["old", "new"] and state.last_touch_at == AT
    finally:
        EVENT_TYPES.pop("test.parcel")
        SCHEMAS.pop("test.parcel")
    assert as_is(folded())
