"""Note parsers that record events the store would refuse.

Each builds its payload in Python, where msgspec checks neither field types
nor constraints: only decoding the stored JSON again finds what is wrong.
"""

from coffeechat import hookimpl
from coffeechat.events import CommitmentMade, MeetingScheduled, NoteAdded


def far_future(note, book):
    # A datetime field given as text: it stores as a date in 9999.
    book.record(book.contact(), CommitmentMade(text="later", due="9999-01-01T00:00:00Z"))


def far_future_datetime(note, book):
    from datetime import UTC, datetime

    book.record(book.contact(), MeetingScheduled(at=datetime(9999, 1, 1, tzinfo=UTC)))


def huge(note, book):
    book.record(book.contact(), NoteAdded(text="x" * 300_000))


def too_long(note, book):
    book.record(book.contact(), MeetingScheduled(at="2026-11-25T10:00:00Z", minutes=100_000))


def bad_contact(note, book):
    book.record("not a contact id!", NoteAdded(text="hello"))


def not_a_payload(note, book):
    book.record(book.contact(), {"text": "a dict, not an event"})


def bad_time(note, book):
    book.occurred_at = "9999-12-31T00:00:00Z"
    book.record(book.contact(), NoteAdded(text="from the far future"))


@hookimpl
def register_note_parsers(register):
    register("far-future", far_future)
    register("far-future-datetime", far_future_datetime)
    register("huge", huge)
    register("too-long", too_long)
    register("bad-contact", bad_contact)
    register("not-a-payload", not_a_payload)
    register("bad-time", bad_time)
