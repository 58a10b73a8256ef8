"""Full-text search (SQLite FTS5) over names, notes, takeaways and other event text.

A row per live event of a ``searchable`` type (a class variable of its payload
class; the fold lists them in ``ContactState.text_seqs``), keyed by the event's
``seq``. The text is every string value of the payload, gathered by SQLite's
``json_tree`` (so a plugin's event types are searchable without code here),
minus fields that hold ids or channel names.

Building the index is the dearest part of a rebuild (tokenising every note
costs twice what reading the whole log does), and most rebuilds are never
followed by a search. So a rebuild only lists what is to be indexed, in the
table ``search_pending`` (seq, contact); the first search indexes it in one
statement, in ``seq`` order as FTS5 likes best (:func:`ensure_built`), and
drops the list. While the list exists, catching up edits the list instead
of the index. Either way a search sees the same rows.
"""

from __future__ import annotations

import apsw

from coffeechat.errors import StoreError
from coffeechat.projections import SHADOWS, VERSIONS
from coffeechat.projections.base import Folded, Projection

_NOT_TEXT = ("('channel', 'commitment', 'meeting', 'request', 'target', 'contact', 'referred_by', "
             "'message_id', 'uid', "
             "'due', 'at', 'template')")

PENDING = "search_pending"  # what a rebuild left to index: (seq, contact)

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
    tables = ("search", PENDING)
    ddl = """
        CREATE VIRTUAL TABLE {s}.search USING fts5(
            contact UNINDEXED, type UNINDEXED, text,
            tokenize = 'unicode61 remove_diacritics 2'
        );
    """
    indexes = f"CREATE INDEX {{s}}.{PENDING}_seq ON {PENDING}(seq)"

    def create(self, db: apsw.Connection, schema: str) -> None:
        try:
            super().create(db, schema)
        except apsw.SQLError:  # (FTS5 cannot open an index missing one of its tables to drop it)
            _mend_shadows(db, schema)
            super().create(db, schema)
        # (rows come by contact, not by seq: appended here, indexed by seq at the end)
        db.execute(f"CREATE TABLE {schema}.{PENDING} (seq INTEGER NOT NULL, contact TEXT NOT NULL)")

    def remove(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        table = f"{PENDING}" if _pending(db, schema) else "search"
        column = "seq" if table == PENDING else "rowid"
        db.executemany(f"DELETE FROM {schema}.{table} WHERE {column} = ?",
                       [(seq,) for f in folded for seq in f.state.seqs])

    def insert(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        rows = [(f.state.id, seq) for f in folded for seq in f.state.text_seqs]
        if _pending(db, schema):
            db.executemany(f"INSERT INTO {schema}.{PENDING}(contact, seq) VALUES (?, ?)", rows)
            return
        db.executemany(_INSERT.format(s=schema, source="(SELECT ? AS contact, ? AS seq) r "
                                      "JOIN main.events e ON e.seq = r.seq"), rows)


def _pending(db: apsw.Connection, schema: str) -> bool:
    """Whether the index of ``schema`` still waits to be built (see the module doc)."""
    return db.execute(f"SELECT 1 FROM {schema}.sqlite_master WHERE type = 'table' "
                      "AND name = ?", (PENDING,)).fetchone() is not None


def ensure_built(db: apsw.Connection, schema: str) -> None:
    """Index what a rebuild left pending, in one transaction; nothing when already built.

    Called before a search reads the index. Inside a transaction it runs in a
    savepoint of the caller's; otherwise it takes the write lock itself
    (another process may have built the index meanwhile: asked again under it).
    """
    if not _pending(db, schema):
        return
    own = db.getautocommit()
    begin = "BEGIN IMMEDIATE" if schema == "main" else "BEGIN"  # (asof: in memory, ours)
    try:
        db.execute(begin if own else "SAVEPOINT search_build")
    except apsw.BusyError:  # (building the index writes: it waits for the lock like a writer)
        raise StoreError("store: the store stayed busy (another coffeechat is writing) while "
                         "the first search after a rebuild builds its index; try again"
                         ) from None
    try:
        if _pending(db, schema):
            db.execute(_INSERT.format(s=schema, source=f"{schema}.{PENDING} r "
                                      "JOIN main.events e ON e.seq = r.seq ORDER BY r.seq"))
            db.execute(f"DROP TABLE {schema}.{PENDING}")
    except BaseException:
        db.execute("ROLLBACK" if own else "ROLLBACK TO search_build; RELEASE search_build")
        raise
    db.execute("COMMIT" if own else "RELEASE search_build")


def _mend_shadows(db: apsw.Connection, schema: str) -> None:
    """Put back the index's own tables that were dropped by hand, as FTS5 makes them.

    With one of them gone FTS5 cannot open the index, not even to drop it; made
    again as a new index has them (empty, its settings row included), it can be.
    """
    present = {name for (name,) in db.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'")}
    fresh = apsw.Connection(":memory:")
    try:
        fresh.execute(SearchProjection.ddl.format(s="main"))
        for name in SHADOWS["search"]:
            if name in present:
                continue
            sql = fresh.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).get
            db.execute(sql.replace("CREATE TABLE ", f"CREATE TABLE {schema}.", 1))
            rows = fresh.execute(f"SELECT * FROM {name}").fetchall()
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                db.executemany(f"INSERT INTO {schema}.{name} VALUES ({marks})", rows)
    finally:
        fresh.close()
