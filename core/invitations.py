"""Calendar invitations in: the ``ics`` importer (see ``coffeechat.importing``).

Invitations from Google Calendar, Outlook and others, time zones included
(Windows zone names too, which the icalendar library maps). The contact is
whoever organised or attends, apart from you (``[me] email``); an invitation
from someone unknown adds them. A higher SEQUENCE reschedules, a lower one
never overrides a higher, and a cancellation (METHOD:CANCEL or
STATUS:CANCELLED) cancels; everything is keyed by UID and SEQUENCE, so
importing the same file again records nothing.

:func:`read_invitations` reads and checks the whole file before anything
else (a time outside the dates coffeechat keeps is refused here, naming the
line); :func:`plan_invitations` decides what to record against the log,
inside the write transaction. :class:`IcsImporter` puts the two together for
``coffeechat import ics``. Another calendar source (a plugin reading a
calendar service, say) can make :class:`Invitation` rows and plan them the
same way. A recurring invitation is recorded one occurrence at a time
(:mod:`coffeechat.recurrence`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any, NamedTuple

import msgspec

from coffeechat import validate
from coffeechat.calendars import DATE_MARK, DOMAIN, FoldContact, Meeting, all_meetings
from coffeechat.clock import WINDOW_TEXT, in_window, moved_by, now, stamp
from coffeechat.errors import BadInput
from coffeechat.events import ContactAdded, MeetingCancelled, MeetingScheduled, Payload
from coffeechat.files import read_input
from coffeechat.fold import CONTACT_PREFIX
from coffeechat.importing import ImportContext, Imported, Plan, Reads, Report
from coffeechat.payload import ALL_DAY_HOUR
from coffeechat.recurrence import Override, every, occurrence, recurs
from coffeechat.resolve import ContactDirectory, contacts_by_email, lookalikes
from coffeechat.store import NewEvent, Store

DAY_MINUTES = 24 * 60  # a longer invitation is recorded as a day long
MAX_SEQUENCE = 2**31 - 1


class Invitation(NamedTuple):
    uid: str
    sequence: int
    cancelled: bool
    at: datetime
    minutes: int
    where: str | None
    people: list[tuple[str, str | None]]  # (email, name) of everyone but you
    contact: str | None  # X-COFFEECHAT-CONTACT, in our own exports
    number: int = 0  # which VEVENT of the file (from 1), for messages
    line: int = 0  # the line it begins on
    unknown_zone: str | None = None  # a TZID no zone database knows (read as local time)
    zone_offset: bool = False  # ... read at the UTC offset its name gives instead
    all_day: bool = False  # a day, not a time (``at``: ALL_DAY_HOUR UTC on it)
    recurring: bool = False  # a series: ``at`` is the occurrence recorded (coffeechat.recurrence)
    # One occurrence of a series, sent alone: the time (UTC) of the occurrence it moves
    # (to ``at``) or calls off (RECURRENCE-ID)
    changes: datetime | None = None


class IcsImport(NamedTuple):
    """What the invitations of a file change."""

    scheduled: list[str]
    cancelled: list[str]
    added: list[str]  # contacts the invitations brought
    unchanged: int
    why: list[str]  # one line per invitation: what it records, or why nothing
    warnings: tuple[str, ...] = ()  # what was read by a guess (an unknown time zone), and
    # people added who look like someone known


def read_invitations(path: str, me: str | None) -> list[Invitation]:
    """The VEVENTs of an .ics file, checked; a file that is not iCalendar is an error naming it."""
    import icalendar

    data = read_input(path)
    try:  # (several invitations saved into one file: one calendar after another)
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except ValueError as error:
        message = " ".join(str(error).splitlines())[:200]
        raise BadInput(f"{path}: not an iCalendar file ({message})") from None
    other = next((c.name for c in calendars if c.name != "VCALENDAR"), None)
    if not calendars or other is not None:
        raise BadInput(f"{path}: not an iCalendar file ("
                       + (f"a {other}, not a VCALENDAR)" if other else "no BEGIN:VCALENDAR)"))
    starts = [n + 1 for n, line in enumerate(data.splitlines())
              if line.strip().upper() == b"BEGIN:VEVENT"]
    methods: list[str] = []  # each event's calendar's METHOD
    events: list[Any] = []
    for cal in calendars:
        found_here = cal.walk("VEVENT")
        events += found_here
        methods += [str(cal.get("method", "")).upper()] * len(found_here)
    overrides = _overrides(events)
    series = {str(event.get("UID", "")) for event in events if "RECURRENCE-ID" not in event}
    found = []
    for number, (event, method) in enumerate(zip(events, methods, strict=True), start=1):
        line = starts[number - 1] if number <= len(starts) else 0
        where = f"{path}: line {line}: event {number}" if line else f"{path}: event {number}"
        alone = "RECURRENCE-ID" in event and str(event.get("UID", "")) not in series
        if "RECURRENCE-ID" in event and not alone:
            continue  # one occurrence of a series, moved or called off: read with the series
        if DATE_MARK in event:
            continue  # a birthday or important date of our own export: not a meeting
        try:
            invitation = _invitation(event, method, (me or "").lower(),
                                     overrides.get(str(event.get("UID", ""))))
            if alone:  # (an update of one occurrence, as Outlook and Google send it)
                invitation = invitation._replace(changes=_changed(event))
        except BadInput as error:
            raise BadInput(f"{where}: {error.message}; nothing was imported") from None
        except (KeyError, ValueError, TypeError, OverflowError) as error:
            message = " ".join(str(error).splitlines())[:200]
            raise BadInput(f"{where}: {message}; nothing was imported") from None
        found.append(invitation._replace(number=number, line=line))
    return found


def _overrides(events: list[Any]) -> dict[str, list[Override]]:
    """UID → the occurrences the file moves or calls off (VEVENTs with a RECURRENCE-ID).

    One that cannot be read is left out: it changes one occurrence, not the series.
    """
    found: dict[str, list[Override]] = {}
    for event in events:
        if "RECURRENCE-ID" not in event or "UID" not in event:
            continue
        try:
            moved = None if str(event.get("STATUS", "")).upper() == "CANCELLED" \
                else event.decoded("DTSTART")
            recurrence_id = event.decoded("RECURRENCE-ID")
        except (KeyError, ValueError, TypeError):
            continue
        # (icalendar hands back the text of a time it could not read)
        if isinstance(recurrence_id, date) and (moved is None or isinstance(moved, date)):
            found.setdefault(str(event["UID"]), []).append((recurrence_id, moved))
    return found


def _changed(event: Any) -> datetime:
    """The time (UTC) of the occurrence a VEVENT with a RECURRENCE-ID changes."""
    value = event.decoded("RECURRENCE-ID")
    if not isinstance(value, date):
        raise BadInput(f"RECURRENCE-ID: {str(value)[:40]!r} is not a time")
    if not isinstance(value, datetime):  # (an all-day occurrence: kept as all-day ones are)
        value = datetime.combine(value, time(ALL_DAY_HOUR), tzinfo=UTC)
    found = _in_utc(value)
    if found is None:
        raise BadInput(f"RECURRENCE-ID: {value.date()} is outside the dates coffeechat keeps "
                       f"({WINDOW_TEXT})")
    return found


_NAMED_OFFSET = re.compile(r"\(UTC(?:([+-])(\d{2}):(\d{2}))?\)")


def _named_offset(zone: str) -> tzinfo | None:
    """The fixed offset an Outlook zone's display name begins with ("(UTC+08:00) Beijing,
    ...", "(UTC) Coordinated Universal Time"), or None."""
    from datetime import timedelta, timezone

    found = _NAMED_OFFSET.match(zone.strip())
    if found is None:
        return None
    sign, hours, minutes = found.groups()
    if sign is None:
        return UTC
    offset = timedelta(hours=int(hours), minutes=int(minutes))
    if offset >= timedelta(hours=24):
        return None
    return timezone(-offset if sign == "-" else offset)


