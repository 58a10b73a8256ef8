"""Full-text search (SQLite FTS5) over names, notes, takeaways and other event text.

A row per live event of a ``searchable`` type (a class variable of its payload
class; the fold lists them in ``ContactState.text_seqs``), keyed by the event's
``seq``. The text is every string value of the payload, gathered by SQLite's
``json_tree`` (so a plugin's event types are searchable without code here),
minus fields that hold ids or channel names.
"""

from __future__ import annotations

import apsw

from coffeechat.projections import VERSIONS
from coffeechat.projections.base import Folded, Projection

_NOT_TEXT = ("('channel', 'commitment', 'meeting', 'request', 'target', 'contact', 'referred_by', "
             "'message_id', 'uid', "
             "'due', 'at', 'template')")


_INSERT = (
    "INSERT INTO {s}.search(rowid, contact, type, text) "
    "SELECT e.seq, r.contact, e.type, "
    "(SELECT group_concat(value, ' ') FROM json_tree(e.data) "
    f"WHERE json_tree.type = 'text' AND json_tree.key NOT IN {_NOT_TEXT}) "
    "FROM {source}"
)


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

    def __init__(self) -> None:
        self._rebuilding: list[tuple[str, int]] | None = None

    def create(self, db: apsw.Connection, schema: str) -> None:
        super().create(db, schema)
        self._rebuilding = []

    def remove(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        db.executemany(f"DELETE FROM {schema}.search WHERE rowid = ?",
                       [(seq,) for f in folded for seq in f.state.seqs])

    def insert(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        rows = [(f.state.id, seq) for f in folded for seq in f.state.text_seqs]
        if self._rebuilding is not None:
            self._rebuilding.extend(rows)  # indexed in one go by finish()
            return
        db.executemany(_INSERT.format(s=schema, source="(SELECT ? AS contact, ? AS seq) r "
                                      "JOIN main.events e ON e.seq = r.seq"), rows)

    def finish(self, db: apsw.Connection, schema: str) -> None:
        # FTS5 builds its index far faster when rows arrive in rowid order, in
        # one statement; a rebuild folds contact by contact, so defer to here.
        rows, self._rebuilding = self._rebuilding or [], None
        db.execute("CREATE TEMP TABLE IF NOT EXISTS search_rebuild "
                   "(seq INTEGER PRIMARY KEY, contact TEXT NOT NULL)")
        db.execute("DELETE FROM temp.search_rebuild")
        db.executemany("INSERT INTO temp.search_rebuild(contact, seq) VALUES (?, ?)", rows)
        db.execute(_INSERT.format(s=schema, source="temp.search_rebuild r "
                                  "JOIN main.events e ON e.seq = r.seq ORDER BY e.seq"))
        db.execute("DELETE FROM temp.search_rebuild")
