"""Event payloads: one msgspec Struct per event type, and the registry of types.

One class says everything about an event type: its fields, and in class
variables its ``type_name``, its payload ``schema``, whether it is a ``touch``
(it restarts the check-in clock) and whether it is ``searchable``; its
:meth:`~Payload.describe` is the one line that ``log``, ``show`` and the
Markdown views show. How a built-in type changes a contact's state is the fold's
business (:mod:`coffeechat.fold`, one marked function per type). A plugin's type
is a class like these, registered with :func:`register_event_type`.

The envelope (id, stream, version, times, source, ...) lives in the store; a
payload holds only what the event says. Times inside payloads are aware UTC
datetimes, encoded as RFC 3339 with ``Z``. Fields default to "absent" and are
omitted from the stored JSON when absent, so payloads stay small.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, ClassVar, Literal

import msgspec
from msgspec import UNSET, UnsetType

from coffeechat.clock import local_time, stamp

CONTACT_PREFIX = "contact:"
CONTACT_STREAM = re.compile(r"contact:[\w-]+")  # a contact's stream: contact:<id>

# A contact id (``jane-doe``) where a payload names another contact: anything
# else would make a stream name, a file name or a link out of arbitrary text.
Minutes = Annotated[int, msgspec.Meta(ge=1, le=1440)]  # a meeting lasts at most a day
Days = Annotated[int, msgspec.Meta(ge=1, le=3650)]
Sequence = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]  # an iCalendar SEQUENCE
ContactId = Annotated[str, msgspec.Meta(pattern=r"^[\w-]+$", max_length=200)]
# A follow-up's kind (``thank-you``, a plugin's own) and the id of the event that caused it.
FollowupKind = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
CauseId = Annotated[str, msgspec.Meta(max_length=500)]


class Payload(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Base of every event payload.

    A subclass's fields are the event's data; its class variables say what kind
    of event it is. The names below are the type's, so no field may take them.
    """

    type_name: ClassVar[str] = ""  # "meeting.held": set on the class, or by registering it
    schema: ClassVar[int] = 1  # the payload layout written today (older rows are upcast)
    touch: ClassVar[bool] = False  # restarts the check-in clock ("last touch")
    searchable: ClassVar[bool] = True  # its text goes into `search`

    def describe(self) -> str:
        """One line for people (``log``, ``show``, Markdown views): the fields that are set.

        A type of your own may say it better by overriding this.
        """
        parts = []
        for field in self.__struct_fields__:
            value = getattr(self, field)
            if value is UNSET or value is None or value is False or value in ("", [], {}):
                continue
            label = field.replace("_", " ")
            if value is True:
                parts.append(label)
            elif isinstance(value, datetime):
                parts.append(f"{label}: {_local(value)}")
            elif isinstance(value, list | tuple | set | frozenset):
                parts.append(f"{label}: {', '.join(str(v) for v in value)}")
            else:
                parts.append(f"{label}: {value}")
        return " · ".join(parts)


def _local(moment: datetime) -> str:
    return local_time(stamp(moment))


def _set(*values: object) -> str:
    """The values that are set, joined by commas."""
    return ", ".join(str(v) for v in values if v)


def _called(names: Mapping[str, str] | None, key: str) -> str:
    """What to call a contact id or an event id in text: what ``names`` says, else the id.

    A built-in ``describe`` takes ``names`` (see coffeechat.summary.Names): contact
    ids map to names, event ids to their own one-line description.
    """
    return names.get(key, key) if names is not None else key


# -- contacts -----------------------------------------------------------------

class ContactAdded(Payload):
    type_name = "contact.added"
    searchable = True

    name: str
    company: str | None = None
    role: str | None = None
    email: str | None = None
    linkedin: str | None = None
    phone: str | None = None
    how_met: str | None = None
    referred_by: ContactId | None = None  # contact id of whoever introduced us
    tags: list[str] = []

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        by = f" (referred by {_called(names, self.referred_by)})" if self.referred_by else ""
        return _set(self.name, self.company, self.role) + by


class ContactUpdated(Payload):
    """Changed fields only; ``None`` clears a field, an absent field is unchanged."""

    type_name = "contact.updated"
    searchable = True

    name: str | UnsetType = UNSET
    company: str | UnsetType | None = UNSET
    role: str | UnsetType | None = UNSET
    email: str | UnsetType | None = UNSET
    linkedin: str | UnsetType | None = UNSET
    phone: str | UnsetType | None = UNSET
    how_met: str | UnsetType | None = UNSET
    referred_by: ContactId | UnsetType | None = UNSET
    tags: list[str] | UnsetType = UNSET

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        labels = {"how_met": "how we met", "referred_by": "referrer", "linkedin": "LinkedIn"}
        parts = []
        for field in self.__struct_fields__:
            value = getattr(self, field)
            label = labels.get(field, field)
            if value is UNSET:
                continue
            if value is None or value == []:
                parts.append(f"cleared the {label}")
            elif field == "tags":
                parts.append(f"tags are now {', '.join(str(v) for v in value)}")
            elif field == "referred_by":
                parts.append(f"referrer is now {_called(names, str(value))}")
            else:
                parts.append(f"{label} is now {value}")
        return "; ".join(parts) or "changed nothing"