def _in_utc(moment: datetime) -> datetime | None:
    """A decoded time in UTC (a floating one read in this computer's zone); None when
    it lies outside the dates coffeechat keeps."""
    try:
        if moment.tzinfo is None:
            moment = moment.astimezone()
        in_utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):  # (a year at the very edge of what Python keeps)
        return None
    return in_utc if in_window(in_utc) else None


def _invitation(event: Any, method: str, me: str, overrides: list[Override] | None = None
                ) -> Invitation:
    if "UID" not in event:
        raise BadInput("no UID: not an invitation coffeechat can track")
    uid = validate.one_line(str(event["UID"]), "UID", limit=500, required=True)
    start = event.decoded("DTSTART")
    zone = event["DTSTART"].params.get("TZID") if isinstance(start, datetime) \
        and start.tzinfo is None else None  # (icalendar knew no such zone)
    offset = _named_offset(str(zone)) if zone else None
    if offset is not None:  # (Outlook's "(UTC+08:00) Beijing, ...": the offset it names)
        start = start.replace(tzinfo=offset)
    all_day = not isinstance(start, datetime)
    if all_day:  # an all-day event: its day, kept at the hour that is that day everywhere
        start = datetime.combine(start, time(ALL_DAY_HOUR), tzinfo=UTC)
    minutes = min(max(_minutes(event), 1), DAY_MINUTES)
    recurring, emptied = recurs(event), False
    if recurring:  # a series: the occurrence not yet over (see coffeechat.recurrence)
        found = occurrence(event, start, minutes, now(), overrides or ())
        emptied = found is None  # (every occurrence excluded: as if called off)
        start = start if found is None else found
    in_utc = _in_utc(start)  # (a floating time: the reader's zone)
    if in_utc is None:
        what = "RRULE: the occurrence to record," if recurring else "DTSTART:"
        raise BadInput(f"{what} {start.date()} is outside the dates coffeechat keeps "
                       f"({WINDOW_TEXT})")
    start = in_utc
    sequence = int(event.get("SEQUENCE", 0))
    if not 0 <= sequence <= MAX_SEQUENCE:
        raise BadInput(f"SEQUENCE: {sequence} is not between 0 and {MAX_SEQUENCE}")
    people: list[tuple[str, str | None]] = []
    roles = [("ORGANIZER", event.get("ORGANIZER"))]
    attendees = [prop for prop in every(event.get("ATTENDEE"))
                 if _param(prop, "CUTYPE") not in _NOT_PEOPLE]  # (a room is nobody to meet)
    # Those there for information only (ROLE=NON-PARTICIPANT) come after the rest.
    attendees.sort(key=lambda prop: _param(prop, "ROLE") == "NON-PARTICIPANT")
    roles += [("ATTENDEE", prop) for prop in attendees]
    for role, prop in roles:
        if prop is None:
            continue
        address = validate.email(str(prop).strip().removeprefix("mailto:").removeprefix(
            "MAILTO:"), role)
        if address and address.lower() != me and address not in [p[0] for p in people]:
            name = validate.optional(str(prop.params["CN"]), f"{role} CN", limit=200) \
                if "CN" in prop.params else None
            people.append((address, name))
    status = str(event.get("STATUS", "")).upper()
    return Invitation(uid, sequence, method == "CANCEL" or status == "CANCELLED" or emptied,
                      start, minutes,
                      " ".join(str(event.get("LOCATION", "")).split())[:200] or None, people,
                      str(event["X-COFFEECHAT-CONTACT"]) if "X-COFFEECHAT-CONTACT" in event
                      else None, unknown_zone=str(zone)[:100] if zone else None,
                      zone_offset=offset is not None, all_day=all_day,
                      recurring=recurring)


