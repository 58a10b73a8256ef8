"""Queries over the projections (the read models), judged at a given time.

Each function returns plain dicts in the JSON shapes of the CLI contract.
``schema`` is ``main`` for the live projections or the scratch schema that
``Projector.as_of`` builds; ``now`` is the stored-form stamp to judge at.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import apsw
import msgspec

from coffeechat.reasons import named_contacts, reason_text
from coffeechat.stages import Stage

# (what only some queries need is imported by them: `due` runs on every read and
# needs neither the fold, the event types nor the keep-in-touch settings)
if TYPE_CHECKING:
    from coffeechat.codec import Event
    from coffeechat.fold import Row
    from coffeechat.keep_in_touch import Judge
    from coffeechat.store import Store
    from coffeechat.summary import Names

# The notes folder's sources and streams (coffeechat.plugins.notes_sync writes them).
NOTES_SOURCE = "notes:"
NOTE_STREAM = "note:"

# A contact's stage as read at :now (an ask past its unanswered_at is unanswered).
STAGE_SQL = (f"CASE WHEN c.stage = '{Stage.ASKED}' AND c.unanswered_at IS NOT NULL "
             f"AND c.unanswered_at <= :now THEN '{Stage.UNANSWERED}' ELSE c.stage END")
_LIVE = "(f.expires_at IS NULL OR f.expires_at > :now)"

_CONTACT_SELECT = f"""
    SELECT c.id, c.name, c.company, c.role, {STAGE_SQL} AS stage, c.last_touch_at,
           n.kind, n.due_at,
           coalesce((SELECT m.into_id FROM {{s}}.merges m WHERE m.alias = c.referred_by),
                    c.referred_by),
           c.tags, c.email, c.linkedin, c.phone,
           c.how_met, c.cadence_days, c.meetings, c.added_at, c.birthday, c.dates,
           c.hand_added_at
    FROM {{s}}.contacts c
    LEFT JOIN (SELECT f.contact, f.kind, min(f.due_at) AS due_at
               FROM {{s}}.followups f WHERE {_LIVE} {{only}} GROUP BY f.contact) n
           ON n.contact = c.id
