"""Reading notes: Markdown files whose YAML front matter names a contact.

A note's front matter is decoded by msgspec into :class:`FrontMatter` (unknown
keys and wrong types are errors), then a parser for its ``type`` turns it into
events through a :class:`NoteBook`. The built-in parsers are registered with
the ``register_note_parsers`` hook, like a plugin's would be. Errors name the
file, the line and the key.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any, NamedTuple

import msgspec

from coffeechat import validate
from coffeechat.clock import parse_when, stamp
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
from coffeechat.resolve import ContactDirectory


class NoteReferral(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: str
    company: str | None = None
    role: str | None = None
    email: str | None = None
    note: str | None = None


class NoteCommitment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text: str
    due: Any = None  # a date, a date and time, or any DATE form


class FrontMatter(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The keys a note's front matter may have (see NOTES-FORMAT)."""

    contact: str
    type: str = "note"
    date: Any = None  # when it happened; the file's modification time if absent
    channel: str | None = None
    company: str | None = None
    role: str | None = None
    email: str | None = None
    linkedin: str | None = None
    phone: str | None = None
    how_met: str | None = None
    takeaways: list[str] = []
    referrals: list[NoteReferral] = []
    commitments: list[NoteCommitment] = []
    tags: list[str] = []


class NoteError(NamedTuple):
    """What is wrong with a note, and where."""

    path: str
    line: int
    key: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class NoteProblem(Exception):
    """Raised by a parser: becomes a :class:`NoteError` for the file."""

    def __init__(self, key: str | None, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = " ".join(message.splitlines())


class Note(NamedTuple):
    path: str  # relative to the notes folder, with forward slashes
    front: FrontMatter
    body: str
    digest: str  # of the whole file's bytes
    modified: datetime
    front_lines: list[str]  # the front matter's lines, for error line numbers

    def line_of(self, key: str | None) -> int:
        """The file line where a top-level key (or a nested field name) appears."""
        return _line_of(self.front_lines, key)


def _line_of(front_lines: list[str], key: str | None) -> int:
    if key:
        name = re.escape(key.split(".")[0].split("[")[0])
        pattern = re.compile(rf"^\s*(-\s*)?{name}\s*:")
        for number, line in enumerate(front_lines):
            if pattern.match(line):
                return number + 2  # line 1 is the opening ---
    return 1


_CLOSING = re.compile(r"^---[ \t]*$", re.MULTILINE)


def read_note(root: str, path: str) -> Note | NoteError | None:
    """Read one file: a :class:`Note`, a :class:`NoteError`, or None when it is not a note."""
    full = os.path.join(root, path)
    try:
        raw = open(full, "rb").read()  # noqa: SIM115 - one read, closed by refcount
        modified = datetime.fromtimestamp(os.stat(full).st_mtime, UTC)
    except OSError:
        return None  # gone in the meantime
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None if b"contact" not in raw else NoteError(path, 1, None, "not UTF-8 text")
    text = text.replace("\r\n", "\n")
    if not text.startswith("---\n"):
        return None
    closing = _CLOSING.search(text, 4)
    if closing is None:
        if re.search(r"^contact\s*:", text, re.MULTILINE):
            return NoteError(path, 1, None, "the front matter has no closing ---")
        return None
    front_text = text[4:closing.start()]
    body = text[closing.end():].strip("\n")
    lines = front_text.split("\n")
    try:
        fields = msgspec.yaml.decode(front_text.encode() or b"{}")
    except msgspec.DecodeError as error:
        return NoteError(path, _yaml_line(str(error)), None, _yaml_message(str(error)))
    if not isinstance(fields, dict) or "contact" not in fields:
        return None  # not a note for coffeechat (a user's own front matter)
    try:
        front = msgspec.convert(fields, FrontMatter)
    except msgspec.ValidationError as error:
        key, message = _validation(str(error))
        return NoteError(path, _line_of(lines, key), key, message)
    digest = hashlib.sha256(raw).hexdigest()[:16]
    return Note(path, front, body, digest, modified, lines)


def _yaml_line(message: str) -> int:
    found = re.findall(r"line (\d+)", message)
    return int(found[0]) + 1 if found else 1  # the first mark: where the broken part starts


def _yaml_message(message: str) -> str:
    first = message.strip().splitlines()[0] if message.strip() else "cannot read"
    return f"invalid YAML ({first})"


def _validation(message: str) -> tuple[str | None, str]:
    text, _, location = message.partition(" - at `$.")
    unknown = re.search(r"unknown field `([^`]+)`", text)
    path = location.rstrip("`") if location else None
    if unknown:
        return (unknown.group(1) if path is None else f"{path}.{unknown.group(1)}",
                "unknown key")
    return path, text


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
        self.occurred_at = self._when()

    def _when(self) -> str:
        value = self.note.front.date
        if value is None:
            return stamp(self.note.modified)
        return stamp(moment(value, "date", self.note))

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
        self.record(contact_id, payload)
        return contact_id


def moment(value: Any, key: str, note: Note, *, end_of_day: bool = False) -> datetime:
    """A YAML date, date and time, or DATE text, as an aware UTC datetime."""
    if isinstance(value, datetime):
        local = value if value.tzinfo else value.astimezone()
        return local.astimezone(UTC)
    if isinstance(value, date):
        day_time = time(23, 59, 59) if end_of_day else time()
        return datetime.combine(value, day_time).astimezone().astimezone(UTC)
    if isinstance(value, str):
        try:
            return parse_when(value, where=key, end_of_day=end_of_day, past=not end_of_day)
        except CoffeechatError as error:
            raise NoteProblem(key, error.message.removeprefix(f"{key}: ")) from None
    raise NoteProblem(key, f"expected a date, got {type(value).__name__}")


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
