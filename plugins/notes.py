"""Turning notes into events: Markdown files whose YAML front matter names a contact.

A note is read (and its front matter decoded into
:class:`~coffeechat.notebook.FrontMatter`) by :mod:`coffeechat.plugins.notes_read`;
a parser for its ``type`` then turns it into events through a
:class:`~coffeechat.notebook.NoteBook`. The built-in parsers are registered
with the ``register_note_parsers`` hook, like a plugin's would be. Errors name
the file, the line and the key. Every time a note gives must lie in the window
of dates the log keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, overload

from coffeechat import validate, yearly_dates
from coffeechat.errors import CoffeechatError
from coffeechat.events import (
    CheckinDone,
    CommitmentMade,
    ContactAdded,
    ContactUpdated,
    MeetingHeld,
    NoteAdded,
    ReferralMade,
    RequestSent,
    ThanksSent,
)
from coffeechat.hookspecs import hookimpl

# The note types live in core (``coffeechat.Note`` ...); importing them from here
# still works for one more release.
from coffeechat.notebook import (  # noqa: F401 - the names plugins knew them by
    FrontMatter,
    Note,
    NoteBook,
    NoteCommitment,
    NoteError,
    NoteProblem,
    NoteReferral,
    Parser,
    moment,
)
from coffeechat.resolve import link_target

# -- turning notes into events ----------------------------------------------------------

T = TypeVar("T")


@overload
def _checked(note: Note, key: str, value: str, check: Callable[[str, str], T]) -> T: ...
@overload
def _checked(note: Note, key: str, value: str | None, check: Callable[[str, str], T]
             ) -> T | None: ...
def _checked(note: Note, key: str, value: str | None, check: Callable[[str, str], T]
             ) -> T | None:
    if value is None:
        return None
    try:
        return check(value, key)
    except CoffeechatError as error:
        raise NoteProblem(key, error.message.removeprefix(f"{key}: ")) from None


def _body(note: Note) -> str | None:
    return _text(note) if note.body else None


def _text(note: Note) -> str:
    """The body, checked (it must not be empty)."""
    return _checked(note, "body", note.body, validate.text)


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
        "birthday": _checked(note, "birthday", None if f.birthday is None else str(f.birthday),
                             yearly_dates.checked),
    }


def _channel(note: Note) -> str:
    return _checked(note, "channel", note.front.channel, validate.optional) or "email"


# -- the built-in note types ---------------------------------------------------------------

def parse_contact(note: Note, book: NoteBook) -> None:
    front = note.front.contact
    # `contact: "[[Jane Doe]]"` names Jane Doe, as an Obsidian link does everywhere else.
    name = _checked(note, "contact", link_target(front) if isinstance(front, str) else front,
                    validate.name)
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
        book.record(target, NoteAdded(text=_text(note)))


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
    book.record(contact, NoteAdded(text=_text(note)))


BUILTIN_PARSERS: dict[str, Parser] = {
    "contact": parse_contact, "ask": parse_ask, "meeting": parse_meeting,
    "thanks": parse_thanks, "checkin": parse_checkin, "commitment": parse_commitment,
    "note": parse_note,
}


@hookimpl
def register_note_parsers(register: Any) -> None:
    for note_type, parser in BUILTIN_PARSERS.items():
        register(note_type, parser)