"""

STAGES: tuple[str, ...] = tuple(stage.value for stage in Stage)  # `contacts --stage`


def _contact_doc(row: tuple[Any, ...], judge: Judge) -> dict[str, Any]:
    return {
        "id": row[0], "name": row[1], "company": row[2], "role": row[3], "stage": row[4],
        "last_touch_at": row[5], "next_due_kind": row[6], "next_due_at": row[7],
        "referred_by": row[8], "tags": msgspec.json.decode(row[9]),
        "email": row[10], "linkedin": row[11], "phone": row[12], "how_met": row[13],
        "cadence_days": row[14], "meetings": row[15], "added_at": row[16],
        "birthday": row[17], "dates": msgspec.json.decode(row[18]) if row[18] else {},
        # warm, due, cold or None (coffeechat.keep_in_touch), from the last touch or the adding
        "warmth": judge.warmth(row[4], judge.since_when(row[5], row[16], row[19], row[14],
                                                        row[9]), row[14], row[9]),
    }


def contacts(db: apsw.Connection, schema: str, now: str, *, stage: str | None = None,
             tag: str | None = None, warmth: str | None = None) -> list[dict[str, Any]]:
    """The contacts view, sorted by name (``warmth``: only those that warm, due or cold)."""
    sql = _CONTACT_SELECT.format(s=schema, only="") + " WHERE 1"
    params: dict[str, Any] = {"now": now}
    if stage:
        sql += f" AND {STAGE_SQL} = :stage"
        params["stage"] = stage
    if tag:
        sql += " AND EXISTS (SELECT 1 FROM json_each(c.tags) WHERE value = :tag COLLATE NOCASE)"
        params["tag"] = tag
    sql += " ORDER BY c.name COLLATE NOCASE, c.id"
    from coffeechat.keep_in_touch import Judge, settings

    judge = Judge(settings(db), now)
    docs = [_contact_doc(row, judge) for row in db.execute(sql, params)]
    return docs if warmth is None else [d for d in docs if d["warmth"] == warmth]


def contact(db: apsw.Connection, schema: str, now: str, contact_id: str) -> dict[str, Any] | None:
    sql = _CONTACT_SELECT.format(s=schema, only="AND f.contact = :id") + " WHERE c.id = :id"
    row = db.execute(sql, {"now": now, "id": contact_id}).fetchone()
    if row is None:
        return None
    from coffeechat.keep_in_touch import Judge, settings

    return _contact_doc(row, Judge(settings(db), now))


def contacts_by_id(db: apsw.Connection, schema: str, now: str, ids: Iterable[str]
                   ) -> dict[str, dict[str, Any]]:
    """:func:`contact` of several contacts in one query: id → document (absent: no such contact)."""
    wanted = msgspec.json.encode(sorted(set(ids))).decode()
    if wanted == "[]":
        return {}
    only = "AND f.contact IN (SELECT value FROM json_each(:ids))"
    sql = (_CONTACT_SELECT.format(s=schema, only=only)
           + " WHERE c.id IN (SELECT value FROM json_each(:ids))")
    rows: list[tuple[Any, ...]] = db.execute(sql, {"now": now, "ids": wanted}).fetchall()
    if not rows:
        return {}
    from coffeechat.keep_in_touch import Judge, settings

    judge = Judge(settings(db), now)
    return {row[0]: _contact_doc(row, judge) for row in rows}


def due(db: apsw.Connection, schema: str, now: str, horizon: str | None, *,
        contact_id: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Open follow-ups due by ``horizon`` (all when None), oldest due first.

    ``contact_id`` keeps one contact's; ``limit`` keeps the first so many. Each
    item has its ``handle`` (see :mod:`coffeechat.handles`: four characters,
    eight while another open item shares the four), and a ``reason`` that names
    people by their names as they are now (the fields keep ids).
    """
    from coffeechat.handles import shared_sql, shown

    # Birthdays are worked out when read; a store with none skips their module and the
    # shared-handle look-up in contacts (one indexed probe, then ~1 ms less on 2,400 items).
    probe = f"SELECT 1 FROM {schema}.contacts WHERE birthday_lead IS NOT NULL"
    birthdays = db.execute(probe + " LIMIT 1").get is not None
    # (each item's name from the covering index contacts(id, name), not the wide rows:
    # 2,400 look-ups on the 100k store cost 6.7 ms with the rows, 4.1 with the index)
    where = [_LIVE]
    if horizon is not None:  # (only then, so SQLite can walk the due_at index)
        where.append("f.due_at <= :horizon")
    if contact_id is not None:
        where.append("f.contact = :contact")
    sql = f"""
        SELECT f.contact, c.name, f.kind, f.due_at, f.due_at < :now, f.reason, f.event,
               f.commitment, f.anchor, f.handle, {shared_sql(schema, birthdays=birthdays)}
        FROM {schema}.followups f
        JOIN {schema}.contacts c INDEXED BY contacts_name ON c.id = f.contact
        WHERE {" AND ".join(where)}
        ORDER BY f.due_at, c.name COLLATE NOCASE, f.kind, f.contact, f.handle
    """
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    params = {"now": now, "horizon": horizon, "contact": contact_id}
    rows: list[tuple[Any, ...]] = db.execute(sql, params).fetchall()
    names = _names(db, schema, {c for row in rows for c in named_contacts(row[5])})
    items = []
    for row in rows:
        item = {"contact": row[0], "name": row[1], "kind": row[2], "due_at": row[3],
                "overdue": bool(row[4]), "reason": reason_text(row[5], None, names),
                "event": row[6], "handle": shown(row[9], row[10])}
        if row[7] is not None:
            item["commitment"] = row[7]
        items.append(item)
    if not birthdays or (contact_id is not None and db.execute(
            probe + " AND id = ? LIMIT 1", (contact_id,)).get is None):
        return items
    from coffeechat.important_dates import with_birthdays

    return with_birthdays(db, schema, now, horizon, items, contact_id=contact_id, limit=limit)


def due_by_contact(db: apsw.Connection, schema: str, now: str, contact_ids: list[str]
                   ) -> dict[str, list[dict[str, Any]]]:
    """:func:`due` of each of several contacts (all open items, whenever due): a query
    each for a few, one for all of them when they are many."""
    if len(contact_ids) <= _FEW:
        return {c: due(db, schema, now, None, contact_id=c) for c in contact_ids}
    found: dict[str, list[dict[str, Any]]] = {c: [] for c in contact_ids}
    for item in due(db, schema, now, None):
        if item["contact"] in found:
            found[item["contact"]].append(item)
    return found


