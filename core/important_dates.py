"""Birthdays and important dates as read: what comes up soon, and the birthday follow-ups.

A birthday recurs every year, so its follow-up cannot be stored the way the
rules' items are (the followups projection is computed without a "now", and
an item stored for one year would stand overdue for ever). Instead the
contacts projection keeps each contact's birthday (its ``MM-DD`` indexed),
the lead (``birthday_days``, or nothing while birthdays are off or the contact
is archived), the occurrences closed by hand and the item's handle; this
module works out, at the moment asked (now, or ``--as-of``), which occurrence
is open and when it is due.

The item for a birthday on day B is due at the start of day B minus the lead
(local time) and open until B has passed; then next year's is. It is never
overdue before B has passed (a birthday cannot be missed days ahead of it), so
only an occurrence snoozed past its day can be. ``done``, ``skip`` and
``snooze`` close or move one occurrence: the ``followup.*`` event names it by
``YYYY-MM-DD``, the day of that birthday (the item's ``date``). A snooze past
the birthday keeps that year's item open until the snooze's day has passed.
Every year's item has the same handle (handles are reused only after the item
closes, and this one closes each year), and editing the birthday keeps it: the
handle names the contact's birthday item. The item's ``event``, as for every
other item, is the id of the event that caused it: the one that recorded the
birthday in force (a ``contact.added`` or ``contact.updated``, an importer's,
or a merged contact's), so it changes with each edit of the birthday.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import apsw
import msgspec

from coffeechat.clock import day_start, local_date
from coffeechat.handles import SHORT, shown
from coffeechat.stages import Kind, Stage
from coffeechat.yearly_dates import (
    BIRTHDAY,
    next_on_or_after,
    occurrences,
    spoken,
    years_at,
)

# How the contacts projection notes an occurrence closed by hand (any other value
# is the time it is snoozed until): projections/contacts.py writes these words.
_SETTLED_BY_HAND = ("done", "skipped")




def upcoming(db: apsw.Connection, schema: str, now: str, days: int) -> list[dict[str, Any]]:
    """Birthdays and important dates from the local day of ``now`` to ``days`` days later.

    Each: ``{"contact", "name", "label"`` ("birthday" or the date's own label),
    ``"date"`` (the next occurrence, YYYY-MM-DD, on or after today), ``"years"``
    (the age, or how many years since, when the year is known; else None)},
    sorted by date, then name. A birthday is listed while birthdays are on
    (``[rules] birthdays``); an archived contact's dates are not listed.
    """
    today = local_date(now)
    last = today + timedelta(days=max(days, 0))
    found = []
    sql = (f"SELECT id, name, birthday, dates, birthday_lead FROM {schema}.contacts "
           f"WHERE (birthday IS NOT NULL OR dates IS NOT NULL) AND stage <> '{Stage.ARCHIVED}'")
    for contact, name, birthday, dates, lead in db.execute(sql):
        named: list[tuple[str, object]] = []
        if birthday is not None and lead is not None:
            named.append((BIRTHDAY, birthday))
        if dates:
            try:
                decoded = msgspec.json.decode(dates)
            except msgspec.DecodeError:
                decoded = None
            if isinstance(decoded, dict):
                named += sorted(decoded.items())
        for label, value in named:
            day = next_on_or_after(value, today)
            if day is not None and day <= last:
                found.append({"contact": contact, "name": name, "label": label,
                              "date": day.isoformat(), "years": years_at(value, day)})
    found.sort(key=lambda d: (d["date"], d["name"].casefold(), d["label"] != BIRTHDAY,
                              d["label"], d["contact"]))
    return found


# -- the birthday follow-ups ----------------------------------------------------------------

_COLUMNS = ("c.id, c.name, c.birthday, c.birthday_lead, c.birthday_settled, c.birthday_handle, "
            "c.birthday_event")


def birthday_items(db: apsw.Connection, schema: str, now: str, horizon: str | None, *,
                   contact_id: str | None = None) -> list[dict[str, Any]]:
    """The open birthday follow-ups due by ``horizon`` (all when None), in ``due``'s shape.

    Only contacts with a birthday are read (an index holds just them), and with a
    horizon only those whose day falls between today and the horizon plus the
    lead, or who have a birthday closed or snoozed by hand (the index on MM-DD).
    """
    sql = f"SELECT {_COLUMNS} FROM {schema}.contacts c WHERE c.birthday_lead IS NOT NULL"
    params: list[Any] = []
    if contact_id is not None:
        sql += " AND c.id = ?"
        params.append(contact_id)
    elif horizon is not None:
        window = _window(db, schema, now, horizon)
        if window is not None:
            low, high = window
            joined = "AND" if low <= high else "OR"
            sql += (f" AND ((c.birthday_md >= ? {joined} c.birthday_md <= ?) "
                    "OR c.birthday_settled IS NOT NULL)")
            params += [low, high]
    items = []
    for row in db.execute(sql, params):
        item = _open_item(row, now)
        if item is not None and (horizon is None or item["due_at"] <= horizon):
            items.append(item)
    if items:
        _mark_shared(db, schema, now, items)
    return items


def _window(db: apsw.Connection, schema: str, now: str, horizon: str
            ) -> tuple[str, str] | None:
    """(first, last) MM-DD a birthday due by ``horizon`` can fall on (a day to spare each
    side, so February 29 is in when the 28th is); None when any day can."""
    lead = db.execute(f"SELECT birthday_lead FROM {schema}.contacts "
                      "WHERE birthday_lead IS NOT NULL LIMIT 1").get
    if lead is None:
        return None
    first = local_date(now) - timedelta(days=1)
    try:
        last = local_date(horizon) + timedelta(days=int(lead) + 1)
    except (OverflowError, ValueError):
        return None
    if (last - first).days >= 365:
        return None
    return first.strftime("%m-%d"), last.strftime("%m-%d")


def items_by_handle(db: apsw.Connection, schema: str, now: str, text: str
                    ) -> list[dict[str, Any]]:
    """Open birthday items whose stored handle starts with ``text`` (for done, skip, snooze)."""
    sql = (f"SELECT {_COLUMNS} FROM {schema}.contacts c WHERE c.birthday_handle >= ? "
           "AND c.birthday_handle < ? AND c.birthday_lead IS NOT NULL LIMIT 20")
    return _open_items(db, schema, now, sql, text)


def items_by_event(db: apsw.Connection, schema: str, now: str, text: str
                   ) -> list[dict[str, Any]]:
    """Open birthday items whose ``event`` (the id of the event that set the birthday) starts
    with ``text`` (for skip and snooze, which take a cause event id)."""
    sql = (f"SELECT {_COLUMNS} FROM {schema}.contacts c WHERE c.birthday_event >= ? "
           "AND c.birthday_event < ? AND c.birthday_lead IS NOT NULL LIMIT 20")
    return _open_items(db, schema, now, sql, text)


def _open_items(db: apsw.Connection, schema: str, now: str, sql: str, text: str
                ) -> list[dict[str, Any]]:
    items = [item for row in db.execute(sql, (text, text + "\U0010ffff"))
             if (item := _open_item(row, now)) is not None]
    if items:
        _mark_shared(db, schema, now, items)
    return items


def _open_item(row: tuple[Any, ...], now: str) -> dict[str, Any] | None:
    """The open item of one contact's birthday at ``now`` (None: every one near is closed)."""
    contact, name, birthday, lead, settled_json, handle, event = row
    settled: dict[str, str] = {}
    if settled_json:
        try:
            decoded = msgspec.json.decode(settled_json)
        except msgspec.DecodeError:
            decoded = {}
        if isinstance(decoded, dict):
            settled = {k: v for k, v in decoded.items() if isinstance(v, str)}
    today = local_date(now)
    # Last year's (or an earlier one this year): open only while snoozed to today or later.
    before = occurrences(birthday, today - timedelta(days=366), 2)
    for day in before:
        until = settled.get(day.isoformat())
        if day < today and until is not None and until not in _SETTLED_BY_HAND \
                and local_date(until) >= today:
            return _item(contact, name, birthday, handle, event, day, until, now)
    for day in occurrences(birthday, today, 3):
        state = settled.get(day.isoformat())
        if state in _SETTLED_BY_HAND:
            continue
        due = day_start(day - timedelta(days=max(int(lead), 0)))
        if state is not None and state > due:
            due = state  # snoozed
        return _item(contact, name, birthday, handle, event, day, due, now)
    return None


def _item(contact: str, name: str, birthday: str, handle: str, event: str | None, day: date,
          due: str, now: str) -> dict[str, Any]:
    age = years_at(birthday, day)
    said = f"turns {age} on {spoken(day)}" if age else f"has a birthday on {spoken(day)}"
    overdue = due < now and day_start(day + timedelta(days=1)) <= now
    return {"contact": contact, "name": name, "kind": Kind.BIRTHDAY.value, "due_at": due,
            "overdue": overdue, "reason": f"{name} {said}", "event": event,
            "handle": handle, "date": day.isoformat(), "years": age}


def _mark_shared(db: apsw.Connection, schema: str, now: str, items: list[dict[str, Any]]
                 ) -> None:
    """Each item's handle as shown: eight characters while another open item shares four."""
    for item in items:
        stored = item["handle"]
        low, high = stored[:SHORT], stored[:SHORT] + "~"
        shared = db.execute(
            f"SELECT EXISTS (SELECT 1 FROM {schema}.followups g WHERE g.handle >= ?1 "
            "AND g.handle < ?2 AND (g.expires_at IS NULL OR g.expires_at > ?3)) "
            f"OR EXISTS (SELECT 1 FROM {schema}.contacts b WHERE b.birthday_handle >= ?1 "
            "AND b.birthday_handle < ?2 AND b.birthday_handle <> ?4 "
            "AND b.birthday_lead IS NOT NULL)", (low, high, now, stored)).get
        item["handle"] = shown(stored, bool(shared))


_NOCASE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def with_birthdays(db: apsw.Connection, schema: str, now: str, horizon: str | None,
                   items: list[dict[str, Any]], *, contact_id: str | None = None,
                   limit: int | None = None) -> list[dict[str, Any]]:
    """``due``'s items with the open birthday items among them, in ``due``'s order.

    (Ordered as the followups query orders: due time, name as SQLite's NOCASE
    compares it, kind, contact id, handle; ``limit`` keeps the first so many of the
    whole.)
    """
    birthdays = birthday_items(db, schema, now, horizon, contact_id=contact_id)
    if not birthdays:
        return items
    merged = sorted([*items, *birthdays],
                    key=lambda i: (i["due_at"], i["name"].translate(_NOCASE), i["kind"],
                                   i["contact"], i["handle"]))
    return merged if limit is None else merged[:limit]
