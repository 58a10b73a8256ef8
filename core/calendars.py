"""Calendars: meetings and follow-ups out as iCalendar, and CalDAV push.

Export: each meeting is a VEVENT (with a VALARM reminder until it is held),
each open follow-up a VTODO with its DUE. A meeting recorded with ``met`` and
never scheduled is a meeting too, and a held meeting lasts what ``met
--minutes`` says. UIDs never change, so a calendar app updates an event
instead of adding another: a meeting keeps the UID of its first scheduling
(or of the invitation it came from) through every reschedule, which raises its
SEQUENCE; a meeting only held is named by its ``meeting.held`` event.

Each birthday and important date is a yearly all-day VEVENT (``RRULE:FREQ=
YEARLY``, ``DTSTART;VALUE=DATE``) with a VALARM at 9:00 ``birthday_days``
before the day, under a UID made of the contact and the label, marked
``X-COFFEECHAT-DATE`` so that ``import ics`` of our own export leaves it out.
It starts on the date itself when the year is known; a year-less date starts
in 2000 (a leap year, so February 29 exists). February 29 recurs on the last
day of February (``BYMONTH=2;BYMONTHDAY=-1``): the 28th in other years.

Invitations come in through :mod:`coffeechat.invitations` (``import ics``).
The CLI calls this module directly for ``export ics`` and ``calendar push``:
they are commands of their own, not something a plugin extends. icalendar
and caldav are imported only when a calendar is made or pushed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from coffeechat.clock import from_stamp, now, stamp
from coffeechat.codec import decode_payload
from coffeechat.config import Config
from coffeechat.errors import BadInput, describe_error, without_secrets
from coffeechat.fold import CONTACT_PREFIX, ContactState, Row, held_as_scheduled, meeting_over
from coffeechat.limits import TimeLimitExceeded, time_limit
from coffeechat.store import Store

DOMAIN = "coffeechat"
DATE_MARK = "X-COFFEECHAT-DATE"  # the label of a yearly date's VEVENT (birthday, ...)
YEARLESS_START = 2000  # the year a date without one starts in (a leap year)


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
    held: bool = False  # it happened (`met`): no reminder any more
    invited: int = -1  # the SEQUENCE of the last invitation imported for it (-1: none)
    called_off: bool = False  # cancelled by an imported invitation, not by hand
    occurrence: str = ""  # which occurrence of its series it is (where it was first put)
    changed: int = -1  # the SEQUENCE of the last change sent for that occurrence alone
    invitation: str = ""  # the UID of the invitation it came from ("" if none; see uid)
    all_day: bool = False  # a day, not a time: exported as one (DTSTART;VALUE=DATE)


MEETING_TYPES = ("meeting.scheduled", "meeting.cancelled", "meeting.held")
DEFAULT_MINUTES = 30  # a meeting recorded with `met` alone, without --minutes


def meetings_of(contact_id: str, name: str, email: str | None, rows: list[Row]) -> list[Meeting]:
    """The meetings in a contact's live events, each under its stable UID.

    A meeting that was held (``met``) lasts what ``met --minutes`` says, if it
    says; one that was never scheduled, or held days before the meeting scheduled
    (:func:`~coffeechat.fold.held_as_scheduled`), is a meeting of its own, at the
    time it was held, under the UID of its ``meeting.held`` event. When a series
    moves on past an occurrence that was held, the next one is a meeting of its
    own too (:func:`_next_uid`), so the one held stays.
    """
    found: dict[str, Meeting] = {}
    current: str | None = None  # the UID of the meeting now scheduled
    current_stream = ""  # the stream it was scheduled on
    held_at: set[str] = set()  # (a meeting recorded again at its time is the same meeting)
    latest: dict[str, str] = {}  # an invitation's UID → the UID of its latest meeting
    for row in rows:
        if row.type not in MEETING_TYPES:
            continue
        p: Any = decode_payload(row.type, row.schema, row.data)
        if row.type == "meeting.scheduled":
            if current is not None and not p.uid and row.stream != current_stream:
                # (a merged contact's own meeting: not a new time for this one, which
                # gives way, as one scheduled meeting is kept; the calendar is told)
                old = found[current]
                found[current] = old._replace(cancelled=True, sequence=old.sequence + 1)
                current = None
            if current is not None and not p.uid and meeting_over(
                    found[current].at, found[current].minutes, row.occurred_at):
                current = None  # (its time passed, nothing recorded: a new meeting, not it
                # moved; it stays in the calendar as it was, as the fold lets it go)
            uid = (latest.get(p.uid, p.uid) if p.uid else None) or current or row.id
            if p.uid and uid in found and found[uid].held:
                uid = _next_uid(p.uid, stamp(p.at), found, row.id)
            if p.uid:
                latest[p.uid] = uid
            found[uid] = _scheduled(found.get(uid), uid, p, contact_id, name, email)
            current, current_stream = uid, row.stream
        elif row.type == "meeting.held":
            if row.occurred_at in held_at:
                continue
            held_at.add(row.occurred_at)
            scheduled = found[current] if current is not None else None
            if scheduled is not None and not held_as_scheduled(row.occurred_at, scheduled.at):
                scheduled = None  # (another meeting, days before the one scheduled)
            found.update(_held(scheduled, row, p, contact_id, name, email))
            if scheduled is not None:
                current = None
        elif current is not None:
            old = found[current]
            sequence = p.sequence if p.sequence is not None else old.sequence + 1
            found[current] = old._replace(cancelled=True, sequence=sequence,
                                          called_off=p.sequence is not None)
            current = None
    if current is not None:
        found[current] = found[current]._replace(current=True)
    return list(found.values())


def _next_uid(invitation: str, at: str, found: dict[str, Meeting], event_id: str) -> str:
    """The UID of a series' occurrence recorded after one that was held: the series' own
    with the occurrence after it (``UID#20261215T150000Z``; the event's id if taken)."""
    uid = f"{invitation}#{at.replace('-', '').replace(':', '')}"
    return uid if uid not in found else event_id


def _scheduled(before: Meeting | None, uid: str, p: Any, contact_id: str, name: str,
               email: str | None) -> Meeting:
    """The meeting a ``meeting.scheduled`` row makes: from an invitation (its SEQUENCE),
    from a change sent for one occurrence of a series, or by hand (its SEQUENCE raised)."""
    meeting = _scheduled_meeting(before, uid, p, contact_id, name, email)
    return meeting._replace(all_day=p.all_day)


def _scheduled_meeting(before: Meeting | None, uid: str, p: Any, contact_id: str, name: str,
                       email: str | None) -> Meeting:
    local = before.sequence + 1 if before else 0
    at = stamp(p.at)
    invitation = p.uid or (before.invitation if before else "")
    if p.occurrence is not None:  # one occurrence moved: the series' bookkeeping stays
        return Meeting(uid, local, contact_id, name, email, at, p.minutes, p.where, False,
                       invited=before.invited if before else -1,
                       occurrence=stamp(p.occurrence),
                       changed=p.sequence if p.sequence is not None else -1,
                       invitation=invitation)
    if p.sequence is not None:  # an invitation: a new occurrence, nothing changed yet
        return Meeting(uid, p.sequence, contact_id, name, email, at, p.minutes, p.where,
                       False, invited=p.sequence, occurrence=at, invitation=invitation)
    return Meeting(uid, local, contact_id, name, email, at, p.minutes, p.where, False,
                   invited=before.invited if before else -1,
                   occurrence=before.occurrence if before else at,
                   changed=before.changed if before else -1, invitation=invitation)


def _held(scheduled: Meeting | None, row: Row, held: Any, contact_id: str, name: str,
          email: str | None) -> dict[str, Meeting]:
    """The meeting a ``meeting.held`` row makes: the scheduled one, held (its length
    changed, and so its SEQUENCE raised, when ``met --minutes`` says otherwise), or a
    new one at the time it was held."""
    minutes = held.minutes
    if scheduled is not None:
        if minutes and minutes != scheduled.minutes:
            scheduled = scheduled._replace(minutes=minutes, sequence=scheduled.sequence + 1)
        return {scheduled.uid: scheduled._replace(held=True)}
    return {row.id: Meeting(row.id, 0, contact_id, name, email, row.occurred_at,
                            minutes or DEFAULT_MINUTES, None, False, held=True)}


FoldContact = Callable[[str], ContactState]  # a contact's stream → its state, merges included


def all_meetings(store: Store, fold_contact: FoldContact) -> list[Meeting]:
    """Every meeting ever scheduled or held with a contact that is still here (under who
    it became)."""
    from coffeechat.projections.merges import roots

    db = store.conn
    root_of = roots(dict(db.execute("SELECT alias, into_id FROM merges")))
    contacts = {r[0]: (r[1], r[2]) for r in db.execute("SELECT id, name, email FROM contacts")}
    family_roots = set()
    for (stream,) in db.execute(
            "SELECT DISTINCT stream FROM events WHERE type IN ('meeting.scheduled', "
            "'meeting.held')"):
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
            "WHERE f.expires_at IS NULL OR f.expires_at > ? "
            "ORDER BY f.due_at, f.contact, f.kind, f.handle",
            (stamp(stamp_now),)):
        cal.add_component(_vtodo(*item, stamp_now=stamp_now))
    for yearly in yearly_dates_of(store):
        cal.add_component(_yearly_vevent(*yearly, config=config, stamp_now=stamp_now))
    return cal


