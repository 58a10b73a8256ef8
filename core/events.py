"""Event payloads: one msgspec Struct per built-in event type, registered.

One class says everything about an event type: its fields, and in class
variables its ``type_name``, its payload ``schema``, whether it is a ``touch``
(it restarts the check-in clock) and whether it is ``searchable``; its
:meth:`~Payload.describe` is the one line that ``log``, ``show`` and the
Markdown views show. How a built-in type changes a contact's state is the fold's
business (:mod:`coffeechat.fold`, one marked function per type). A plugin's type
is a class like these, registered with :func:`register_event_type` (the base
class, field types and registry are :mod:`coffeechat.payload`'s, imported here).
"""


import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, UnsetType

from coffeechat.payload import (  # noqa: F401 - the names plugins and the docs import from here
    CLASS_FACTS,
    EVENT_TYPES,
    SCHEMAS,
    CauseId,
    ContactId,
    Days,
    FollowupKind,
    Minutes,
    Payload,
    Sequence,
    all_day_date,
    called,
    in_local_time,
    joined,
    register_event_type,
    type_name,
)
from coffeechat.yearly_dates import DATES_LIMIT, DateLabel, YearlyDate

CONTACT_PREFIX = "contact:"
CONTACT_STREAM = re.compile(r"contact:[\w-]+")  # a contact's stream: contact:<id>


# -- contacts -----------------------------------------------------------------

ImportantDates = Annotated[dict[DateLabel, YearlyDate], Meta(max_length=DATES_LIMIT)]
DateChanges = Annotated[dict[DateLabel, YearlyDate | None], Meta(max_length=DATES_LIMIT)]

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
    tags: list[str] = []  # noqa: RUF012 - (msgspec gives each payload a new list)
    birthday: YearlyDate | None = None  # MM-DD, or YYYY-MM-DD (coffeechat.yearly_dates)
    dates: ImportantDates = {}  # noqa: RUF012 - other important dates: label -> date

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        by = f" (referred by {called(names, self.referred_by)})" if self.referred_by else ""
        return joined(self.name, self.company, self.role) + by


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
    birthday: YearlyDate | UnsetType | None = UNSET
    dates: DateChanges | UnsetType = UNSET  # label -> new date; None removes that date

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        labels = {"how_met": "how we met", "referred_by": "referrer", "linkedin": "LinkedIn"}
        parts = []
        for field in self.__struct_fields__:
            value = getattr(self, field)
            label = labels.get(field, field)
            if value is UNSET:
                continue
            if field == "dates" and isinstance(value, dict):
                parts += [f"{k} is now {v}" if v else f"cleared {k}" for k, v in value.items()]
                continue
            if value is None or value == []:
                parts.append(f"cleared the {label}")
            elif field == "tags":
                parts.append(f"tags are now {', '.join(str(v) for v in value)}")
            elif field == "referred_by":
                parts.append(f"referrer is now {called(names, str(value))}")
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
        return f"merged into {called(names, self.into)}"


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
    # For one occurrence of a series moved by a change sent for it alone: that
    # occurrence's time in the series (its RECURRENCE-ID; ``sequence`` is the change's)
    occurrence: datetime | None = None
    series: bool = False  # an occurrence of a recurring invitation (a weekly call, say)
    # An all-day invitation's: a day, not a time. ``at`` is 10:00 UTC on that day, which
    # is that day from UTC-10 to UTC+13 (see ALL_DAY_HOUR); shown as the day alone.
    all_day: bool = False

    def describe(self) -> str:
        where = f", {self.where}" if self.where else ""
        if self.all_day:
            return f"meeting on {all_day_date(self.at)} (all day){where}"
        return f"meeting at {in_local_time(self.at)}, {self.minutes} min{where}"


class MeetingHeld(Payload):
    type_name = "meeting.held"
    touch = True
    searchable = True

    notes: str | None = None
    takeaways: list[str] = []  # noqa: RUF012 - (msgspec gives each payload a new list)
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
        return f"introduced me to {joined(name, self.company)}"


class CommitmentMade(Payload):
    type_name = "commitment.made"
    searchable = True

    text: str
    due: datetime | None = None
    meeting: str | None = None  # id of the meeting.held where it was promised

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        return "promised: " + self.text + (f" (due {in_local_time(self.due)})" if self.due else "")


class CommitmentDone(Payload):
    type_name = "commitment.done"
    touch = True
    searchable = False

    commitment: str  # id of the commitment.made event

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        kept = called(names, self.commitment)  # (its description: "promised: ...")
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
        return f"{self.kind}: snoozed until {in_local_time(self.until)}"


class NoteAdded(Payload):
    type_name = "note.added"
    searchable = True

    text: str

    def describe(self) -> str:
        return self.text


# -- you, not a contact --------------------------------------------------------------

DIGEST_PREFIX = "digest:"  # the stream of one local day's digests: digest:2026-11-20
LocalDay = Annotated[str, Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]


class DigestSent(Payload):
    """The day's digest (`today --send`) went out to you; on the stream ``digest:<day>``."""

    type_name = "digest.sent"
    searchable = False

    day: LocalDay  # the local day it was for
    channel: str
    items: Annotated[int, Meta(ge=0)] = 0  # how many things it listed

    def describe(self) -> str:
        things = f"{self.items} thing{'' if self.items == 1 else 's'}"
        return f"sent the digest for {self.day} via {self.channel} ({things})"


class EventRetracted(Payload):
    type_name = "event.retracted"
    searchable = False

    target: str  # id of the retracted event (which may itself be a retraction)
    reason: str | None = None

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        target = called(names, self.target)
        if target == self.target:
            return f"undid {target}"
        if target.startswith("undid “"):  # an undo undone: what it took back is back
            return f"brought back {target.removeprefix('undid ')}"
        return f"undid “{target}”"


# -- registering them ---------------------------------------------------------------

# Every built-in type, registered below under its own type_name and schema.
BUILT_IN_TYPES: tuple[type[Payload], ...] = (
    ContactAdded, ContactUpdated, ContactArchived, ContactMerged, CadenceSet,
    RequestSent, RequestAnswered, ReplyReceived,
    MeetingScheduled, MeetingHeld, MeetingCancelled, ThanksSent, CheckinDone,
    ReferralMade, CommitmentMade, CommitmentDone, NoteAdded, EventRetracted,
    MeetingPrepared, FollowupDone, FollowupSkipped, FollowupSnoozed, DigestSent,
)

RETRACTED = EventRetracted.type_name

for _built_in in BUILT_IN_TYPES:
    register_event_type(_built_in.type_name, _built_in)