class ContactArchived(Payload):
    type_name = "contact.archived"
    searchable = False

    reason: str | None = None

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        return "archived" + (f": {self.reason}" if self.reason else "")


class ContactMerged(Payload):
    """This contact is the same person as ``into``: its history becomes ``into``'s."""

    type_name = "contact.merged"
    searchable = False

    into: ContactId  # the contact id that stays

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        return f"merged into {_called(names, self.into)}"


class CadenceSet(Payload):
    type_name = "cadence.set"
    searchable = False

    days: Days

    def describe(self) -> str:
        return f"check in every {self.days} days"


# -- the ask ------------------------------------------------------------------

class RequestSent(Payload):
    type_name = "request.sent"
    touch = True
    searchable = False

    channel: str
    subject: str | None = None
    body: str | None = None
    template: str | None = None
    nudge: bool = False  # a reminder of a request still open

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        what = "nudged" if self.nudge else "asked for a conversation"
        return f"{what} via {self.channel}" + (f": {self.subject}" if self.subject else "")


class RequestAnswered(Payload):
    type_name = "request.answered"
    touch = True
    searchable = False

    answer: Literal["accepted", "declined"]
    request: str | None = None  # id of the request.sent it answers

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        return f"{self.answer} the request"


class ReplyReceived(Payload):
    """A message from the contact, found in your mailbox after an ask (``import mbox``)."""

    type_name = "reply.received"
    touch = True
    searchable = True

    message_id: str  # its Message-ID header, which keys the import
    subject: str | None = None
    request: str | None = None  # id of the request.sent it answers

    def describe(self) -> str:
        return "replied" + (f": {self.subject}" if self.subject else "")


# -- meetings -----------------------------------------------------------------

class MeetingScheduled(Payload):
    type_name = "meeting.scheduled"
    touch = True
    searchable = True

    at: datetime
    minutes: Minutes = 30
    where: str | None = None
    uid: str | None = None  # the calendar event it came from (import ics)
    sequence: Sequence | None = None  # that event's SEQUENCE

    def describe(self) -> str:
        where = f", {self.where}" if self.where else ""
        return f"meeting at {_local(self.at)}, {self.minutes} min{where}"


class MeetingHeld(Payload):
    type_name = "meeting.held"
    touch = True
    searchable = True

    notes: str | None = None
    takeaways: list[str] = []
    minutes: Minutes | None = None
    meeting: str | None = None  # id of the meeting.scheduled it fulfils

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        parts = [self.notes or "", *(f"takeaway: {t}" for t in self.takeaways)]
        said = " · ".join(p for p in parts if p)
        length = f" for {self.minutes} min" if self.minutes else ""
        return f"met{length}: {said}" if said else f"met{length}"


class MeetingCancelled(Payload):
    type_name = "meeting.cancelled"
    searchable = False

    reason: str | None = None
    meeting: str | None = None
    uid: str | None = None
    sequence: Sequence | None = None

    def describe(self) -> str:
        return "cancelled" + (f": {self.reason}" if self.reason else "")


class ThanksSent(Payload):
    type_name = "thanks.sent"
    touch = True
    searchable = False

    channel: str
    subject: str | None = None
    body: str | None = None
    template: str | None = None

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        return f"thanked via {self.channel}"


class CheckinDone(Payload):
    type_name = "checkin.done"
    touch = True
    searchable = True

    channel: str
    note: str | None = None
    subject: str | None = None
    body: str | None = None
    template: str | None = None

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        return f"checked in via {self.channel}" + (f": {self.note}" if self.note else "")


# -- follow-through -----------------------------------------------------------

class ReferralMade(Payload):
    """This contact introduced me to another; ``contact`` is the new contact's id."""

    type_name = "referral.made"
    touch = True
    searchable = True

    contact: ContactId
    name: str
    company: str | None = None
    role: str | None = None
    note: str | None = None

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        name = names.get(self.contact, self.name) if names is not None else self.name
        return f"introduced me to {_set(name, self.company)}"


class CommitmentMade(Payload):
    type_name = "commitment.made"
    searchable = True

    text: str
    due: datetime | None = None
    meeting: str | None = None  # id of the meeting.held where it was promised

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        return "promised: " + self.text + (f" (due {_local(self.due)})" if self.due else "")


class CommitmentDone(Payload):
    type_name = "commitment.done"
    touch = True
    searchable = False

    commitment: str  # id of the commitment.made event

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        kept = _called(names, self.commitment)  # (its description: "promised: ...")
        return f"kept: {kept.removeprefix('promised: ')}" if kept != self.commitment \
            else f"kept {kept}"


