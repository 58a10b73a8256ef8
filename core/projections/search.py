"""Full-text search (SQLite FTS5) over names, notes, takeaways and other event text.

A row per live event that carries text, keyed by the event's ``seq``. The text
is every string value of the payload, gathered by SQLite's ``json_tree`` (so a
plugin's event types are searchable without code here), minus fields that hold
ids or channel names.
"""

from __future__ import annotations

import apsw

from coffeechat.projections import VERSIONS
from coffeechat.projections.base import Folded, Projection

_NOT_TEXT = ("('channel', 'commitment', 'meeting', 'request', 'target', 'contact', 'referred_by', "
             "'due', 'at', 'template')")


class SearchProjection(Projection):
    name = "search"
    version = VERSIONS["search"]
    tables = ("search",)
    ddl = """
        CREATE VIRTUAL TABLE {s}.search USING fts5(
            contact UNINDEXED, type UNINDEXED, text,
            tokenize = 'unicode61 remove_diacritics 2'
        );
    """

    def remove(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        db.executemany(f"DELETE FROM {schema}.search WHERE rowid = ?",
                       [(seq,) for f in folded for seq in f.state.seqs])

    def insert(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        db.executemany(
            f"INSERT INTO {schema}.search(rowid, contact, type, text) "
            "SELECT seq, substr(stream, 9), type, "
            "(SELECT group_concat(value, ' ') FROM json_tree(events.data) "
            f"WHERE json_tree.type = 'text' AND json_tree.key NOT IN {_NOT_TEXT}) "
            "FROM main.events WHERE seq = ?",
            [(seq,) for f in folded for seq in f.state.text_seqs],
        )