def yearly_dates_of(store: Store) -> list[tuple[str, str, str, str]]:
    """(contact, name, label, date) of every usable birthday and important date of a
    contact not archived."""
    import msgspec

    from coffeechat.yearly_dates import BIRTHDAY, parse

    found = []
    for contact, name, birthday, dates in store.conn.execute(
            "SELECT id, name, birthday, dates FROM contacts "
            "WHERE (birthday IS NOT NULL OR dates IS NOT NULL) AND stage <> 'archived' "
            "ORDER BY id"):
        labelled = [(BIRTHDAY, birthday)] if birthday else []
        try:
            more = msgspec.json.decode(dates) if dates else {}
        except msgspec.DecodeError:
            more = {}
        labelled += sorted(more.items()) if isinstance(more, dict) else []
        found += [(contact, name, label, value) for label, value in labelled
                  if parse(value) is not None]
    return found


def _yearly_vevent(contact: str, name: str, label: str, value: str, *, config: Config,
                   stamp_now: datetime) -> Any:
    import hashlib
    from datetime import date

    import icalendar

    from coffeechat.yearly_dates import BIRTHDAY, parse

    year, month, day = parse(value) or (None, 1, 1)
    start = date(year or YEARLESS_START, month, day)
    event = icalendar.Event()
    which = "birthday" if label == BIRTHDAY else \
        "date-" + hashlib.sha256(label.encode(errors="surrogatepass")).hexdigest()[:12]
    event.add("uid", f"{which}-{contact}@{DOMAIN}")
    event.add("dtstamp", stamp_now)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(days=1))
    rule: dict[str, Any] = {"freq": "yearly"}
    if (month, day) == (2, 29):
        rule.update(bymonth=2, bymonthday=-1)  # the 28th when the year has no 29th
    event.add("rrule", rule)
    event.add("summary", f"{name}'s birthday" if label == BIRTHDAY else f"{name}: {label}")
    event.add("transp", "TRANSPARENT")
    event.add("x-coffeechat-contact", contact)
    event.add(DATE_MARK.lower(), label)
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", event["summary"])
    alarm.add("trigger", -timedelta(days=config.followups.birthday_days) + timedelta(hours=9))
    event.add_component(alarm)
    return event


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
    # An invitation's meeting keeps the invitation's UID as it came (Outlook's have no
    # "@"), so the calendar that holds the invitation sees the same event
    own = "@" in meeting.uid or meeting.uid == meeting.invitation
    event.add("uid", meeting.uid if own else f"{meeting.uid}@{DOMAIN}")
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", stamp_now)
    if meeting.all_day:  # (its day, as the invitation gave it: no time, no zone)
        event.add("dtstart", start.date())
        event.add("dtend", start.date() + timedelta(days=max(meeting.minutes // 1440, 1)))
    else:
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=meeting.minutes))
    event.add("summary", f"Coffee chat with {meeting.name}")
    event.add("status", "CANCELLED" if meeting.cancelled else "CONFIRMED")
    event.add("x-coffeechat-contact", meeting.contact)
    if meeting.where:
        event.add("location", meeting.where)
    if config.me.email and not meeting.invitation:  # (an invitation's: its organiser's,
        # whom coffeechat does not keep; you are not named so)
        organizer = icalendar.vCalAddress(f"mailto:{config.me.email}")
        if config.me.name:
            organizer.params["cn"] = config.me.name
        event.add("organizer", organizer)
    if meeting.email:
        attendee = icalendar.vCalAddress(f"mailto:{meeting.email}")
        attendee.params["cn"] = meeting.name
        event.add("attendee", attendee)
    if not (meeting.cancelled or meeting.held):
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", f"Coffee chat with {meeting.name}")
        alarm.add("trigger", timedelta(minutes=-config.calendar.reminder_minutes))
        event.add_component(alarm)
    return event


def _vtodo(contact: str, name: str, kind: str, due_at: str, reason: str, event_id: str,
           anchor: str | None, *, stamp_now: datetime) -> Any:
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


# -- CalDAV ------------------------------------------------------------------------------

class Pushed(NamedTuple):
    events: int  # meetings
    todos: int
    completed: int  # to-dos on the calendar whose follow-up is no longer open
    dates: int = 0  # birthdays and important dates (yearly events)


def push(store: Store, config: Config, fold_contact: FoldContact, password: str | None
         ) -> Pushed:
    """Put every meeting and open follow-up on the CalDAV calendar.

    Each object is named by its UID, so pushing again overwrites rather than
    copies. A to-do pushed earlier whose follow-up has since closed (done,
    answered, undone) is marked COMPLETED rather than left to nag. Any failure
    is a BadInput whose message shows neither credentials nor what the server
    said beyond its status (:func:`push_failure`).
    """
    settings = config.calendar
    if not settings.url:
        raise BadInput("calendar push: set [calendar] url in config.toml")
    try:
        return _push(store, config, fold_contact, password)
    except BadInput:
        raise
    except TimeLimitExceeded as stopped:
        if stopped.what != _REQUEST:
            raise
        raise BadInput(f"calendar push: {shown_url(settings.url)}: timed out: no whole answer "
                       f"within {settings.timeout:g} s ([calendar] timeout)") from None
    except Exception as error:  # the caldav library's and the network's own errors
        raise push_failure(error, settings.url, password, settings.username) from None


def _push(store: Store, config: Config, fold_contact: FoldContact, password: str | None
          ) -> Pushed:
    from caldav.davclient import DAVClient  # (the package's own name is a lazy, untyped alias)

    settings = config.calendar
    client = DAVClient(url=settings.url, username=settings.username, password=password,
                       timeout=settings.timeout)  # type: ignore[arg-type]  # (seconds, float)
    # [calendar] timeout bounds each read and each whole request: a server that
    # answers a byte at a time is given up on too
    request = functools.partial(time_limit, settings.timeout, _REQUEST)
    calendar = client.calendar(url=settings.url)
    with request():
        _check_calendar(calendar, config)
    events = todos = dates = 0
    open_uids = set()
    for component in export_calendar(store, config, fold_contact).subcomponents:
        wrapper = _calendar()  # one object per resource, as CalDAV stores them
        wrapper.add_component(component)
        text = wrapper.to_ical().decode()
        if component.name == "VEVENT":
            with request():
                calendar.save_event(text)
            if DATE_MARK in component:
                dates += 1
            else:
                events += 1
        elif component.name == "VTODO":
            with request():
                calendar.save_todo(text)
            open_uids.add(str(component["UID"]))
            todos += 1
    completed = 0
    with request():
        stored_todos = calendar.todos(include_completed=False)
    for stored in stored_todos:
        todo = stored.icalendar_component
        if "X-COFFEECHAT-CONTACT" in todo and str(todo["UID"]) not in open_uids:
            todo["STATUS"] = "COMPLETED"
            with request():
                stored.save()
            completed += 1
    return Pushed(events, todos, completed, dates)


_REQUEST = "a request to the calendar server"


def _check_calendar(calendar: Any, config: Config) -> None:
    """Fail early, saying what to fix, when the calendar is missing or refuses us."""
    from caldav.elements import dav
    from caldav.lib import error

    settings = config.calendar
    url = shown_url(settings.url)
    try:
        calendar.get_properties([dav.ResourceType()])
    except error.NotFoundError:
        raise BadInput(f"calendar push: there is no calendar at {url}: create it in "
                       "your calendar app and set [calendar] url to its address") from None
    except error.AuthorizationError:
        who = settings.username or "(no [calendar] username)"
        raise BadInput(f"calendar push: {url} refused {who}: check [calendar] "
                       f"username and the password in ${settings.password_env}") from None


_USERINFO = re.compile(r"(?<=://)[^/?#\s]*@")


def shown_url(url: str | None) -> str:
    """A URL as it may be shown: without the user name and password some put in it."""
    return _USERINFO.sub("", url or "")


def push_failure(error: BaseException, url: str, password: str | None,
                 username: str | None = None) -> BadInput:
    """The one line saying why a push failed: never a credential, never a server's body.

    A server's error page can echo the request, headers included; only its
    status code and the standard reason are shown.
    """
    from http import HTTPStatus

    from caldav.lib.error import DAVError

    if isinstance(error, DAVError):
        status = error.status
        if status is None:  # (the library keeps the status line in front of the body)
            found = re.match(r"\s*(\d{3})\b", str(error.url or ""))
            status = int(found.group(1)) if found else None
        try:
            said = f"{status} {HTTPStatus(status).phrase}" if status else "an error"
        except ValueError:
            said = f"{status}"
        what = f"the server answered {said} ({type(error).__name__})"
    else:
        # (hidden before the cut: a secret cut in two would no longer be found)
        what = _USERINFO.sub("", describe_error(error))
        what = without_secrets(what, _url_password(url), _url_user(url))
        what = without_secrets(what, [password], username)[:300]
    return BadInput(f"calendar push: {shown_url(url)}: {what}")


def _url_user(url: str) -> str | None:
    """The user name written into the URL, if any."""
    from urllib.parse import urlsplit

    try:
        return urlsplit(url).username
    except ValueError:
        return None


def _url_password(url: str) -> set[str]:
    """A password written into the URL, as written and decoded."""
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        return set()
    return {password, unquote(password)} if password else set()
