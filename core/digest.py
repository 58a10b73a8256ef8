"""The day's digest (`today`): what it holds, its text, and sending it at most once a day.

:func:`today` gathers, judged at one moment: the overdue follow-ups and those
due later the same local day (one ``due`` query, split in two), the meetings
scheduled for today and tomorrow (each with the first lines of the built-in
prep sheet: who they are, how you met, who introduced you, what they
suggested last time; `template render prep` gives the whole sheet),
birthdays and important dates in the next 7 days, and the top of
``reconnect``. :func:`lines` makes it the plain text that ``today`` prints
and ``today --send`` sends as one message; :func:`record_sent` notes that it
went out as a ``digest.sent`` event on the stream ``digest:<local day>``
(not a contact's stream: the fold and the projections never read it).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

import apsw

from coffeechat import queries
from coffeechat.clock import day_start, from_stamp, local_date, local_time, stamp
from coffeechat.events import (
    DIGEST_PREFIX,
    RETRACTED,
    DigestSent,
    MeetingHeld,
    MeetingScheduled,
    Payload,
)
from coffeechat.keep_in_touch import first_line, reconnect
from coffeechat.stages import Kind, Stage

if TYPE_CHECKING:
    from coffeechat.channels import Channel
    from coffeechat.codec import Event
    from coffeechat.config import Me
    from coffeechat.store import Store

SECTIONS = ("overdue", "due_today", "meetings", "birthdays", "reconnect")
BIRTHDAY_DAYS = 7  # birthdays and dates this many days ahead
RECONNECT_TOP = 3
SHOWN = 10  # follow-ups listed in the text of one section; the JSON has them all
PREP_LINES = 3


class Day(NamedTuple):
    """A local day, as stored stamps: its first second, and the first second of the next."""

    name: str  # YYYY-MM-DD
    start: str
    end: str


def local_days(now: str, count: int = 1) -> Day:
    """The local day of ``now``, stretched over ``count`` days."""
    day = local_date(now)
    return Day(day.isoformat(), day_start(day), day_start(day + timedelta(days=count)))


def today(db: apsw.Connection, schema: str, now: str) -> dict[str, list[dict[str, Any]]]:
    """The digest as JSON: ``overdue``, ``due_today``, ``meetings``, ``birthdays``, ``reconnect``.

    Follow-ups are in the shape of ``due --json`` (handles and all).
    """
    day = local_days(now)
    horizon = stamp(from_stamp(day.end) - timedelta(seconds=1))
    items = queries.due(db, schema, now, horizon)
    return {
        "overdue": [i for i in items if i["overdue"]],
        "due_today": [i for i in items if not i["overdue"]],
        "meetings": meetings(db, schema, now),
        "birthdays": birthdays(db, schema, now),
        "reconnect": reconnect(db, schema, now, RECONNECT_TOP),
    }


def birthdays(db: apsw.Connection, schema: str, now: str) -> list[dict[str, Any]]:
    """Birthdays and important dates in the next 7 days (coffeechat.important_dates)."""
    from coffeechat.important_dates import upcoming

    try:
        return upcoming(db, schema, now, BIRTHDAY_DAYS)
    except apsw.SQLError:  # (projections built by a version without them)
        return []


def meetings(db: apsw.Connection, schema: str, now: str) -> list[dict[str, Any]]:
    """The meetings scheduled for today and tomorrow (local days), soonest first.

    The contacts projection keeps each contact's scheduled meeting (its time,
    indexed, and event) and last meeting held: those in the window, with the
    stage still ``scheduled`` or a prep item, are read with those two events
    (their length and place, and what was suggested last time) and no fold:
    their contacts, referrers and events in one query each. Each carries
    :func:`prep_lines`.
    """
    window = local_days(now, 2)
    sql = f"""
        SELECT c.id, c.scheduled_at, c.scheduled_id, c.last_met_id FROM {schema}.contacts c
        WHERE c.scheduled_at >= ? AND c.scheduled_at < ?
          AND (c.stage = '{Stage.SCHEDULED}'
               OR EXISTS (SELECT 1 FROM {schema}.followups f  -- (by its index, not a scan)
                          WHERE f.contact = c.id AND f.kind = '{Kind.PREP}'))
        ORDER BY c.id"""
    rows: list[tuple[Any, ...]] = db.execute(sql, (window.start, window.end)).fetchall()
    if not rows:
        return []
    # (every contact, referrer and event read in one query each, not one per meeting)
    docs = queries.contacts_by_id(db, schema, now, [row[0] for row in rows])
    referrers = _names(db, schema, {doc["referred_by"] for doc in docs.values()
                                    if doc["referred_by"]})
    payloads = _payloads(db, {event_id for row in rows for event_id in row[2:]
                              if event_id is not None})
    found = []
    for contact_id, at, scheduled_id, last_met_id in rows:
        doc = docs.get(contact_id)
        if doc is None or doc["stage"] == Stage.ARCHIVED:
            continue
        scheduled = payloads.get(scheduled_id)
        minutes, where, all_day = (scheduled.minutes, scheduled.where, scheduled.all_day) \
            if isinstance(scheduled, MeetingScheduled) else (None, None, False)
        referrer = referrers.get(doc["referred_by"]) if doc["referred_by"] else None
        found.append({"contact": contact_id, "name": doc["name"], "at": at,
                      "minutes": minutes, "where": where, "all_day": all_day,
                      "prep": prep_lines(doc, referrer, payloads.get(last_met_id))})
    found.sort(key=lambda m: (m["at"], m["name"].casefold()))
    return found


def _names(db: apsw.Connection, schema: str, ids: set[str]) -> dict[str, str]:
    """The names of the contacts with these ids (one missing: no such contact)."""
    if not ids:
        return {}
    sql = f"SELECT id, name FROM {schema}.contacts WHERE id IN (SELECT value FROM json_each(?))"
    return dict(db.execute(sql, (_json_list(ids),)))


def _payloads(db: apsw.Connection, event_ids: set[str]) -> dict[str, Payload]:
    """The decoded payloads of these events (one missing: no such event, or unreadable)."""
    if not event_ids:
        return {}
    from coffeechat.codec import readable_payload

    found = {}
    sql = ("SELECT id, type, schema, data FROM main.events "
           "WHERE id IN (SELECT value FROM json_each(?))")
    for event_id, *row in db.execute(sql, (_json_list(event_ids),)):
        payload = readable_payload(*row)
        if payload is not None:
            found[event_id] = payload
    return found


def _json_list(values: set[str]) -> str:
    import msgspec

    return msgspec.json.encode(sorted(values)).decode()


def prep_lines(contact: dict[str, Any], referrer: str | None, last_met: Payload | None = None
               ) -> list[str]:
    """The first lines of the built-in prep sheet ("Who they are").

    From the contact (as ``contacts --json`` gives it), who introduced them, and
    the payload of the last meeting held (``last_met``). Made here rather than
    by rendering the template: the digest is read every day, and a template
    costs Jinja2 and the plugins (~40 ms a meeting).
    """
    lines = []
    role, company = contact.get("role"), contact.get("company")
    if role or company:
        lines.append(f"{role or 'Works'}{f' at {company}' if company else ''}")
    if contact.get("how_met"):
        lines.append(f"How we met: {first_line(contact['how_met'])}")
    if referrer:
        lines.append(f"Introduced by {referrer}")
    if isinstance(last_met, MeetingHeld) and last_met.takeaways:
        lines.append(f"They suggested: {first_line(last_met.takeaways[0])}")
    return [line for line in lines if line][:PREP_LINES]


def count(digest: dict[str, list[dict[str, Any]]]) -> int:
    """How many things the digest lists."""
    return sum(len(digest.get(section, [])) for section in SECTIONS)


# -- the text --------------------------------------------------------------------------------

def lines(digest: dict[str, list[dict[str, Any]]], now: str) -> list[tuple[str, bool]]:
    """The digest as lines of plain text, each with whether it is a heading."""
    day = local_days(now).name
    out: list[tuple[str, bool]] = [(f"Your day: {day}", True)]
    if not count(digest):
        return [*out, ("Nothing overdue, nothing due today, no meetings, birthdays or "
                       "people to reconnect with.", False)]

    def section(title: str, rows: list[str], total: int, more: str) -> None:
        if not total:
            return
        out.append(("", False))
        out.append((f"{title} ({total})", True))
        out.extend((f"  {row}", False) for row in rows)
        if total > len(rows):
            out.append((f"  ... and {total - len(rows)} more: {more}", False))

    for key, title in (("overdue", "Overdue"), ("due_today", "Due today")):
        items = digest[key]
        section(title, [_item_line(i) for i in items[:SHOWN]], len(items),
                "coffeechat due --all")
    meeting_rows = []
    for m in digest["meetings"]:
        if m.get("all_day"):  # (its day, whatever the zone: see coffeechat.payload)
            when, length = f"{m['at'][:10]} all day", ""
        else:
            when, length = local_time(m["at"]), f"{m['minutes']} min" if m["minutes"] else ""
        facts = ", ".join(f for f in (length, m["where"]) if f)
        meeting_rows.append(f"{when}  {m['name']}" + (f" ({facts})" if facts else ""))
        meeting_rows += [f"    {line}" for line in m["prep"]]
    section("Meetings today and tomorrow", meeting_rows, len(digest["meetings"]), "")
    section(f"Birthdays and dates in the next {BIRTHDAY_DAYS} days",
            [_date_line(b) for b in digest["birthdays"]], len(digest["birthdays"]), "")
    section("Reconnect", [_reconnect_line(r) for r in digest["reconnect"]],
            len(digest["reconnect"]), "coffeechat reconnect")
    return out


def _item_line(item: dict[str, Any]) -> str:
    return (f"[{item['handle']}] {local_time(item['due_at'])}  {item['kind']}  "
            f"{item['name']}: {item['reason']}")


def _date_line(item: dict[str, Any]) -> str:
    label = str(item.get("label") or "")
    years = item.get("years")
    if label == "birthday":
        what = f"turns {years}" if years else "birthday"
    else:
        what = f"{label} ({years} years)" if years else label
    return f"{item.get('date')}  {item.get('name')}: {what}"


def _reconnect_line(doc: dict[str, Any]) -> str:
    days = doc["days_past_ideal"]
    said = f"; last: {doc['last_talked_about']}" if doc.get("last_talked_about") else ""
    return (f"{doc['name']} ({doc['warmth']}, {days} day{'' if days == 1 else 's'} past "
            f"ideal{said}): {doc['suggestion']}")


def text(digest: dict[str, list[dict[str, Any]]], now: str) -> str:
    """The digest as one plain-text message body."""
    return "\n".join(line for line, _heading in lines(digest, now)) + "\n"


# -- once a day --------------------------------------------------------------------------------

def sent_on(db: apsw.Connection, day: str) -> list[dict[str, Any]]:
    """The live ``digest.sent`` events of a local day: ``{"id", "channel", "at"}``, oldest first."""
    import msgspec

    from coffeechat.fold import ROW_COLUMNS, Row, retracted_ids

    rows = [Row._make(r) for r in db.execute(
        f"SELECT {ROW_COLUMNS} FROM main.events WHERE stream = ? ORDER BY seq",
        (DIGEST_PREFIX + day,))]
    undone = retracted_ids(rows)
    sent = []
    for row in rows:
        if row.type != DigestSent.type_name or row.id in undone or row.type == RETRACTED:
            continue
        try:
            data = msgspec.json.decode(row.data)
        except msgspec.DecodeError:
            data = {}
        channel = data.get("channel") if isinstance(data, dict) else None
        if not isinstance(channel, str) or not channel.strip():  # (a row planted by hand)
            channel = "an unknown channel"
        sent.append({"id": row.id, "channel": channel, "at": row.occurred_at})
    return sent


def day_version(store: Store, day: str) -> int:
    """The version of ``day``'s digest stream now (0 before anything went out)."""
    return store.versions({DIGEST_PREFIX + day})[DIGEST_PREFIX + day]