_FEW = 20  # contacts looked at one by one; beyond, everything is read at once


def _names(db: apsw.Connection, schema: str, contact_ids: set[str]) -> dict[str, str]:
    """Contact id → name now, for the ids given (a merged-away id: the name it became)."""
    if not contact_ids:
        return {}
    from coffeechat.projections.merges import alias_roots

    merged = alias_roots(db, schema)
    root = {c: merged.get(c, c) for c in contact_ids}
    wanted = msgspec.json.encode(sorted(set(root.values()))).decode()
    found: dict[str, str] = dict(db.execute(
        f"SELECT id, name FROM {schema}.contacts WHERE id IN (SELECT value FROM json_each(?))",
        (wanted,)))
    return {c: found[r] for c, r in root.items() if r in found}


def referrals(db: apsw.Connection, schema: str, root: str | None = None) -> list[dict[str, Any]]:
    """The referral tree: who introduced whom. Roots are contacts nobody referred."""
    from coffeechat.projections.merges import alias_roots

    merged = alias_roots(db, schema)
    edges: dict[str, list[tuple[str, str, str]]] = {}
    referred: set[str] = set()
    for referrer, child, at, event in db.execute(
        f"SELECT referrer, referred, at, event FROM {schema}.referrals ORDER BY at, event"
    ):
        child = merged.get(child, child)
        if child == referrer:
            continue  # an introduction to someone later merged with the introducer
        edges.setdefault(referrer, []).append((child, at, event))
        referred.add(child)
    names: dict[str, str] = dict(db.execute(f"SELECT id, name FROM {schema}.contacts"))

    def node(contact_id: str, at: str | None, event: str | None, seen: frozenset[str]
             ) -> dict[str, Any]:
        seen = seen | {contact_id}
        children = [node(child, when, ev, seen) for child, when, ev in edges.get(contact_id, ())
                    if child not in seen]
        return {"id": contact_id, "name": names.get(contact_id, contact_id), "at": at,
                "event": event, "referred": children}

    if root is not None:
        return [node(root, None, None, frozenset())]
    def by_name(contact_id: str) -> str:  # (as a lambda, mypy picks the wrong dict.get)
        return names.get(contact_id, contact_id).lower()

    roots = sorted((r for r in edges if r not in referred), key=by_name)
    return [node(r, None, None, frozenset()) for r in roots]


def fts_query(text: str) -> str:
    """A user's words as a safe FTS5 query: every word must match, the last as a prefix."""
    words = [w.replace('"', '""') for w in text.split()]
    if not words:
        return '""'
    return " ".join(f'"{w}"' for w in words[:-1]) + (" " if len(words) > 1 else "") \
        + f'"{words[-1]}"*'


def search(db: apsw.Connection, schema: str, text: str, limit: int = 50) -> list[dict[str, Any]]:
    """Events whose text matches, best first (those that tie: the latest first), with a
    highlighted snippet. The order depends on the events only, not on when they arrived."""
    from coffeechat.projections.search import ensure_built

    ensure_built(db, schema)  # (a rebuild leaves the index to the first search)
    sql = f"""
        SELECT s.contact, c.name, s.type, snippet(search, 2, '[', ']', '…', 10),
               e.occurred_at, e.id
        FROM {schema}.search s
        JOIN {schema}.contacts c ON c.id = s.contact
        JOIN main.events e ON e.seq = s.rowid
        WHERE search MATCH ? ORDER BY rank, e.occurred_at DESC, e.id LIMIT ?
    """
    return [
        {"contact": r[0], "name": r[1], "type": r[2], "snippet": r[3], "occurred_at": r[4],
         "event": r[5]}
        for r in db.execute(sql, (fts_query(text), limit))
    ]


class ShownEvents(NamedTuple):
    """Events as JSON documents, and how many were left out (see :func:`shown_events`)."""

    docs: list[dict[str, Any]]
    hidden: int


