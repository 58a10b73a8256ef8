"""Calendars: meetings and follow-ups out as iCalendar, invitations in, CalDAV push.

Export: each meeting is a VEVENT (with a VALARM reminder), each open follow-up
a VTODO with its DUE. UIDs never change, so a calendar app updates an event
instead of adding another: a meeting keeps the UID of its first scheduling
(or of the invitation it came from) through every reschedule, which raises its
SEQUENCE.

Import: invitations from Google Calendar, Outlook and others, time zones
included (Windows zone names too, which the icalendar library maps). The
contact is whoever organised or attends, apart from you (``[me] email``); an
invitation from someone unknown adds them. A higher SEQUENCE reschedules, a
lower one never overrides a higher, and a cancellation (METHOD:CANCEL or
STATUS:CANCELLED) cancels; everything is keyed by UID and SEQUENCE, so
importing the same file again records nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from coffeechat import validate
from coffeechat.clock import from_stamp, now, stamp
from coffeechat.codec import decode_payload
from coffeechat.config import Config
from coffeechat.errors import BadInput
from coffeechat.events import ContactAdded, MeetingCancelled, MeetingScheduled, Payload
from coffeechat.files import read_input
from coffeechat.fold import CONTACT_PREFIX, ContactState, Row
from coffeechat.resolve import ContactDirectory, contacts_by_email
from coffeechat.store import Event, NewEvent, Store

DOMAIN = "coffeechat"


class Meeting(NamedTuple):
    uid: str
    sequence: int
    contact: str
    name: str
    email: str | None
    at: str
    minutes: int
    where: str | None
    cancelled: bool
    current: bool = False  # the one now scheduled (not yet held or cancelled)


def meetings_of(contact_id: str, name: str, email: str | None, rows: list[Row]) -> list[Meeting]:
    """The meetings in a contact's live events, each under its stable UID."""
    found: dict[str, Meeting] = {}
    current: str | None = None  # the UID of the meeting now scheduled
    for row in rows:
        if row.type not in ("meeting.scheduled", "meeting.cancelled", "meeting.held"):
            continue
        p: Any = decode_payload(row.type, row.schema, row.data)
        if row.type == "meeting.scheduled":
            uid = p.uid or current or row.id
            before = found.get(uid)
            sequence = p.sequence if p.sequence is not None else (
                before.sequence + 1 if before else 0)
            found[uid] = Meeting(uid, sequence, contact_id, name, email, stamp(p.at),
                                 p.minutes, p.where, False)
            current = uid
        elif current is not None:
            if row.type == "meeting.cancelled":
                old = found[current]
                sequence = p.sequence if p.sequence is not None else old.sequence + 1
                found[current] = old._replace(cancelled=True, sequence=sequence)
            current = None
    if current is not None:
        found[current] = found[current]._replace(current=True)
    return list(found.values())


FoldContact = Callable[[str], ContactState]  # a contact's stream → its state, merges included


def all_meetings(store: Store, fold_contact: FoldContact) -> list[Meeting]:
    """Every meeting ever scheduled with a contact that is still here (under who it became)."""
    from coffeechat.projections.merges import roots

    db = store.conn
    root_of = roots(dict(db.execute("SELECT alias, into_id FROM merges").fetchall()))
    contacts = {r[0]: (r[1], r[2]) for r in db.execute("SELECT id, name, email FROM contacts")}
    family_roots = set()
    for (stream,) in db.execute(
            "SELECT DISTINCT stream FROM events WHERE type = 'meeting.scheduled'"):
        contact_id = stream[len(CONTACT_PREFIX):]
        family_roots.add(root_of.get(contact_id, contact_id))
    meetings = []
    for contact_id in sorted(family_roots):
        if contact_id in contacts:  # (not an undone contact)
            state = fold_contact(CONTACT_PREFIX + contact_id)
            meetings += meetings_of(contact_id, *contacts[contact_id], state.events)
    return meetings


# -- export --------------------------------------------------------------------------------

def export_calendar(store: Store, config: Config, fold_contact: FoldContact) -> Any:
    """An icalendar Calendar of every meeting and open follow-up."""
    cal = _calendar()
    cal.add("method", "PUBLISH")
    stamp_now = now()
    for meeting in all_meetings(store, fold_contact):
        cal.add_component(_vevent(meeting, config, stamp_now))
    for item in store.conn.execute(
            "SELECT f.contact, c.name, f.kind, f.due_at, f.reason, f.event, f.anchor "
            "FROM followups f JOIN contacts c ON c.id = f.contact "
            "WHERE f.expires_at IS NULL OR f.expires_at > ? ORDER BY f.due_at",
            (stamp(stamp_now),)):
        cal.add_component(_vtodo(*item, stamp_now))
    return cal


