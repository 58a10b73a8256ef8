"""Turning notes into events: Markdown files whose YAML front matter names a contact.

A note is read (and its front matter decoded into :class:`FrontMatter`) by
:mod:`coffeechat.plugins.notes_read`; a parser for its ``type`` then turns it
into events through a :class:`NoteBook`. The built-in parsers are registered
with the ``register_note_parsers`` hook, like a plugin's would be. Errors name
the file, the line and the key. Every time a note gives must lie in the window
of dates the log keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

from coffeechat import validate
from coffeechat.clock import WINDOW_TEXT, in_window, parse_when, stamp, within_window
from coffeechat.errors import CoffeechatError
from coffeechat.events import (
    CheckinDone,
    CommitmentMade,
    ContactAdded,
    ContactUpdated,
    MeetingHeld,
    NoteAdded,
    Payload,
    ReferralMade,
    RequestSent,
    ThanksSent,
)
from coffeechat.hookspecs import hookimpl
from coffeechat.plugins.notes_read import (  # noqa: F401 - the names plugins know them by
    FrontMatter,
    Note,
    NoteCommitment,
    NoteError,
    NoteReferral,
)
from coffeechat.resolve import ContactDirectory


class NoteProblem(Exception):
    """Raised by a parser: becomes a :class:`NoteError` for the file."""

    def __init__(self, key: str | None, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = " ".join(message.splitlines())


# -- turning notes into events ----------------------------------------------------------

Parser = Callable[[Note, "NoteBook"], None]


class NoteBook:
    """Collects the events of one note, and finds or allocates the contacts it names."""

    def __init__(self, directory: ContactDirectory, note: Note, previous: dict[str, str], *,
                 own: str | None = None) -> None:
        self.directory = directory
        self.note = note
        self.previous = previous  # folded name → id this file (or a renamed one) created
        self.own = own  # for a contact note: the contact it is about, whatever its name
        self.events: list[tuple[str, Payload]] = []
        self.introduced: list[str] = []  # contacts this note adds to the directory
        self.occurred_at = self._when()

    def _when(self) -> str:
        value = self.note.front.date
        if value is not None:
            return stamp(moment(value, "date", self.note))
        modified = self.note.modified
        if modified is None or not in_window(modified):
            shown = f", {modified.date()}," if modified is not None else ""
            raise NoteProblem("date", f"no date is given, and the file's modification time"
                              f"{shown} is outside the dates coffeechat keeps ({WINDOW_TEXT})")
        return stamp(modified)

    def withdraw(self) -> None:
        """The note is not recorded: the people it introduced are not there for other notes."""
        for contact_id in self.introduced:
            self.directory.forget(contact_id)
        self.introduced = []

    def record(self, contact_id: str, payload: Payload) -> None:
        self.events.append((contact_id, payload))

    def contact(self) -> str:
        """The existing contact the note's ``contact`` key names."""
        try:
            return self.directory.resolve(self.note.front.contact, "contact")
        except CoffeechatError as error:
            raise NoteProblem("contact", error.message.removeprefix("contact: ")) from None

    def existing(self, name: str) -> str | None:
        """An existing contact with exactly this id or full name, if any."""
        try:
            found = self.directory.resolve(name, "contact")
        except CoffeechatError:
            return None
        exact = name.strip() == found or self.directory.names[found].casefold() == \
            name.strip().casefold()
        return found if exact else None

    def new_contact(self, payload: ContactAdded, contact_id: str | None = None) -> str:
        """Add a contact: with the id this file gave them before, if it did, else a free one."""
        contact_id = contact_id or self.previous.get(payload.name.strip().casefold()) \
            or self.directory.new_id(payload.name)
        self.directory.add(contact_id, payload.name)
        self.introduced.append(contact_id)
        self.record(contact_id, payload)
        return contact_id


def moment(value: Any, key: str, note: Note, *, end_of_day: bool = False) -> datetime:
    """A YAML date, date and time, or DATE text, as an aware UTC datetime inside the window."""
    if isinstance(value, str):
        try:
            return parse_when(value, where=key, end_of_day=end_of_day, past=not end_of_day)
        except CoffeechatError as error:
            raise NoteProblem(key, error.message.removeprefix(f"{key}: ")) from None
    if not isinstance(value, date):
        raise NoteProblem(key, f"expected a date, got {type(value).__name__}")
    try:
        if isinstance(value, datetime):
            local = value if value.tzinfo else value.astimezone()
        else:
            day_time = time(23, 59, 59) if end_of_day else time()
            local = datetime.combine(value, day_time).astimezone()
        return within_window(local.astimezone(UTC), key)
    except CoffeechatError as error:
        raise NoteProblem(key, error.message.removeprefix(f"{key}: ")) from None
    except (OverflowError, ValueError, OSError):  # so far out it cannot even be converted
        shown = value.isoformat()[:10]
        raise NoteProblem(key, f"{shown} is outside the dates coffeechat keeps "
                          f"({WINDOW_TEXT})") from None