def events(store: Store, *, contact_id: str | None = None, event_type: str | None = None,
           since: str | None = None, recorded_by: str | None = None, by_time: bool = False,
           schema: str = "main", everything: bool = False) -> list[dict[str, Any]]:
    """Events as JSON documents, each marked when a live retraction undoes it.

    See :func:`shown_events`, which also says how many it left out.
    """
    return shown_events(store, contact_id=contact_id, event_type=event_type, since=since,
                        recorded_by=recorded_by, by_time=by_time, schema=schema,
                        everything=everything).docs


def shown_events(store: Store, *, contact_id: str | None = None, event_type: str | None = None,
                 since: str | None = None, recorded_by: str | None = None,
                 by_time: bool = False, schema: str = "main", everything: bool = False
                 ) -> ShownEvents:
    """Events as JSON documents (filtered like :meth:`Store.events`), in ``seq`` or time order.

    A contact's events include those of the contacts merged into it. Unless
    ``everything``, what only the notes folder's own bookkeeping holds is left
    out: events that a later version of their note superseded (retracted by the
    notes sync), those retractions, and the ``note:`` streams. An undo by the
    user is not bookkeeping: the event stays, marked ``retracted``.
    """
    rows: list[Event] = []
    for stream in _streams(store.conn, schema, contact_id):
        rows += store.events(stream=stream, event_type=event_type, since=since,
                             recorded_by=recorded_by, by_time=by_time)
    if contact_id is not None:  # several streams: one order again
        rows.sort(key=(lambda e: (e.occurred_at, e.id)) if by_time else (lambda e: (e.seq, "")))
    docs = _documents(rows, *_retracted(store.conn, rows, recorded_by), everything=everything)
    return ShownEvents(docs, len(rows) - len(docs))


def stories(store: Store, contact_ids: list[str], schema: str = "main"
            ) -> dict[str, list[dict[str, Any]]]:
    """Each contact's events as :func:`events` gives them (``by_time``), for many contacts
    at once: one read of their streams, not a few queries a contact."""
    from coffeechat.codec import EVENT_COLUMNS, event_from_row
    from coffeechat.events import CONTACT_PREFIX

    owner = {CONTACT_PREFIX + c: c for c in contact_ids}
    owner |= {CONTACT_PREFIX + alias: root for alias, root in _merged(store.conn, schema).items()
              if CONTACT_PREFIX + root in owner}
    rows = [event_from_row(row) for row in store.conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE stream IN (SELECT value FROM json_each(?)) "
        "ORDER BY occurred_at, id", (msgspec.json.encode(sorted(owner)).decode(),))]
    found: dict[str, list[Event]] = {c: [] for c in contact_ids}
    for e in rows:
        found[owner[e.stream]].append(e)
    kept: dict[str, list[tuple[Row, str]]] = {}  # each contact's retractions, as show reads them
    for retraction in _retractions(store.conn, {e.stream for e in rows}, None):
        kept.setdefault(owner[retraction[0].stream], []).append(retraction)
    return {c: _documents(told, *_undone(kept.get(c, []))) for c, told in found.items()}


def _documents(rows: list[Event], retracted: set[str], superseded: set[str], *,
               everything: bool = False) -> list[dict[str, Any]]:
    """The events shown, as documents (see :func:`shown_events`)."""
    from coffeechat.codec import event_document
    from coffeechat.events import RETRACTED
    from coffeechat.usable import event_problem

    docs = []
    for e in rows:
        if not everything and (e.id in superseded or e.stream.startswith(NOTE_STREAM) or (
                e.type == RETRACTED and e.source.startswith(NOTES_SOURCE))):
            continue
        docs.append(event_document(e, retracted=e.id in retracted,
                                   unusable=event_problem(e.type, e.schema, e.occurred_at,
                                                          e.data)))
    return docs


def _streams(db: apsw.Connection, schema: str, contact_id: str | None) -> list[str | None]:
    """The streams of a contact (its own and those merged into it); [None]: every stream."""
    if contact_id is None:
        return [None]
    from coffeechat.events import CONTACT_PREFIX

    merged = sorted(a for a, root in _merged(db, schema).items() if root == contact_id)
    return [CONTACT_PREFIX + c for c in (contact_id, *merged)]