_NOT_PEOPLE = frozenset(("RESOURCE", "ROOM"))  # an attendee's CUTYPE that is no person


def _param(prop: Any, name: str) -> str:
    """A property's parameter, upper case ("" without it)."""
    params = getattr(prop, "params", None)
    return str(params.get(name, "")).upper() if params is not None else ""


def _minutes(event: Any) -> int:
    """How long the meeting lasts: DTSTART to DTEND, or its DURATION (30 minutes without)."""
    if "DTEND" in event:
        return _minutes_between(event.decoded("DTSTART"), event.decoded("DTEND"))
    if "DURATION" in event:
        return int(event.decoded("DURATION").total_seconds() // 60)
    return 30


def _minutes_between(start: date | datetime, end: date | datetime) -> int:
    """DTSTART to DTEND in minutes; an all-day DTSTART makes it all day, whatever DTEND is."""
    if not isinstance(start, datetime):
        return DAY_MINUTES
    if not isinstance(end, datetime):  # a day for an end: the start of that day
        end = datetime.combine(end, datetime.min.time())
    if start.tzinfo is None:  # a floating time beside a zoned one: read in that zone
        start = start.replace(tzinfo=end.tzinfo)
    elif end.tzinfo is None:
        end = end.replace(tzinfo=start.tzinfo)
    return int((end - start).total_seconds() // 60)


def plan_invitations(store: Store, fold_contact: FoldContact, invitations: list[Invitation]
                     ) -> tuple[list[NewEvent], IcsImport]:
    """What the invitations change: the events to append, and the report."""
    outcome = IcsImport([], [], [], 0, [])
    directory = ContactDirectory.load(store.conn)
    by_email = contacts_by_email(store.conn)
    known: dict[str, Meeting] = {}
    for meeting in all_meetings(store, fold_contact):  # (oldest first)
        known[meeting.uid] = meeting  # (as exported: our own file imported again)
        if meeting.invitation:  # a series' latest meeting, once one held stays apart
            known[meeting.invitation] = meeting
    moment = now()
    events: list[NewEvent] = []
    for invitation in invitations:
        what = f"event {invitation.number} ({invitation.uid[:60]})"
        seen = known.get(invitation.uid) or known.get(invitation.uid.removesuffix(f"@{DOMAIN}"))
        if invitation.changes is not None:
            change = _occurrence_changed(invitation, seen, what, outcome)
            if change is not None and seen is not None:
                events.append(change)
                known[invitation.uid] = seen._replace(
                    at=stamp(invitation.at), cancelled=invitation.cancelled,
                    current=not invitation.cancelled, changed=invitation.sequence)
            continue
        if invitation.cancelled and (seen is None or not seen.current):
            outcome.why.append(f"{what}: unchanged: a cancellation, and nothing is scheduled "
                               "under this UID")
            continue
        if seen is not None and not _newer(invitation, seen, moment):
            outcome.why.append(f"{what}: unchanged: already recorded at SEQUENCE "
                               f"{seen.sequence}" + (f", the occurrence at {seen.at}"
                                                     if invitation.recurring else ""))
            continue
        contact = seen.contact if seen is not None else _contact_for(
            invitation, directory, by_email, events, outcome)
        if contact is None:
            outcome.why.append(f"{what}: unchanged: nobody but you is invited")
            continue
        at = stamp(now())
        key = f"ics:{invitation.uid}#{invitation.sequence}"
        if invitation.recurring and not invitation.cancelled:
            key += f"@{stamp(invitation.at)}"  # (each occurrence of a series in turn)
        payload: Payload
        if invitation.cancelled:
            payload = MeetingCancelled(uid=invitation.uid, sequence=invitation.sequence,
                                       reason="cancelled by the organiser")
            outcome.cancelled.append(contact)
            outcome.why.append(f"{what}: cancel the meeting with {contact}")
            key += ":cancel"
        else:
            payload = MeetingScheduled(at=invitation.at, minutes=invitation.minutes,
                                       where=invitation.where, uid=invitation.uid,
                                       sequence=invitation.sequence,
                                       series=invitation.recurring,
                                       all_day=invitation.all_day)
            outcome.scheduled.append(contact)
            outcome.why.append(f"{what}: schedule a meeting with {contact} at "
                               f"{stamp(invitation.at)}" + (", the next occurrence of a "
                                                            "recurring invitation"
                                                            if invitation.recurring else ""))
        events.append(NewEvent(stream=CONTACT_PREFIX + contact, payload=payload,
                               occurred_at=at, key=key))
        # A later event of the file with the same UID is judged against this one.
        known[invitation.uid] = Meeting(
            invitation.uid, invitation.sequence, contact, "", None, stamp(invitation.at),
            invitation.minutes, invitation.where, invitation.cancelled,
            current=not invitation.cancelled, invited=invitation.sequence,
            called_off=invitation.cancelled, occurrence=stamp(invitation.at))
    events = _unblocked(store, events)
    unchanged = len(invitations) - len(outcome.scheduled) - len(outcome.cancelled)
    warnings = tuple(
        f"warning: event {i.number}" + (f" (line {i.line})" if i.line else "")
        + f": unknown time zone {i.unknown_zone!r}: its time was read "
        + ("at the UTC offset its name gives, without daylight saving" if i.zone_offset
           else "as this computer's local time") + f" ({stamp(i.at)})"
        for i in invitations if i.unknown_zone)
    warnings += _lookalike_warnings(store, directory, outcome.added)
    return events, outcome._replace(unchanged=unchanged, warnings=warnings)


def _occurrence_changed(invitation: Invitation, seen: Meeting | None, what: str,
                        outcome: IcsImport) -> NewEvent | None:
    """The event that moves or calls off the meeting recorded, when the invitation changes
    that very occurrence of its series; else None (and why, in the report).

    Recorded as a change by hand is (no SEQUENCE of the series'): the series goes on.
    """
    changed = stamp(invitation.changes) if invitation.changes is not None else ""
    if seen is None or not seen.current or (seen.occurrence or seen.at) != changed:
        recorded = f" (the meeting recorded is the one at {seen.occurrence or seen.at})" \
            if seen is not None else ""
        outcome.why.append(f"{what}: unchanged: it changes the occurrence at {changed}, "
                           f"not a meeting scheduled now{recorded}")
        return None
    if invitation.sequence < seen.changed or (invitation.sequence == seen.changed
                                              and not invitation.cancelled):
        outcome.why.append(f"{what}: unchanged: a change to the occurrence at {changed} "
                           f"already recorded at SEQUENCE {seen.changed}")
        return None
    key = f"ics:{invitation.uid}#{invitation.sequence}@{changed}"
    payload: Payload
    if invitation.cancelled:
        payload = MeetingCancelled(uid=invitation.uid,
                                   reason="this occurrence cancelled by the organiser")
        outcome.cancelled.append(seen.contact)
        outcome.why.append(f"{what}: cancel the meeting with {seen.contact} at {changed}")
        key += ":cancel"
    else:
        payload = MeetingScheduled(at=invitation.at, minutes=invitation.minutes,
                                   where=invitation.where, uid=invitation.uid,
                                   sequence=invitation.sequence, occurrence=invitation.changes,
                                   series=True)
        outcome.scheduled.append(seen.contact)
        outcome.why.append(f"{what}: move the meeting with {seen.contact} from {changed} to "
                           f"{stamp(invitation.at)}")
        key += f">{stamp(invitation.at)}"
    return NewEvent(stream=CONTACT_PREFIX + seen.contact, payload=payload,
                    occurred_at=stamp(now()), key=key)


def _unblocked(store: Store, events: list[NewEvent]) -> list[NewEvent]:
    """The events, each key the log already holds given a suffix (``~2``, ``~3`` ...).

    The event holding such a key no longer says what the log shows: it was undone
    (or its contact was), or a change by hand came after it and the series has
    come back to that occurrence. Appended under the same key, the store would
    take the new event for a repeat and skip it.
    """
    keys = [e.key for e in events if e.key is not None]
    if not keys:
        return events
    taken = {row[0] for row in store.conn.execute(
        "SELECT key FROM events WHERE key IN (SELECT value FROM json_each(?))",
        (msgspec.json.encode(keys).decode(),))}
    if not taken:
        return events
    fresh = []
    for event in events:
        base = event.key
        if base is not None and base in taken:
            used = {row[0] for row in store.conn.execute(
                "SELECT key FROM events WHERE key >= ? AND key < ?", (base + "~", base + "\x7f"))}
            number = 2
            while f"{base}~{number}" in used:
                number += 1
            event = msgspec.structs.replace(event, key=f"{base}~{number}")
        fresh.append(event)
    return fresh


def _newer(invitation: Invitation, meeting: Meeting, moment: datetime) -> bool:
    """Whether an invitation changes a meeting already known.

    A lower SEQUENCE never overrides a higher; the same one only if it cancels
    (some calendars cancel without raising it). A series moves on to a later
    occurrence once the one recorded is over (held, cancelled or moved by hand
    or not), unless the organiser called it off or this is an older version of it,
    and never back to the occurrence the meeting recorded was (moved earlier).
    """
    occurrence = stamp(invitation.at)
    if invitation.recurring and not invitation.cancelled and not meeting.called_off \
            and invitation.sequence >= meeting.invited and occurrence > meeting.at \
            and occurrence != meeting.occurrence \
            and (not meeting.current or moved_by(meeting.at, minutes=meeting.minutes)
                 <= stamp(moment)):
        return True  # (not the occurrence the meeting recorded was, moved earlier)
    if invitation.sequence > meeting.sequence:
        return True
    return (invitation.sequence == meeting.sequence and invitation.cancelled
            and not meeting.cancelled)


def _contact_for(invitation: Invitation, directory: ContactDirectory,
                 by_email: dict[str, str], events: list[NewEvent], outcome: IcsImport
                 ) -> str | None:
    if invitation.contact and invitation.contact in directory.names:
        return invitation.contact
    for address, _name in invitation.people:
        if address.lower() in by_email:
            return by_email[address.lower()]
    if not invitation.people:
        return None  # nobody but you: not a meeting with a contact
    address, name = invitation.people[0]
    display = _first_name_first(name) if name else address.partition("@")[0][:200]
    # (both checked as the file was read)
    contact_id = directory.new_id(display)
    directory.add(contact_id, display)
    by_email[address.lower()] = contact_id
    events.append(NewEvent(stream=CONTACT_PREFIX + contact_id, occurred_at=stamp(now()),
                           payload=ContactAdded(name=display, email=address,
                                                how_met="a calendar invitation")))
    outcome.added.append(contact_id)
    return contact_id


# Exchange writes a CN "Last, First": a name of one or two words each side, no dots or
# digits (so "Acme, Inc." or "Jane Smith, PhD" are left as written)
_LAST_FIRST = re.compile(r"\s*([^\W\d_]+(?:[ '-][^\W\d_]+)?),\s*([^\W\d_]+(?:[ '-][^\W\d_]+)?)\s*")
_NOT_FIRST_NAMES = frozenset(("inc", "ltd", "llc", "gmbh", "phd", "md", "jr", "sr", "mba",
                              "esq", "ii", "iii", "iv"))


def _first_name_first(name: str) -> str:
    """An invitation's CN as a person is named: Exchange's "Kowalczyk, Tomasz" is Tomasz
    Kowalczyk."""
    found = _LAST_FIRST.fullmatch(name)
    if found is None or found.group(2).lower() in _NOT_FIRST_NAMES:
        return name
    return f"{found.group(2)} {found.group(1)}"


def _lookalike_warnings(store: Store, directory: ContactDirectory, added: list[str]
                        ) -> tuple[str, ...]:
    """A line for each contact an invitation added that looks like one already known (a
    second address of theirs, say), with the merge that makes them one."""
    return tuple("warning: " + twin.warning(contact_id, directory.names[contact_id])
                 for contact_id in added
                 for twin in lookalikes(store.conn, contact_id, directory.names[contact_id])
                 if twin.id not in added)


class IcsImporter:
    """``coffeechat import ics FILE``."""

    name = "ics"
    help = ("Calendar invitations (.ics from Google Calendar, Outlook, ...) as scheduled "
            "meetings.\n\nThe contact is the organiser or an attendee other than you ([me] "
            "email); someone unknown is added. A higher SEQUENCE reschedules, a cancellation "
            "cancels, and the same file imported again records nothing. A recurring "
            "invitation is its next occurrence, moved on when imported again after it. An "
            "invitation dated outside 1900-2200 makes the file import nothing.")
    reads: Reads = "file"
    options = ()

    def read(self, path: str, context: ImportContext) -> list[Invitation]:
        return read_invitations(path, context.config.me.email)

    def plan(self, store: Store, data: list[Invitation], context: ImportContext
             ) -> Plan[IcsImport]:
        return Plan(*plan_invitations(store, context.fold_contact, data))

    def report(self, result: Imported[IcsImport]) -> Report:
        outcome = result.outcome
        would = "would be " if result.dry_run else ""
        text = [f"{result.path}: {len(outcome.scheduled)} {would}scheduled, "
                f"{len(outcome.cancelled)} {would}cancelled, {outcome.unchanged} unchanged; "
                f"{len(outcome.added)} new contacts"]
        if result.dry_run:
            text += [f"  {line}" for line in outcome.why]
        document: dict[str, object] = {"scheduled": outcome.scheduled,
                                       "cancelled": outcome.cancelled,
                                       "added": outcome.added, "unchanged": outcome.unchanged}
        return Report(document, text, outcome.warnings)
