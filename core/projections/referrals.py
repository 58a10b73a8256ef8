"""The referrals view: who introduced me to whom, and when."""

from __future__ import annotations

import apsw

from coffeechat.projections import VERSIONS
from coffeechat.projections.base import Folded, Projection


class ReferralsProjection(Projection):
    name = "referrals"
    version = VERSIONS["referrals"]
    tables = ("referrals",)
    ddl = """
        CREATE TABLE {s}.referrals (
            referrer TEXT NOT NULL,        -- contact id of who made the introduction
            referred TEXT NOT NULL,        -- contact id of who they introduced
            name TEXT NOT NULL,
            at TEXT NOT NULL,
            event TEXT NOT NULL PRIMARY KEY
        );
        CREATE INDEX {s}.referrals_referrer ON referrals(referrer);
        CREATE INDEX {s}.referrals_referred ON referrals(referred);
    """

    def remove(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        db.executemany(f"DELETE FROM {schema}.referrals WHERE referrer = ?",
                       [(f.state.id,) for f in folded])

    def insert(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        db.executemany(
            f"INSERT INTO {schema}.referrals(referrer, referred, name, at, event) "
            "VALUES (?,?,?,?,?)",
            [(f.state.id, r.contact, r.name, r.at, r.id)
             for f in folded for r in f.state.referrals],
        )
