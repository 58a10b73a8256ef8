"""Event payloads: one msgspec Struct per event type, and the registry of types.

The envelope (id, stream, version, times, source, ...) lives in the store; a
payload holds only what the event says. Times inside payloads are aware UTC
datetimes, encoded as RFC 3339 with ``Z``. Fields default to "absent" and are
omitted from the stored JSON when absent, so payloads stay small.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

CONTACT_PREFIX = "contact:"
CONTACT_STREAM = re.compile(r"contact:[\w-]+")  # a contact's stream: contact:<id>

# A contact id (``jane-doe``) where a payload names another contact: anything
# else would make a stream name, a file name or a link out of arbitrary text.
Minutes = Annotated[int, msgspec.Meta(ge=1, le=1440)]  # a meeting lasts at most a day
Days = Annotated[int, msgspec.Meta(ge=1, le=3650)]
Sequence = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]  # an iCalendar SEQUENCE
ContactId = Annotated[str, msgspec.Meta(pattern=r"^[\w-]+$", max_length=200)]


class Payload(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base of every event payload."""


# -- contacts -----------------------------------------------------------------

class ContactAdded(Payload):
    name: str
    company: str | None = None
    role: str | None = None
    email: str | None = None
    linkedin: str | None = None
    phone: str | None = None
    how_met: str | None = None
    referred_by: ContactId | None = None  # contact id of whoever introduced us
    tags: list[str] = []


class ContactUpdated(Payload):
    """Changed fields only; ``None`` clears a field, an absent field is unchanged."""

    name: str | UnsetType = UNSET
    company: str | UnsetType | None = UNSET
    role: str | UnsetType | None = UNSET
    email: str | UnsetType | None = UNSET
    linkedin: str | UnsetType | None = UNSET
    phone: str | UnsetType | None = UNSET
    how_met: str | UnsetType | None = UNSET
    referred_by: ContactId | UnsetType | None = UNSET
    tags: list[str] | UnsetType = UNSET


class ContactArchived(Payload):
    reason: str | None = None


class ContactMerged(Payload):
    """This contact is the same person as ``into``: its history becomes ``into``'s."""

    into: ContactId  # the contact id that stays


class CadenceSet(Payload):
    days: Days


# -- the ask ------------------------------------------------------------------

class RequestSent(Payload):
    channel: str
    subject: str | None = None
    body: str | None = None
    template: str | None = None
    nudge: bool = False  # a reminder of a request still open


class RequestAnswered(Payload):
    answer: Literal["accepted", "declined"]
    request: str | None = None  # id of the request.sent it answers


class ReplyReceived(Payload):
    """A message from the contact, found in your mailbox after an ask (``import mbox``)."""

    message_id: str  # its Message-ID header, which keys the import
    subject: str | None = None
    request: str | None = None  # id of the request.sent it answers


# -- meetings -----------------------------------------------------------------

class MeetingScheduled(Payload):
    at: datetime
    minutes: Minutes = 30
    where: str | None = None
    uid: str | None = None  # the calendar event it came from (import ics)
    sequence: Sequence | None = None  # that event's SEQUENCE


class MeetingHeld(Payload):
    notes: str | None = None
    takeaways: list[str] = []
    minutes: Minutes | None = None
    meeting: str | None = None  # id of the meeting.scheduled it fulfils


class MeetingCancelled(Payload):
    reason: str | None = None
    meeting: str | None = None
    uid: str | None = None
    sequence: Sequence | None = None


class ThanksSent(Payload):
    channel: str
    subject: str | None = None
    body: str | None = None
    template: str | None = None


class CheckinDone(Payload):
    channel: str
    note: str | None = None
    subject: str | None = None
    body: str | None = None
    template: str | None = None


# -- follow-through -----------------------------------------------------------

class ReferralMade(Payload):
    """This contact introduced me to another; ``contact`` is the new contact's id."""

    contact: ContactId
    name: str
    company: str | None = None
    role: str | None = None
    note: str | None = None


class CommitmentMade(Payload):
    text: str
    due: datetime | None = None
    meeting: str | None = None  # id of the meeting.held where it was promised


class CommitmentDone(Payload):
    commitment: str  # id of the commitment.made event


class NoteAdded(Payload):
    text: str


class EventRetracted(Payload):
    target: str  # id of the retracted event (which may itself be a retraction)
    reason: str | None = None


EVENT_TYPES: dict[str, type[Payload]] = {
    "contact.added": ContactAdded,
    "contact.updated": ContactUpdated,
    "contact.archived": ContactArchived,
    "contact.merged": ContactMerged,
    "cadence.set": CadenceSet,
    "request.sent": RequestSent,
    "request.answered": RequestAnswered,
    "reply.received": ReplyReceived,
    "meeting.scheduled": MeetingScheduled,
    "meeting.held": MeetingHeld,
    "meeting.cancelled": MeetingCancelled,
    "thanks.sent": ThanksSent,
    "checkin.done": CheckinDone,
    "referral.made": ReferralMade,
    "commitment.made": CommitmentMade,
    "commitment.done": CommitmentDone,
    "note.added": NoteAdded,
    "event.retracted": EventRetracted,
}

# The payload schema each type is written with today. Older rows are upcast
# on read (see coffeechat.codec.register_upcaster).
SCHEMAS: dict[str, int] = dict.fromkeys(EVENT_TYPES, 1)

RETRACTED = "event.retracted"


_TYPE_NAMES: dict[type[Payload], str] = {cls: name for name, cls in EVENT_TYPES.items()}


def type_name(payload: Payload) -> str:
    """The registered type name of a payload instance."""
    try:
        return _TYPE_NAMES[type(payload)]
    except KeyError:
        raise KeyError(f"{type(payload).__name__} is not a registered event type") from None


def register_event_type(name: str, payload_type: type[Payload], schema: int = 1) -> None:
    """Add an event type (used by plugins). Re-registering the same class is allowed."""
    existing = EVENT_TYPES.get(name)
    if existing is not None and existing is not payload_type:
        raise ValueError(f"event type {name!r} is already registered to {existing.__name__}")
    EVENT_TYPES[name] = payload_type
    SCHEMAS[name] = schema
    _TYPE_NAMES[payload_type] = name
