"""What a note parser works with: the note as read, and the book it records into.

A note is a Markdown file in the notes folder whose YAML front matter names a
contact (see docs/notes.md). Reading files is the notes plugin's job
(``coffeechat.plugins.notes_read``); these are the types a parser, built in or
a plugin's, is handed by the ``register_note_parsers`` hook:

- :class:`Note`: the checked :class:`FrontMatter`, the body, the path;
- :class:`NoteBook`: ``record(contact_id, payload)``, ``contact()`` for the
  note's own contact, ``new_contact(ContactAdded(...))`` for a new person;
- :class:`NoteProblem`: raise it for a bad note; it becomes a :class:`NoteError`
  naming the file, the line and the key, and nothing of the note is recorded.

Every time a note gives must lie in the window of dates the log keeps.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, NamedTuple

import msgspec

from coffeechat.clock import WINDOW_TEXT, in_window, parse_when, stamp, within_window
from coffeechat.errors import CoffeechatError
from coffeechat.events import ContactAdded, Payload
from coffeechat.limits import LIST_ITEMS
from coffeechat.resolve import ContactDirectory

Capped = msgspec.Meta(max_length=LIST_ITEMS)


class NoteReferral(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One entry of a meeting note's ``referrals`` list: someone they introduced you to."""

    name: str
    company: str | None = None
    role: str | None = None
    email: str | None = None
    note: str | None = None


class NoteCommitment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One entry of a note's ``commitments`` list: something you promised."""

    text: str
    due: Any = None  # a date, a date and time, or any DATE form


class FrontMatter(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The keys a note's front matter may have (see docs/notes.md)."""

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
    birthday: Any = None  # MM-DD or YYYY-MM-DD (YAML reads the latter as a date)
    takeaways: Annotated[list[str], Capped] = []
    referrals: Annotated[list[NoteReferral], Capped] = []
    commitments: Annotated[list[NoteCommitment], Capped] = []
    tags: Annotated[list[str], Capped] = []


class NoteError(NamedTuple):
    """What is wrong with a note, and where."""

    path: str
    line: int
    key: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class Note(NamedTuple):
    """One note, read and checked: what a parser gets."""

    path: str  # relative to the notes folder, with forward slashes
    front: FrontMatter
    body: str  # the text after the front matter
    digest: str  # of the whole file's bytes
    modified: datetime | None  # the file's modification time (None: not a usable time)
    front_lines: list[str]  # the front matter's lines, for error line numbers

    def line_of(self, key: str | None) -> int:
        """The file line where a top-level key (or a nested field name) appears."""
        return line_of(self.front_lines, key)


def line_of(front_lines: list[str], key: str | None) -> int:
    """The file line of ``key`` in front matter of these lines (1: the opening ``---``)."""
    if key:
        name = re.escape(key.split(".")[0].split("[")[0])
        pattern = re.compile(rf"^\s*(-\s*)?{name}\s*:")
        for number, line in enumerate(front_lines):
            if pattern.match(line):
                return number + 2  # line 1 is the opening ---
    return 1


class NoteProblem(Exception):
    """Raised by a parser: becomes a :class:`NoteError` for the file.

    ``key`` is the front matter key at fault (its line is reported), or None.
    """

    def __init__(self, key: str | None, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = " ".join(message.splitlines())


class NoteBook:
    """Collects the events of one note, and finds or allocates the contacts it names."""

    def __init__(self, directory: ContactDirectory, note: Note, previous: dict[str, str], *,
                 own: str | None = None, recorded_at: str | None = None) -> None:
        self.directory = directory
        self.note = note
        self.previous = previous  # folded name → id this file (or a renamed one) created
        self.own = own  # for a contact note: the contact it is about, whatever its name
        self.recorded_at = recorded_at  # the time its events carry now, if it was recorded
        self.events: list[tuple[str, Payload]] = []
        self.introduced: list[str] = []  # contacts this note adds to the directory
        self.occurred_at = self._when()

    def _when(self) -> str:
        """The time the note's events happened: its ``date``; without one, the time its
        events carry already (``recorded_at``: saving it again, or renaming it, does not
        move what it says), and for a note read for the first time, its file's
        modification time."""
        value = self.note.front.date
        if value is not None:
            return stamp(moment(value, "date", self.note))
        if self.recorded_at is not None:
            return self.recorded_at
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
        """Record ``payload`` on the contact ``contact_id`` (when the note is committed)."""
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


Parser = Callable[[Note, NoteBook], None]


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
