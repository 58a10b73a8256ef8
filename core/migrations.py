"""Schema migrations: an ordered list of named steps, each run once per store.

A step is recorded in the ``migrations`` table in the same transaction that
applies it, and ``PRAGMA user_version`` holds how many have run, so opening an
up-to-date store costs one pragma read. Never edit a released step: add one.
"""

from __future__ import annotations

from collections.abc import Callable

import apsw

Migration = tuple[str, Callable[[apsw.Connection], None]]

# The events table's columns in the order every reader selects them and every writer
# inserts them (coffeechat.codec's Event has its fields in this order).
EVENT_COLUMNS = (
    "seq, id, stream, version, type, schema, occurred_at, recorded_at, source, key, batch, "
    "data, hash"
)


def _events(db: apsw.Connection) -> None:
    db.execute(
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            stream TEXT NOT NULL,
            version INTEGER NOT NULL,
            type TEXT NOT NULL,
            schema INTEGER NOT NULL DEFAULT 1,
            occurred_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            source TEXT NOT NULL,
            key TEXT,
            batch TEXT,
            data TEXT NOT NULL,             -- JSON text, written by coffeechat.codec
            hash TEXT NOT NULL,
            UNIQUE (stream, version)
        );
        CREATE UNIQUE INDEX events_key ON events(key) WHERE key IS NOT NULL;
        CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed'); END;
        CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE is not allowed'); END;
        """
    )


def _projection_meta(db: apsw.Connection) -> None:
    db.execute(
        """
        CREATE TABLE projections (
            name TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            checkpoint INTEGER NOT NULL
        );
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """
    )


def _notes_source_index(db: apsw.Connection) -> None:
    # The notes folder asks "what did this file record?"; only its events are indexed.
    db.execute("CREATE INDEX events_notes ON events(source) WHERE source LIKE 'notes:%'")


def _merges_index(db: apsw.Connection) -> None:
    # Merges are rare and needed before any fold: find them without a scan.
    db.execute("CREATE INDEX events_merges ON events(stream) WHERE type = 'contact.merged'")


MIGRATIONS: list[Migration] = [
    ("0001_events", _events),
    ("0002_projection_meta", _projection_meta),
    ("0003_notes_source_index", _notes_source_index),
    ("0004_merges_index", _merges_index),
]