def _merged(db: apsw.Connection, schema: str) -> dict[str, str]:
    """Merged-away contact → the contact it now belongs to ({} before any projection)."""
    from coffeechat.projections.merges import alias_roots

    try:
        return alias_roots(db, schema)
    except apsw.SQLError:  # (no merges table: the projections were never built)
        return {}


def names(store: Store, schema: str = "main") -> Names:
    """What to call ids in text (see :class:`coffeechat.summary.Names`), for one command."""
    from coffeechat.codec import EVENT_COLUMNS, event_document, event_from_row
    from coffeechat.events import CONTACT_PREFIX
    from coffeechat.projections.merges import alias_roots
    from coffeechat.summary import Names
    from coffeechat.usable import event_problem

    db = store.conn
    merged = alias_roots(db, schema)

    def contact_name(contact_id: str) -> str | None:
        row = db.execute(f"SELECT name FROM {schema}.contacts WHERE id = ?",
                         (merged.get(contact_id, contact_id),)).fetchone()
        return row[0] if row else None

    def find_event(event_id: str) -> dict[str, Any] | None:
        row = db.execute(f"SELECT {EVENT_COLUMNS} FROM main.events WHERE id = ?",
                         (event_id,)).fetchone()
        if row is None:
            return None
        e = event_from_row(row)
        return event_document(e, unusable=event_problem(e.type, e.schema, e.occurred_at, e.data))

    def own_name(contact_id: str) -> str | None:
        """The last name a contact's own events gave it (for one merged away, or undone)."""
        if contact_id not in merged and (name := contact_name(contact_id)):
            return name
        found = None
        for (name,) in db.execute(
                "SELECT CASE WHEN json_valid(data) THEN json_extract(data, '$.name') END "
                "FROM main.events WHERE stream = ? AND type IN ('contact.added', "
                "'contact.updated') ORDER BY seq", (CONTACT_PREFIX + contact_id,)):
            if isinstance(name, str) and name.strip():
                found = name
        return found

    return Names(contacts=contact_name, events=find_event, own=own_name)


def retracted_everywhere(db: apsw.Connection) -> set[str]:
    """Ids of every event a live retraction undoes, in the whole log."""
    from coffeechat.fold import ROW_COLUMNS, Row, retracted_ids

    return retracted_ids([Row._make(r) for r in db.execute(
        f"SELECT {ROW_COLUMNS} FROM events WHERE type = 'event.retracted'")])


def _retracted(db: apsw.Connection, shown: Iterable[Event], recorded_by: str | None
               ) -> tuple[set[str], set[str]]:
    """(ids a live retraction undoes, ids a live retraction by the notes sync undoes)."""
    return _undone(_retractions(db, {e.stream for e in shown}, recorded_by))


def _retractions(db: apsw.Connection, streams: set[str], recorded_by: str | None
                 ) -> list[tuple[Row, str]]:
    """The retractions kept on these streams (each with its source), in ``seq`` order.

    A retraction counts where it is kept, as the fold reads it: one kept on
    another contact's stream does not undo this contact's event.
    """
    from coffeechat.events import RETRACTED
    from coffeechat.fold import ROW_COLUMNS, Row

    if not streams:
        return []
    sql = f"SELECT {ROW_COLUMNS}, source FROM events WHERE type = ?"
    params: list[Any] = [RETRACTED]
    if len(streams) <= 100:  # (more: all are read, and those elsewhere left out here)
        sql += f" AND stream IN ({','.join('?' * len(streams))})"
        params.extend(streams)
    if recorded_by is not None:
        sql += " AND recorded_at <= ?"
        params.append(recorded_by)
    sql += " ORDER BY seq"
    found = [(Row._make(r[:-1]), r[-1]) for r in db.execute(sql, params)]
    return [(row, source) for row, source in found if row.stream in streams]


def _undone(found: list[tuple[Row, str]]) -> tuple[set[str], set[str]]:
    """(ids these retractions undo, ids those of them by the notes sync undo)."""
    from coffeechat.fold import retracted_ids, retraction_target

    retracted = retracted_ids([row for row, _source in found])
    by_notes = {target for row, source in found
                if source.startswith(NOTES_SOURCE) and row.id not in retracted
                and (target := retraction_target(row)) is not None}
    return retracted, by_notes & retracted