# -- follow-ups closed by hand (done, skip, snooze) ---------------------------------
#
# Each names the item it closes by its kind and the event that caused it (the
# ``kind`` and ``event`` of ``due --json``). Other kinds are closed by the event
# that truthfully closes them (a thank-you by thanks.sent, ...): see docs/events.md.

class MeetingPrepared(Payload):
    """The scheduled meeting is prepared for: its prep item closes."""

    type_name = "meeting.prepared"
    searchable = False

    meeting: str  # id of the meeting.scheduled

    def describe(self) -> str:
        return "prepared for the meeting"


class FollowupDone(Payload):
    """A follow-up that no other event type closes (schedule, unanswered, a plugin's) is done."""

    type_name = "followup.done"
    searchable = False

    kind: FollowupKind
    event: CauseId  # the event that caused it

    def describe(self) -> str:
        return f"{self.kind}: done"


class FollowupSkipped(Payload):
    """A follow-up dismissed without doing it."""

    type_name = "followup.skipped"
    searchable = False

    kind: FollowupKind
    event: CauseId
    reason: str | None = None

    def describe(self) -> str:
        return f"{self.kind}: skipped" + (f" ({self.reason})" if self.reason else "")


class FollowupSnoozed(Payload):
    """A follow-up put off: due again at ``until`` (not before)."""

    type_name = "followup.snoozed"
    searchable = False

    kind: FollowupKind
    event: CauseId
    until: datetime

    def describe(self) -> str:
        return f"{self.kind}: snoozed until {_local(self.until)}"


class NoteAdded(Payload):
    type_name = "note.added"
    searchable = True

    text: str

    def describe(self) -> str:
        return self.text


class EventRetracted(Payload):
    type_name = "event.retracted"
    searchable = False

    target: str  # id of the retracted event (which may itself be a retraction)
    reason: str | None = None

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        target = _called(names, self.target)
        if target == self.target:
            return f"undid {target}"
        if target.startswith("undid “"):  # an undo undone: what it took back is back
            return f"brought back {target.removeprefix('undid ')}"
        return f"undid “{target}”"


# -- the registry ---------------------------------------------------------------

# Every built-in type, registered below under its own type_name and schema.
BUILT_IN_TYPES: tuple[type[Payload], ...] = (
    ContactAdded, ContactUpdated, ContactArchived, ContactMerged, CadenceSet,
    RequestSent, RequestAnswered, ReplyReceived,
    MeetingScheduled, MeetingHeld, MeetingCancelled, ThanksSent, CheckinDone,
    ReferralMade, CommitmentMade, CommitmentDone, NoteAdded, EventRetracted,
    MeetingPrepared, FollowupDone, FollowupSkipped, FollowupSnoozed,
)

# Name → class, and name → the schema written today. Older rows are upcast on
# read (see coffeechat.codec.register_upcaster).
EVENT_TYPES: dict[str, type[Payload]] = {}
SCHEMAS: dict[str, int] = {}

RETRACTED = EventRetracted.type_name

# What a payload class says about its type: a field by one of these names would hide it.
CLASS_FACTS = ("type_name", "schema", "touch", "searchable", "describe")


def type_name(payload: Payload) -> str:
    """The registered type name of a payload instance."""
    cls = type(payload)
    name = getattr(cls, "type_name", "")
    if EVENT_TYPES.get(name) is not cls:
        raise KeyError(f"{cls.__name__} is not a registered event type")
    return name


def register_event_type(name: str, payload_type: type[Payload], schema: int | None = None
                        ) -> None:
    """Add an event type (used by plugins). Re-registering the same class is allowed.

    The class's ``type_name`` becomes ``name``; ``schema`` (when given) becomes
    its ``schema``, else the class's own (1 unless it says otherwise).
    """
    if not (isinstance(payload_type, type) and issubclass(payload_type, Payload)):
        raise TypeError(f"event type {name!r}: {payload_type!r} is not a subclass of "
                        "coffeechat.events.Payload")
    hidden = [f for f in payload_type.__struct_fields__ if f in CLASS_FACTS]
    if hidden:
        raise ValueError(f"event type {name!r}: {payload_type.__name__} has a field named "
                         f"{hidden[0]!r}, a name the event type itself uses")
    existing = EVENT_TYPES.get(name)
    if existing is not None and existing is not payload_type:
        raise ValueError(f"event type {name!r} is already registered to {existing.__name__}")
    payload_type.type_name = name
    if schema is not None:
        payload_type.schema = schema
    EVENT_TYPES[name] = payload_type
    SCHEMAS[name] = payload_type.schema


for _built_in in BUILT_IN_TYPES:
    register_event_type(_built_in.type_name, _built_in)
