"""Handles: the short names of open follow-ups that `done`, `skip` and `snooze` take.

A handle is derived from what identifies the item, never from when or where
it was computed: the contact, the kind, the event that caused it and the
commitment (for a commitment). Its sha256, written in base 31 (digits and
lower-case letters without 0, 1, i, l and o, which are easy to misread), gives
eight characters; the follow-ups projection stores them, and people see the
first four. So a rebuild, or another device that merged the same events, gives
every item the same handle; it stays while the item is open (a snooze moves
the due date, not the identity); and the only way for two open items to share
four characters is chance (one chance in about 1,200 with 40 open items, one in
12 with 400).

When it happens, both show all eight characters for as long as both are open
(the one documented exception to "stable while open"), and a typed handle of
four characters that matches both is refused with the candidates. A merge
gives the merged contact's items new handles: they now belong to another contact.
"""

from __future__ import annotations

from typing import Any

import apsw

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # base 31: no 0, 1, i, l, o
SHORT = 4  # characters shown
STORED = 8  # characters kept in the projection


def handle_of(contact: str, kind: str, event: str, commitment: str | None = None) -> str:
    """The stored (eight-character) handle of an item."""
    import hashlib  # (here: reading handles, as `due` does, needs no OpenSSL)

    identity = "\x1f".join((contact, kind, event, commitment or ""))
    digest = hashlib.sha256(identity.encode(errors="surrogatepass")).digest()
    number = int.from_bytes(digest[:8], "big")
    digits = []
    for _ in range(STORED):
        number, digit = divmod(number, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "".join(digits)


LIVE = "(f.expires_at IS NULL OR f.expires_at > :now)"  # an open item (prep expires)


def shared_sql(schema: str, *, birthdays: bool = True) -> str:
    """SQL for "another open item's handle starts with the same four characters as f's".

    One look-up in the handle index per item shown, whatever the number of open
    items (a GROUP BY over all of them cost 60 ms on 100,000). Needs ``:now``.
    ``birthdays=False`` (the caller knows no contact has a birthday item) leaves
    out the second look-up.
    """
    sql = (f"(EXISTS (SELECT 1 FROM {schema}.followups g "
           f"WHERE g.handle >= substr(f.handle, 1, {SHORT}) "
           f"AND g.handle < substr(f.handle, 1, {SHORT}) || '~' AND g.handle <> f.handle "
           "AND (g.expires_at IS NULL OR g.expires_at > :now))")
    if not birthdays:
        return sql + ")"
    # a birthday's item (coffeechat.important_dates) is open all year round
    return (sql + f" OR EXISTS (SELECT 1 FROM {schema}.contacts b "
            f"WHERE b.birthday_handle >= substr(f.handle, 1, {SHORT}) "
            f"AND b.birthday_handle < substr(f.handle, 1, {SHORT}) || '~' "
            "AND b.birthday_lead IS NOT NULL))")


def shown(stored: str, shared: bool) -> str:
    """The handle people see: four characters, or all eight when another open item shares
    the four."""
    return stored if shared else stored[:SHORT]


def looks_like_handle(text: str) -> bool:
    """Whether ``text`` could be (the start of) a handle: 4 to 8 characters of the alphabet."""
    return SHORT <= len(text) <= STORED and all(c in ALPHABET for c in text)


def open_items(db: apsw.Connection, schema: str, now: str, *, handle: str | None = None,
               event: str | None = None, commitment: str | None = None
               ) -> list[dict[str, Any]]:
    """Open items whose stored handle, cause event id or commitment id starts with the text.

    Items are distinct by their stored handle (a plugin rule that yields one
    item twice gives one). Each: contact, name, kind, due_at, reason, event,
    commitment, anchor, handle (as shown). Here ``event`` is what ``followup.*``
    events name the item by: the cause event's id, but for a birthday the day of
    that year's birthday (YYYY-MM-DD), since each year's is closed on its own; its
    cause, the event that set the birthday, is what ``event=`` finds it by.
    """
    column, text = ("handle", handle) if handle is not None else \
        ("event", event) if event is not None else ("commitment", commitment)
    if text is None:
        raise ValueError("give a handle, an event id or a commitment id")
    sql = f"""
        SELECT f.contact, coalesce(c.name, f.contact), f.kind, min(f.due_at), f.reason,
               f.event, f.commitment, f.anchor, f.handle, {shared_sql(schema)}
        FROM {schema}.followups f LEFT JOIN {schema}.contacts c ON c.id = f.contact
        WHERE {LIVE} AND f.{column} >= :low AND f.{column} < :high
        GROUP BY f.handle ORDER BY min(f.due_at), f.handle LIMIT 20
    """
    rows: list[tuple[Any, ...]] = db.execute(
        sql, {"now": now, "low": text, "high": text + "\U0010ffff"}).fetchall()
    found = [{"contact": r[0], "name": r[1], "kind": r[2], "due_at": r[3], "reason": r[4],
              "event": r[5], "commitment": r[6], "anchor": r[7], "handle": shown(r[8], r[9])}
             for r in rows]
    if handle is not None or event is not None:  # birthdays' items are worked out when read
        from coffeechat.important_dates import items_by_event, items_by_handle

        birthdays = items_by_handle(db, schema, now, handle) if handle is not None \
            else items_by_event(db, schema, now, text)
        found += [{**item, "event": item["date"], "commitment": None, "anchor": None}
                  for item in birthdays]
    return found
