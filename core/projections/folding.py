"""Contacts folded from the log for the projector, merges followed.

A contact is folded together with the contacts merged into it (its family); a
contact merged away gets no rows of its own, only its old ones removed. The
merge links are read from the log itself (merges are few), so with
``recorded_by`` they are the links as they stood then, as the rows are.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import apsw
import msgspec

from coffeechat.config import FollowupRules
from coffeechat.fold import CONTACT_PREFIX, ROW_COLUMNS, ContactState, Row, fold
from coffeechat.projections.base import Folded
from coffeechat.projections.merges import roots
from coffeechat.rules import ExtraRule, due_items

# Contacts folded and written at a time during a rebuild: a chunk's states and rows
# should stay in the CPU's caches (2,000 at a time folded 20% slower than 200).
CHUNK = 250
# Helper threads SQLite's sorter may use for a rebuild's one big sort: on 2 cores,
# sorting 1M events by contact took 2.1 s with 2, against 4.1 s with none.
SORT_THREADS = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                   else os.cpu_count() or 1)
# Every contact stream sorts from "contact:" up to (not including) "contact;".
CONTACT_STREAMS = (CONTACT_PREFIX, CONTACT_PREFIX[:-1] + chr(ord(":") + 1))


def rows(db: apsw.Connection, streams: list[str], recorded_by: str | None = None
         ) -> list[Row]:
    """The events of ``streams`` (recorded by ``recorded_by``, if given), in fold order."""
    sql = (f"SELECT {ROW_COLUMNS} FROM events WHERE stream IN "
           "(SELECT value FROM json_each(?))")
    params: tuple[str, ...] = (msgspec.json.encode(streams).decode(),)
    if recorded_by is not None:
        sql += " AND recorded_at <= ?"
        params += (recorded_by,)
    return [Row._make(r) for r in db.execute(sql + " ORDER BY occurred_at, id", params)]


def links(db: apsw.Connection, recorded_by: str | None = None) -> dict[str, str]:
    """alias → the contact it was merged into, from the log."""
    sql = "SELECT DISTINCT stream FROM events WHERE type = 'contact.merged'"
    params: tuple[str, ...] = ()
    if recorded_by is not None:
        sql += " AND recorded_at <= ?"
        params = (recorded_by,)
    found = {}
    streams: list[str] = [stream for (stream,) in db.execute(sql, params)]
    for stream in streams:
        state = fold(stream, rows(db, [stream], recorded_by))
        if state.merged_into:
            found[state.id] = state.merged_into
    return found


def fold_family(db: apsw.Connection, contact_id: str, aliases: list[str],
                recorded_by: str | None = None,
                step: Callable[[Row, ContactState], None] | None = None) -> ContactState:
    """A contact folded with the contacts merged into it (``step``: as for fold)."""
    streams = [CONTACT_PREFIX + c for c in [contact_id, *aliases]]
    state = fold(streams[0], rows(db, streams, recorded_by), step)
    state.aliases = aliases
    return state


def fold_stream(db: apsw.Connection, stream: str) -> ContactState:
    """The current state of one contact, with any contacts merged into it."""
    contact_id = stream[len(CONTACT_PREFIX):]
    root_of = roots(links(db))
    if contact_id in root_of:  # itself merged away: just its own events
        return fold(stream, rows(db, [stream]))
    return fold_family(db, contact_id, sorted(a for a, r in root_of.items() if r == contact_id))


def _alias(db: apsw.Connection, alias: str, into: str) -> Folded:
    """A merged-away contact: no rows of its own (only its old ones removed)."""
    stream = CONTACT_PREFIX + alias
    state = ContactState(alias)
    state.merged_into = into
    sql = "SELECT seq FROM events WHERE stream = ?"
    state.seqs = [r[0] for r in db.execute(sql, (stream,))]
    return Folded(stream, state, [])


def _family(db: apsw.Connection, contact_id: str, aliases: list[str], rules: FollowupRules,
            extra: tuple[ExtraRule, ...], recorded_by: str | None = None) -> Folded:
    state = fold_family(db, contact_id, aliases, recorded_by)
    return Folded(CONTACT_PREFIX + contact_id, state, due_items(state, rules, extra))


def refold(db: apsw.Connection, streams: list[str], rules: FollowupRules,
           extra: tuple[ExtraRule, ...]) -> list[Folded]:
    """Re-fold the contacts these streams belong to, following merges old and new."""
    before = roots(dict(db.execute("SELECT alias, into_id FROM merges")))
    now_links = links(db)
    after = roots(now_links)
    touched = {s[len(CONTACT_PREFIX):] for s in streams}
    changed = {a for a in before.keys() | after.keys() if before.get(a) != after.get(a)}
    targets = {after.get(c, c) for c in touched | changed}
    targets |= {before[c] for c in changed if c in before}
    folded = [_family(db, c, sorted(a for a, r in after.items() if r == c), rules, extra)
              for c in sorted(targets) if c not in after]
    folded += [_alias(db, a, now_links[a]) for a in sorted((touched | changed) & after.keys())]
    return folded


def fold_all(db: apsw.Connection, rules: FollowupRules, extra: tuple[ExtraRule, ...], *,
             recorded_by: str | None = None) -> Iterator[tuple[list[Folded], int]]:
    """Fold every contact once, in chunks; yields (folded, events read so far)."""
    now_links = links(db, recorded_by)
    after = roots(now_links)
    merged = {CONTACT_PREFIX + c for c in {*after, *after.values()}}  # folded at the end
    chunk: list[Folded] = []
    read = 0
    for stream, rows, read in contact_streams(db, recorded_by):
        if stream not in merged:
            state = fold(stream, rows)
            chunk.append(Folded(stream, state, due_items(state, rules, extra)))
            if len(chunk) >= CHUNK:
                yield chunk, read
                chunk = []
    for root in sorted(set(after.values()) - set(after)):
        family = sorted(a for a, r in after.items() if r == root)
        chunk.append(_family(db, root, family, rules, extra, recorded_by))
    chunk += [_alias(db, a, now_links[a]) for a in sorted(after)]
    if chunk or read == 0:
        yield chunk, read


def contact_streams(db: apsw.Connection, recorded_by: str | None = None
                    ) -> Iterator[tuple[str, list[Row], int]]:
    """Every contact stream with its rows in fold order, and the rows read so far: the
    whole log in one sorted read (SQLite's sorter given helper threads); with
    ``recorded_by``, only what was recorded by then."""
    sql = f"SELECT {ROW_COLUMNS} FROM events WHERE +stream >= ? AND +stream < ?"
    params: tuple[str, ...] = CONTACT_STREAMS
    if recorded_by is not None:
        sql += " AND recorded_at <= ?"
        params += (recorded_by,)
    sql += " ORDER BY +stream, +occurred_at, +id"
    current = None
    stream_rows: list[Row] = []
    read = 0
    new, row_type = tuple.__new__, Row  # (Row._make's Python frame cost 0.3 s per 1M rows)
    with _sorting_threads(db):
        for row in db.execute(sql, params):
            stream = row[6]
            if stream != current:
                if current is not None:
                    yield current, stream_rows, read
                current, stream_rows = stream, []
            read += 1
            stream_rows.append(new(row_type, row))
    if current is not None:
        yield current, stream_rows, read


@contextmanager
def _sorting_threads(db: apsw.Connection) -> Iterator[None]:
    """Let SQLite's sorter use :data:`SORT_THREADS` helper threads for a while."""
    before = db.execute("PRAGMA threads").get
    db.execute(f"PRAGMA threads = {SORT_THREADS if SORT_THREADS > 1 else 0}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA threads = {before}")
