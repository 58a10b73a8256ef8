"""Calling a note parser safely, and checking the events it records.

Parsers run inside the write lock, and a plugin's parser may raise anything,
hang, or record events the store would refuse. :func:`run_parser` holds each
call to the hook time limit (``COFFEECHAT_HOOK_SECONDS``) and turns an
exception or a timeout into a :class:`NoteProblem`; :func:`checked_events`
applies the store's own checks to what was recorded. Either way only that
note is bad: nothing of it is recorded, and the rest of the sync goes on.
"""

from __future__ import annotations

import msgspec

from coffeechat.codec import encode_payloads
from coffeechat.errors import describe_error
from coffeechat.events import CONTACT_STREAM, SCHEMAS, type_name
from coffeechat.fold import CONTACT_PREFIX
from coffeechat.limits import PAYLOAD_BYTES, TimeLimitExceeded, time_limit
from coffeechat.plugin_calls import PLUGIN_ERRORS, hook_seconds
from coffeechat.plugins.notes import NoteBook, NoteProblem, Parser
from coffeechat.plugins.notes_read import Note
from coffeechat.store import NewEvent
from coffeechat.usable import event_problem


def run_parser(parser: Parser, note_type: str, note: Note, book: NoteBook) -> None:
    """Call a parser (a plugin's, perhaps) inside the hook time limit: an exception or a
    timeout is a problem of its note, not the end of the sync (or of ``watch``)."""
    what = f"note parser {note_type!r}"
    try:
        with time_limit(hook_seconds(), what):
            parser(note, book)
    except NoteProblem:
        raise
    except TimeLimitExceeded as error:
        if error.what != what:
            raise  # an outer limit's: not this parser's to answer for
        raise NoteProblem("type", f"the note parser for {note_type!r} failed: it took longer "
                          f"than {error.seconds:g} s and was stopped") from None
    except PLUGIN_ERRORS as error:  # (a plugin's sys.exit() must not end watch)
        raise NoteProblem("type", f"the note parser for {note_type!r} failed: "
                          f"{describe_error(error)}") from None


def checked_events(note: Note, book: NoteBook, key_prefix: str) -> list[NewEvent]:
    """The note's events; one the store would refuse is refused here, as the note's problem.

    Payloads built in Python are not checked against their types, so, like the
    store, each is decoded again from the JSON to be stored. ``key_prefix`` and
    the event's place in the note make its idempotency key.
    """
    events = []
    for n, (contact_id, payload) in enumerate(book.events):
        try:
            event_type = type_name(payload)
            [data] = encode_payloads([payload])
        except (KeyError, TypeError, msgspec.EncodeError) as error:
            what = "not an event" if isinstance(error, KeyError) else describe_error(error)
            raise NoteProblem("type", f"the note parser for {note.front.type!r} failed: it "
                              f"recorded a {type(payload).__name__}: {what}") from None
        stream = f"{CONTACT_PREFIX}{contact_id}"
        if not isinstance(contact_id, str) or CONTACT_STREAM.fullmatch(stream) is None:
            raise NoteProblem(None, f"it would record an event for {str(contact_id)[:80]!r}, "
                              "which is not a contact id")
        size = len(data.encode())
        if size > PAYLOAD_BYTES:
            raise NoteProblem(None, f"it would record a {event_type} of {size:,} bytes, over "
                              f"the limit of {PAYLOAD_BYTES:,} bytes per event")
        problem = event_problem(event_type, SCHEMAS.get(event_type, 1), book.occurred_at, data)
        if problem:
            raise NoteProblem(None, f"{event_type}: {problem}")
        events.append(NewEvent(stream=stream, payload=payload, occurred_at=book.occurred_at,
                               key=f"{key_prefix}{n}"))
    return events
