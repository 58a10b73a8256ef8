"""The follow-ups view: open due items, produced by the follow-up rules, with their handles."""

from __future__ import annotations

import apsw

from coffeechat.handles import handle_of
from coffeechat.projections import VERSIONS
from coffeechat.projections.base import Folded, Projection
from coffeechat.reasons import with_times


class FollowupsProjection(Projection):
    name = "followups"
    version = VERSIONS["followups"]
    uses_rules = True
    tables = ("followups",)
    ddl = """
        CREATE TABLE {s}.followups (
            contact TEXT NOT NULL,
            kind TEXT NOT NULL,
            due_at TEXT NOT NULL,
            expires_at TEXT,               -- no longer shown from this time on
            reason TEXT NOT NULL,          -- {{day}}/{{time}} shown locally; {{name:ID}} kept
            event TEXT NOT NULL,           -- the event that caused it
            commitment TEXT,
            anchor TEXT,
            handle TEXT NOT NULL           -- 8 characters; see coffeechat.handles
        );
    """
    indexes = """
        CREATE INDEX {s}.followups_due ON followups(due_at);
        CREATE INDEX {s}.followups_handle ON followups(handle);
        CREATE INDEX {s}.followups_contact ON followups(contact);
    """

    def remove(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        db.executemany(f"DELETE FROM {schema}.followups WHERE contact = ?",
                       [(f.state.id,) for f in folded])

    def insert(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        db.executemany(
            f"INSERT INTO {schema}.followups"
            "(contact, kind, due_at, reason, event, expires_at, commitment, anchor, handle) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            [(item.contact, item.kind, item.due_at, with_times(item.reason, item.anchor),
              item.event, item.expires_at, item.commitment, item.anchor,
              handle_of(item.contact, item.kind, item.event, item.commitment))
             for f in folded if f.state.added_at is not None for item in f.followups],
        )