def _calendar() -> Any:
    """An empty VCALENDAR that says who made it."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//coffeechat//coffeechat//EN")
    cal.add("version", "2.0")
    return cal


def _vevent(meeting: Meeting, config: Config, stamp_now: datetime) -> Any:
    import icalendar

    event = icalendar.Event()
    start = from_stamp(meeting.at)
    event.add("uid", meeting.uid if "@" in meeting.uid else f"{meeting.uid}@{DOMAIN}")
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", stamp_now)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=meeting.minutes))
    event.add("summary", f"Coffee chat with {meeting.name}")
    event.add("status", "CANCELLED" if meeting.cancelled else "CONFIRMED")
    event.add("x-coffeechat-contact", meeting.contact)
    if meeting.where:
        event.add("location", meeting.where)
    if config.me.email:
        organizer = icalendar.vCalAddress(f"mailto:{config.me.email}")
        if config.me.name:
            organizer.params["cn"] = config.me.name
        event.add("organizer", organizer)
    if meeting.email:
        attendee = icalendar.vCalAddress(f"mailto:{meeting.email}")
        attendee.params["cn"] = meeting.name
        event.add("attendee", attendee)
    if not meeting.cancelled:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Coffee chat with {meeting.name}")
        alarm.add("trigger", timedelta(minutes=-config.calendar.reminder_minutes))
        event.add_component(alarm)
    return event


def _vtodo(contact: str, name: str, kind: str, due_at: str, reason: str, event_id: str,
           anchor: str | None, stamp_now: datetime) -> Any:
    import icalendar

    from coffeechat.rules import reason_text

    todo = icalendar.Todo()
    todo.add("uid", f"{kind}-{event_id}@{DOMAIN}")
    todo.add("dtstamp", stamp_now)
    todo.add("due", from_stamp(due_at))
    todo.add("summary", f"{kind}: {name}")
    todo.add("description", reason_text(reason, anchor))
    todo.add("status", "NEEDS-ACTION")
    todo.add("x-coffeechat-contact", contact)
    return todo


# -- import ------------------------------------------------------------------------------

class Invitation(NamedTuple):
    uid: str
    sequence: int
    cancelled: bool
    at: datetime
    minutes: int
    where: str | None
    people: list[tuple[str, str | None]]  # (email, name) of everyone but you
    contact: str | None  # X-COFFEECHAT-CONTACT, in our own exports


class Known(NamedTuple):
    """What an import needs of a meeting already in the log, by its UID."""

    contact: str
    sequence: int
    cancelled: bool
    current: bool


class IcsImport(NamedTuple):
    scheduled: list[str]
    cancelled: list[str]
    added: list[str]  # contacts the invitations brought
    unchanged: int
    events: list[Event]


def read_invitations(path: str, me: str | None) -> list[Invitation]:
    """The VEVENTs of an .ics file; a file that is not iCalendar is an error naming it."""
    import icalendar

    data = read_input(path)
    try:
        cal = icalendar.Calendar.from_ical(data)
    except ValueError as error:
        raise BadInput(f"{path}: not an iCalendar file ({error})") from None
    method = str(cal.get("method", "")).upper()
    found = []
    for number, event in enumerate(cal.walk("VEVENT"), start=1):
        if "RECURRENCE-ID" in event:
            continue  # one occurrence of a recurring series changed: not a coffee chat
        try:
            found.append(_invitation(event, method, (me or "").lower()))
        except BadInput as error:
            raise BadInput(f"{path}: event {number}: {error.message}") from None
        except (KeyError, ValueError, TypeError) as error:
            raise BadInput(f"{path}: event {number}: {error}") from None
    return found


def _invitation(event: Any, method: str, me: str) -> Invitation:
    uid = str(event["UID"])
    start = event.decoded("DTSTART")
    if not isinstance(start, datetime):  # an all-day event: from the start of that day
        start = datetime.combine(start, datetime.min.time())
    if start.tzinfo is None:
        start = start.astimezone()  # floating time: the reader's zone
    if "DTEND" in event:
        minutes = int((event.decoded("DTEND") - event.decoded("DTSTART")).total_seconds() // 60)
    elif "DURATION" in event:
        minutes = int(event.decoded("DURATION").total_seconds() // 60)
    else:
        minutes = 30
    people: list[tuple[str, str | None]] = []
    roles = [("ORGANIZER", event.get("ORGANIZER"))]
    roles += [("ATTENDEE", prop) for prop in _list(event.get("ATTENDEE"))]
    for role, prop in roles:
        if prop is None:
            continue
        address = validate.email(str(prop).strip().removeprefix("mailto:").removeprefix(
            "MAILTO:"), role)
        if address and address.lower() != me and address not in [p[0] for p in people]:
            people.append((address, str(prop.params["CN"]) if "CN" in prop.params else None))
    status = str(event.get("STATUS", "")).upper()
    return Invitation(uid, int(event.get("SEQUENCE", 0)), method == "CANCEL" or
                      status == "CANCELLED", start.astimezone(UTC), max(minutes, 1),
                      " ".join(str(event.get("LOCATION", "")).split())[:200] or None, people,
                      str(event["X-COFFEECHAT-CONTACT"]) if "X-COFFEECHAT-CONTACT" in event
                      else None)


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def import_invitations(store: Store, fold_contact: FoldContact, invitations: list[Invitation],
                       *, source: str) -> IcsImport:
    """Record what the invitations change, as one batch (decided inside the transaction)."""
    outcome = IcsImport([], [], [], 0, [])

    def plan() -> list[tuple[list[NewEvent], str]]:
        directory = ContactDirectory.load(store.conn)
        by_email = contacts_by_email(store.conn)
        known = {m.uid: Known(m.contact, m.sequence, m.cancelled, m.current)
                 for m in all_meetings(store, fold_contact)}
        events: list[NewEvent] = []
        for invitation in invitations:
            seen = known.get(invitation.uid) or known.get(invitation.uid.removesuffix(
                f"@{DOMAIN}"))
            if invitation.cancelled and (seen is None or not seen.current):
                continue  # nothing scheduled under this UID to cancel
            if seen is not None and not _newer(invitation, seen):
                continue
            contact = seen.contact if seen is not None else _contact_for(
                invitation, directory, by_email, events, outcome)
            if contact is None:
                continue
            at = stamp(now())
            key = f"ics:{invitation.uid}#{invitation.sequence}"
            payload: Payload
            if invitation.cancelled:
                payload = MeetingCancelled(uid=invitation.uid, sequence=invitation.sequence,
                                           reason="cancelled by the organiser")
                outcome.cancelled.append(contact)
                key += ":cancel"
            else:
                payload = MeetingScheduled(at=invitation.at, minutes=invitation.minutes,
                                           where=invitation.where, uid=invitation.uid,
                                           sequence=invitation.sequence)
                outcome.scheduled.append(contact)
            events.append(NewEvent(stream=CONTACT_PREFIX + contact, payload=payload,
                                   occurred_at=at, key=key))
            # A later event of the file with the same UID is judged against this one.
            known[invitation.uid] = Known(contact, invitation.sequence, invitation.cancelled,
                                          current=not invitation.cancelled)
        return [(events, source)]

    appended = store.append_planned(plan)
    unchanged = len(invitations) - len(outcome.scheduled) - len(outcome.cancelled)
    return outcome._replace(unchanged=unchanged,
                            events=[event for batch in appended for event in batch])


def _newer(invitation: Invitation, meeting: Known) -> bool:
    """Whether an invitation changes a meeting already known.

    A lower SEQUENCE never overrides a higher; the same one only if it cancels
    (some calendars cancel without raising it).
    """
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
    display = validate.one_line(name or address.partition("@")[0], "CN", limit=200)
    contact_id = directory.new_id(display)
    directory.add(contact_id, display)
    by_email[address.lower()] = contact_id
    events.append(NewEvent(stream=CONTACT_PREFIX + contact_id, occurred_at=stamp(now()),
                           payload=ContactAdded(name=display, email=address,
                                                how_met="a calendar invitation")))
    outcome.added.append(contact_id)
    return contact_id


# -- CalDAV ------------------------------------------------------------------------------

class Pushed(NamedTuple):
    events: int
    todos: int
    completed: int  # to-dos on the calendar whose follow-up is no longer open


def push(store: Store, config: Config, fold_contact: FoldContact, password: str | None
         ) -> Pushed:
    """Put every meeting and open follow-up on the CalDAV calendar.

    Each object is named by its UID, so pushing again overwrites rather than
    copies. A to-do pushed earlier whose follow-up has since closed (done,
    answered, undone) is marked COMPLETED rather than left to nag.
    """
    import caldav

    settings = config.calendar
    if not settings.url:
        raise BadInput("calendar push: set [calendar] url in config.toml")
    client = caldav.DAVClient(url=settings.url, username=settings.username, password=password)
    calendar = client.calendar(url=settings.url)
    _check_calendar(calendar, config)
    events = todos = 0
    open_uids = set()
    for component in export_calendar(store, config, fold_contact).subcomponents:
        wrapper = _calendar()  # one object per resource, as CalDAV stores them
        wrapper.add_component(component)
        text = wrapper.to_ical().decode()
        if component.name == "VEVENT":
            calendar.save_event(text)
            events += 1
        elif component.name == "VTODO":
            calendar.save_todo(text)
            open_uids.add(str(component["UID"]))
            todos += 1
    completed = 0
    for stored in calendar.todos(include_completed=False):
        todo = stored.icalendar_component
        if "X-COFFEECHAT-CONTACT" in todo and str(todo["UID"]) not in open_uids:
            todo["STATUS"] = "COMPLETED"
            stored.save()
            completed += 1
    return Pushed(events, todos, completed)


def _check_calendar(calendar: Any, config: Config) -> None:
    """Fail early, saying what to fix, when the calendar is missing or refuses us."""
    from caldav.elements import dav
    from caldav.lib import error

    settings = config.calendar
    try:
        calendar.get_properties([dav.ResourceType()])
    except error.NotFoundError:
        raise BadInput(f"calendar push: there is no calendar at {settings.url}: create it in "
                       "your calendar app and set [calendar] url to its address") from None
    except error.AuthorizationError:
        who = settings.username or "(no [calendar] username)"
        raise BadInput(f"calendar push: {settings.url} refused {who}: check [calendar] "
                       f"username and the password in ${settings.password_env}") from None
