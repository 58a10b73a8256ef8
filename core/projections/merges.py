"""Merged contacts: which contact streams are folded together.

``merge A B`` records ``contact.merged {into: A}`` on B's stream. From then on
B is an alias: its events are folded into A's state (A's details win; B's fill
gaps), B has no row of its own in the views, and its id resolves to A. The
merges table keeps each alias's immediate target; :func:`roots` follows chains.
"""

from __future__ import annotations

import apsw

from coffeechat.projections import VERSIONS
from coffeechat.projections.base import Folded, Projection


class MergesProjection(Projection):
    name = "merges"
    version = VERSIONS["merges"]
    tables = ("merges",)
    ddl = """
        CREATE TABLE {s}.merges (
            alias TEXT PRIMARY KEY,        -- a contact merged into another
            into_id TEXT NOT NULL          -- the contact it was merged into
        );
    """

    def remove(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        db.executemany(f"DELETE FROM {schema}.merges WHERE alias = ?",
                       [(f.state.id,) for f in folded])

    def insert(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        db.executemany(f"INSERT INTO {schema}.merges(alias, into_id) VALUES (?, ?)",
                       [(f.state.id, f.state.merged_into) for f in folded
                        if f.state.merged_into])


def roots(links: dict[str, str]) -> dict[str, str]:
    """Each alias's final contact, following chains (a cycle, which `merge` refuses, is cut)."""
    found: dict[str, str] = {}
    for alias in links:
        seen = {alias}
        target = links[alias]
        while target in links and target not in seen:
            seen.add(target)
            target = links[target]
        if target not in seen:
            found[alias] = target
    return found


def alias_roots(db: apsw.Connection, schema: str = "main") -> dict[str, str]:
    """alias → the contact it now belongs to, from a (caught-up) merges table."""
    return roots(dict(db.execute(f"SELECT alias, into_id FROM {schema}.merges")))