def record_sent(store: Store, day: str, channel: str, items: int, now: str,
                expected: int | None = None) -> list[Event]:
    """Note that the digest of ``day`` went out through ``channel`` (one transaction).

    With ``expected`` (the day's version when it was checked, see day_version),
    a digest recorded by another process since raises ConflictError: two
    sends racing record the day once.
    """
    from coffeechat.store import NewEvent

    payload = DigestSent(day=day, channel=channel, items=items)
    stream = DIGEST_PREFIX + day
    return store.append([NewEvent(stream=stream, payload=payload, occurred_at=now)],
                        expected=None if expected is None else {stream: expected})


def send(channel: Channel, me: Me, subject: str, body: str) -> str:
    """Send the digest to yourself through ``channel``; its receipt. Raises DeliveryError.

    Email goes to ``[me] email``; a channel that addresses a contact by another
    field (a phone number) cannot reach you. A failure of the channel's own
    becomes one DeliveryError: nothing is recorded.
    """
    from coffeechat.channels import ADDRESS_FIELDS, DeliveryError, Message, address_of
    from coffeechat.errors import CoffeechatError, describe_error

    if not channel.can_send:
        raise DeliveryError(f"--via: the {channel.name!r} channel cannot deliver messages; "
                            "nothing was sent")
    field, needed = address_of(channel)
    to = me.email if field == "email" else None
    if needed and not to:
        where = "set [me] email in config.toml" if field == "email" \
            else "config.toml has no place for it"
        raise DeliveryError(f"--send: the digest goes to your own {ADDRESS_FIELDS[field]} "
                            f"(the {channel.name!r} channel): {where}; nothing was sent")
    message = Message(kind="digest", contact="me", name=me.name or "me", to=to,
                      subject=subject, body=body)
    try:
        return channel.send(message)
    except CoffeechatError:
        raise
    except Exception as error:  # a plugin's channel failing in its own way
        raise DeliveryError(f"--send: the {channel.name!r} channel failed "
                            f"({describe_error(error)}); nothing was recorded") from None
