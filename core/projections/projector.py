"""The projector: keeps every projection at the end of the log.

The :class:`Projector` keeps every projection at the end of the log. Before a
read it compares each projection's checkpoint with the log's last ``seq``; when
nothing is new it does nothing else (one query). Otherwise, in one write
transaction, it re-folds the contacts that the new events touched, replaces
their rows in every projection, and moves the checkpoints: rows and checkpoint
commit together, so a crash leaves a projection either before or after the
batch, never half way. A projection whose version changed, or that depends on
follow-up settings that changed, is rebuilt from the whole log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import apsw
import msgspec

from coffeechat.config import FollowupRules, config_stat, load_config
from coffeechat.fold import CONTACT_PREFIX, ContactState, Row, fold
from coffeechat.projections import is_current
from coffeechat.projections.base import Folded, Projection
from coffeechat.projections.contacts import ContactsProjection
from coffeechat.projections.followups import FollowupsProjection
from coffeechat.projections.referrals import ReferralsProjection
from coffeechat.projections.search import SearchProjection
from coffeechat.rules import due_items
from coffeechat.store import Store

CHUNK = 2000  # contacts folded and written at a time during a rebuild
FULL_REFOLD_RATIO = 4  # above 1 touched contact in 4, fold everything in one pass
_ROW_COLUMNS = "seq, id, type, occurred_at, schema, data"
_STREAM_RANGE = (CONTACT_PREFIX, CONTACT_PREFIX[:-1] + chr(ord(":") + 1))

Progress = Callable[[int, int], None]  # (done, total) events


class Projector:
    """Keeps the projections of one store current."""

    def __init__(self, store: Store, rules: FollowupRules | None = None) -> None:
        self.store = store
        self._rules = rules

    # -- which projections, with which settings -----------------------------------

    def projections(self, rules: FollowupRules) -> list[Projection]:
        return [ContactsProjection(rules), FollowupsProjection(), ReferralsProjection(),
                SearchProjection()]

    def _meta(self, key: str) -> str | None:
        row = self.store.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.store.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def _current_rules(self) -> tuple[FollowupRules, bool]:
        """The follow-up settings, and whether they differ from those last projected."""
        if self._rules is not None:
            rules = self._rules
        else:
            stat = config_stat()
            stored = self._meta("rules")
            if stat == self._meta("config_stat") and stored is not None:
                return msgspec.json.decode(stored, type=FollowupRules), False
            rules = load_config().followups
            self._set_meta("config_stat", stat)
        encoded = msgspec.json.encode(rules).decode()
        changed = encoded != self._meta("rules")
        if changed:
            self._set_meta("rules", encoded)
        return rules, changed

    # -- keeping current ----------------------------------------------------------

    def is_current(self) -> bool:
        """True when there is nothing new to apply (see :func:`is_current`)."""
        return is_current(self.store.conn, check_config=self._rules is None)

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply what is new in the log; return how many events were applied."""
        if self.is_current():
            return 0
        with self.store.write():
            return self._catch_up(progress)

    def _catch_up(self, progress: Progress | None) -> int:
        db = self.store.conn
        last = self.store.last_seq()
        rules, rules_changed = self._current_rules()
        state = {name: (version, checkpoint) for name, version, checkpoint
                 in db.execute("SELECT name, version, checkpoint FROM projections")}
        stale: list[Projection] = []
        behind: list[Projection] = []
        for projection in self.projections(rules):
            version, checkpoint = state.get(projection.name, (None, 0))
            if version != projection.version or (rules_changed and projection.uses_rules):
                stale.append(projection)
            elif checkpoint < last:
                behind.append(projection)
        applied = 0
        if stale:
            applied = self._rebuild(stale, rules, progress)
        if behind:
            since = min(state[p.name][1] for p in behind)
            applied = max(applied, last - since)
            streams = [row[0] for row in db.execute(
                "SELECT DISTINCT stream FROM events WHERE seq > ? AND +stream >= ? AND +stream < ?",
                (since, *_STREAM_RANGE))]
            contacts = db.execute("SELECT count(*) FROM contacts").fetchone()[0] \
                if _has_table(db, "main", "contacts") else 0
            if len(streams) * FULL_REFOLD_RATIO > max(contacts, CHUNK):
                self._rebuild(behind, rules, progress)
            else:
                folded = [self._fold_one(stream, rules) for stream in streams]
                for projection in behind:
                    projection.remove(db, "main", folded)
                    projection.insert(db, "main", folded)
        for projection in stale + behind:
            db.execute(
                "INSERT INTO projections(name, version, checkpoint) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET version = excluded.version, "
                "checkpoint = excluded.checkpoint",
                (projection.name, projection.version, last))
        return applied

    def rebuild(self, progress: Progress | None = None) -> int:
        """Rebuild every projection from the whole log; return the events read."""
        with self.store.write():
            rules, _ = self._current_rules()
            projections = self.projections(rules)
            count = self._rebuild(projections, rules, progress)
            last = self.store.last_seq()
            self.store.conn.executemany(
                "INSERT OR REPLACE INTO projections(name, version, checkpoint) VALUES (?, ?, ?)",
                [(p.name, p.version, last) for p in projections])
        return count

    def _rebuild(self, projections: list[Projection], rules: FollowupRules,
                 progress: Progress | None, schema: str = "main",
                 recorded_by: str | None = None) -> int:
        db = self.store.conn
        for projection in projections:
            projection.create(db, schema)
        count = 0
        for chunk, read in self.fold_all(rules, recorded_by=recorded_by):
            for projection in projections:
                projection.insert(db, schema, chunk)
            count = read
            if progress is not None:
                progress(read, 0)
        return count

    # -- folding ------------------------------------------------------------------

    def fold_stream(self, stream: str) -> ContactState:
        """The current state of one contact stream, folded from the log."""
        rows = [Row(*r) for r in self.store.conn.execute(
            f"SELECT {_ROW_COLUMNS} FROM events WHERE stream = ? ORDER BY occurred_at, id",
            (stream,))]
        return fold(stream, rows)

    def _fold_one(self, stream: str, rules: FollowupRules) -> Folded:
        state = self.fold_stream(stream)
        return Folded(stream, state, due_items(state, rules))

    def fold_all(self, rules: FollowupRules, *, recorded_by: str | None = None,
                 ) -> Iterator[tuple[list[Folded], int]]:
        """Fold every contact once, in chunks; yields (folded, events read so far)."""
        sql = (f"SELECT stream, {_ROW_COLUMNS} FROM events "
               "WHERE +stream >= ? AND +stream < ?")
        params: tuple[str, ...] = _STREAM_RANGE
        if recorded_by is not None:
            sql += " AND recorded_at <= ?"
            params += (recorded_by,)
        sql += " ORDER BY +stream, +occurred_at, +id"
        chunk: list[Folded] = []
        current = None
        rows: list[Row] = []
        read = 0
        for stream, *columns in self.store.conn.execute(sql, params):
            read += 1
            if stream != current:
                if current is not None:
                    state = fold(current, rows)
                    chunk.append(Folded(current, state, due_items(state, rules)))
                    if len(chunk) >= CHUNK:
                        yield chunk, read
                        chunk = []
                current, rows = stream, []
            rows.append(Row(*columns))
        if current is not None:
            state = fold(current, rows)
            chunk.append(Folded(current, state, due_items(state, rules)))
        if chunk or read == 0:
            yield chunk, read

    # -- the past -----------------------------------------------------------------

    @contextmanager
    def as_of(self, recorded_by: str) -> Iterator[str]:
        """Build every projection, as recorded by ``recorded_by``, in a scratch schema."""
        db = self.store.conn
        db.execute("ATTACH DATABASE ':memory:' AS asof")
        try:
            rules = self._rules or load_config().followups
            db.execute("BEGIN")
            try:
                self._rebuild(self.projections(rules), rules, None, "asof", recorded_by)
            finally:
                db.execute("COMMIT")
            yield "asof"
        finally:
            db.execute("DETACH DATABASE asof")


def _has_table(db: apsw.Connection, schema: str, table: str) -> bool:
    return db.execute(
        f"SELECT 1 FROM {schema}.sqlite_master WHERE name = ?", (table,)
    ).fetchone() is not None