def _checked(note: Note, key: str, value: str | None, check: Callable[..., Any]) -> Any:
    if value is None:
        return None
    try:
        return check(value, key)
    except CoffeechatError as error:
        raise NoteProblem(key, error.message.removeprefix(f"{key}: ")) from None


def _body(note: Note) -> str | None:
    return _checked(note, "body", note.body or None, validate.text) if note.body else None


def _contact_fields(note: Note) -> dict[str, Any]:
    f = note.front
    return {
        "company": _checked(note, "company", f.company, validate.optional),
        "role": _checked(note, "role", f.role, validate.optional),
        "email": _checked(note, "email", f.email, validate.email),
        "linkedin": _checked(note, "linkedin", f.linkedin, validate.optional),
        "phone": _checked(note, "phone", f.phone, validate.optional),
        "how_met": _checked(note, "how_met", f.how_met, validate.optional),
        "tags": [t.strip().lower() for t in f.tags if t.strip()],
    }


def _channel(note: Note) -> str:
    return _checked(note, "channel", note.front.channel, validate.optional) or "email"


# -- the built-in note types ---------------------------------------------------------------

def parse_contact(note: Note, book: NoteBook) -> None:
    name = _checked(note, "contact", note.front.contact, validate.name)
    fields = _contact_fields(note)
    mine = book.own or book.previous.get(name.casefold())  # the file's contact, renamed or not
    existing = None if mine else book.existing(name)
    if existing is not None:  # someone recorded elsewhere: the note adds to them
        changed = {k: v for k, v in fields.items() if v not in (None, [])}
        book.record(existing, ContactUpdated(**changed))
        target = existing
    else:
        target = book.new_contact(ContactAdded(name=name, **fields), mine)
    if note.body:
        book.record(target, NoteAdded(text=_body(note)))


def parse_ask(note: Note, book: NoteBook) -> None:
    contact = book.contact()
    book.record(contact, RequestSent(channel=_channel(note), body=_body(note)))


def parse_meeting(note: Note, book: NoteBook) -> None:
    contact = book.contact()
    takeaways = [_checked(note, "takeaways", t, validate.text) for t in note.front.takeaways]
    book.record(contact, MeetingHeld(notes=_body(note), takeaways=takeaways))
    for referral in note.front.referrals:
        name = _checked(note, "referrals", referral.name, validate.name)
        added = ContactAdded(name=name, company=referral.company, role=referral.role,
                             email=_checked(note, "referrals", referral.email, validate.email),
                             referred_by=contact, how_met=f"introduced by {contact}")
        referred = book.new_contact(added)
        book.record(contact, ReferralMade(contact=referred, name=name, company=referral.company,
                                          role=referral.role, note=referral.note))
    parse_commitments(note, book, contact)


def parse_commitments(note: Note, book: NoteBook, contact: str | None = None) -> None:
    contact = contact or book.contact()
    for promise in note.front.commitments:
        due = moment(promise.due, "commitments", note, end_of_day=True) \
            if promise.due is not None else None
        text = _checked(note, "commitments", promise.text, validate.text)
        book.record(contact, CommitmentMade(text=text, due=due))


def parse_commitment(note: Note, book: NoteBook) -> None:
    if not note.front.commitments:
        raise NoteProblem("commitments", "a commitment note needs at least one commitment")
    parse_commitments(note, book)


def parse_thanks(note: Note, book: NoteBook) -> None:
    contact = book.contact()
    book.record(contact, ThanksSent(channel=_channel(note), body=_body(note)))


def parse_checkin(note: Note, book: NoteBook) -> None:
    contact = book.contact()
    book.record(contact, CheckinDone(channel=_channel(note), note=_body(note)))


def parse_note(note: Note, book: NoteBook) -> None:
    contact = book.contact()
    if not note.body:
        raise NoteProblem("body", "a note needs some text after the front matter")
    book.record(contact, NoteAdded(text=_body(note)))


BUILTIN_PARSERS: dict[str, Parser] = {
    "contact": parse_contact, "ask": parse_ask, "meeting": parse_meeting,
    "thanks": parse_thanks, "checkin": parse_checkin, "commitment": parse_commitment,
    "note": parse_note,
}


@hookimpl
def register_note_parsers(register: Any) -> None:
    for note_type, parser in BUILTIN_PARSERS.items():
        register(note_type, parser)
