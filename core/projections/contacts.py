"""The contacts view: one row per contact with its stage and last touch."""

from __future__ import annotations

import apsw
import msgspec

from coffeechat.projections import VERSIONS
from coffeechat.projections.base import Folded, Projection
from coffeechat.rules import FollowupRules, unanswered_at


class ContactsProjection(Projection):
    name = "contacts"
    version = VERSIONS["contacts"]
    uses_rules = True  # unanswered_at depends on nudge_days
    tables = ("contacts",)
    ddl = """
        CREATE TABLE {s}.contacts (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            company TEXT, role TEXT, email TEXT, linkedin TEXT, phone TEXT, how_met TEXT,
            referred_by TEXT,
            tags TEXT NOT NULL,            -- JSON list
            stage TEXT NOT NULL,           -- as of the last event; see unanswered_at
            unanswered_at TEXT,            -- from then on an 'asked' contact is 'unanswered'
            last_touch_at TEXT,
            cadence_days INTEGER,
            meetings INTEGER NOT NULL,
            added_at TEXT
        );
    """

    def __init__(self, rules: FollowupRules) -> None:
        self.rules = rules

    def remove(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        db.executemany(f"DELETE FROM {schema}.contacts WHERE id = ?",
                       [(f.state.id,) for f in folded])

    def insert(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        encode = msgspec.json.encode
        rules = self.rules
        rows = []
        for f in folded:
            s = f.state
            if s.added_at is None:
                continue  # only retracted or stray events: no contact
            rows.append((
                s.id, s.name, s.company, s.role, s.email, s.linkedin, s.phone, s.how_met,
                s.referred_by, encode(s.tags).decode(), s.stage, unanswered_at(s, rules),
                s.last_touch_at, s.cadence_days, s.meetings, s.added_at,
            ))
        db.executemany(
            f"INSERT INTO {schema}.contacts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows
        )
