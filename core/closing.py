"""Closing a follow-up by hand: which item `done`, `skip` or `snooze` names, and what to record.

An item is named by its handle (see :mod:`coffeechat.handles`), or the old
way: a commitment id, or for `skip` and `snooze` the id of the event that
caused any item (an unambiguous start of either). `done` records the event
that truthfully closes the item (:data:`CLOSED_BY`); `skip` and `snooze`
record ``followup.skipped`` and ``followup.snoozed``, which the rules apply to
every item, a plugin's too. Every one of them is an event: `undo` brings the
item back, and ``--as-of`` an earlier moment shows it open.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

import apsw

from coffeechat import validate
from coffeechat.clock import local_time, now, stamp
from coffeechat.codec import UNREADABLE, Event, decode_as
from coffeechat.corrections import find_event
from coffeechat.errors import BadInput, UnknownEvent, quote
from coffeechat.events import (
    CheckinDone,
    CommitmentDone,
    FollowupDone,
    MeetingHeld,
    MeetingPrepared,
    Payload,
    RequestSent,
    ThanksSent,
)
from coffeechat.fold import CONTACT_PREFIX, ContactState
from coffeechat.handles import looks_like_handle, open_items
from coffeechat.stages import Kind
from coffeechat.store import Store

BY_HAND = "other"  # the channel of a message `done` records: it went out by other means

# What `done` records for each kind (docs/events.md and `done --help` say the same).
CLOSED_BY: dict[str, str] = {
    Kind.THANK_YOU: "thanks.sent (channel other: you thanked them by other means)",
    Kind.NUDGE: "request.sent with nudge, on the ask's channel",
    Kind.PREP: "meeting.prepared for the scheduled meeting",
    Kind.COMMITMENT: "commitment.done",
    Kind.CHECK_IN: "checkin.done (channel other)",
    Kind.REFERRAL_OUTREACH: "request.sent (channel other: you reached out, that is the ask)",
    Kind.REACH_OUT: "request.sent (channel other: you reached out, that is the ask)",
    Kind.SCHEDULE: "followup.done",
    Kind.UNANSWERED: "followup.done",
    Kind.RECORD_MEETING: "meeting.held for the scheduled meeting, at its time (it took place "
                         "as scheduled; `cancel` if it did not)",
    Kind.BIRTHDAY: "followup.done for that year's birthday",
}
OTHER_KINDS = "followup.done"  # a plugin's kinds


class Item(NamedTuple):
    """An open follow-up, as `done`, `skip` and `snooze` found it."""

    contact: str
    name: str
    kind: str
    event: str
    commitment: str | None
    handle: str
    due_at: str
    reason: str
    anchor: str | None

    def label(self) -> str:
        """How the item reads in a message: its handle, kind and person."""
        return f"{self.handle} ({self.kind}, {self.name})"


def _item(row: dict[str, Any]) -> Item:
    return Item(row["contact"], row["name"], row["kind"], row["event"], row["commitment"],
                row["handle"], row["due_at"], row["reason"], row["anchor"])


StateOf = Callable[[str], ContactState]  # folds a contact and notes its version (the Recorder's)


def done_event(store: Store, text: str, on: datetime, state_of: StateOf
               ) -> tuple[str, Payload]:
    """(contact id, the event to record) for `done TEXT`: a handle, a commitment id, or an
    open item's cause event id (as `skip` and `snooze` take).

    A start of an id that is both a commitment's and another open item's cause is
    refused: ids made within the same minute share their first characters.
    """
    at = stamp(now())
    item = find(store.conn, text, at, by_event=False)
    if item is not None:
        return item.contact, closing_event(item, state_of(item.contact), store, on)
    try:  # the old form: a commitment id, or an unambiguous start of one
        made: Event | None = find_event(store, text, "COMMITMENT_ID", "commitment.made")
    except UnknownEvent:
        made = None
    caused = find(store.conn, text, at, by_event=True)  # (BadInput when it names several)
    typed = text.strip()
    if caused is not None and (made is None or caused.commitment != made.id):
        if made is not None:
            raise BadInput(f"HANDLE: {quote(typed)} starts the id of commitment {made.id} and "
                           f"of the event behind {caused.label()}: give the handle (see "
                           "`coffeechat due`) or the whole id")
        return caused.contact, closing_event(caused, state_of(caused.contact), store, on)
    if made is None:
        if looks_like_handle(typed.lower()):
            raise unknown(text, by_event=False)
        hint = " (handles have 4 characters)" if len(typed) < 8 else ""
        raise BadInput(f"HANDLE: no open follow-up has handle or event id {quote(typed)}, and "
                       f"no commitment id starts with it{hint}: see `coffeechat due`")
    contact_id = made.stream[len(CONTACT_PREFIX):]
    if made.id not in state_of(contact_id).commitments:
        raise BadInput(f"COMMITMENT_ID: {made.id} is already done or was undone")
    return contact_id, CommitmentDone(commitment=made.id)


def named(db: apsw.Connection, text: str, state_of: StateOf, *, until: datetime | None = None
          ) -> Item:
    """The open item `skip` or `snooze` names (a handle, or a cause event id), its contact
    folded; for a snooze, ``until`` must be still to come."""
    item = find(db, text, stamp(now()), by_event=True)
    if item is None:
        raise unknown(text, by_event=True)
    if until is not None and until <= now():
        raise BadInput(f"DATE: {local_time(stamp(until))} has passed; snooze {item.label()} "
                       "until a later time")
    state = state_of(item.contact)
    if until is not None and stamp(until) <= item.due_at \
            and (item.kind, item.event) not in state.snoozed:
        # (recorded, it would change nothing: an item is due at the later of the two)
        raise BadInput(f"DATE: {item.label()} is due {local_time(item.due_at)}, not later "
                       f"than {local_time(stamp(until))}: a snooze puts it off, so give a "
                       "later time")
    return item


def find(db: apsw.Connection, text: str, at: str, *, by_event: bool) -> Item | None:
    """The item open at ``at`` that ``text`` names: a handle, or (``by_event``) a cause event id.

    None when it names none (the caller may try a commitment id); :class:`BadInput`
    when it names several.
    """
    typed = text.strip().lower()
    if not typed:
        raise BadInput("HANDLE: give the handle `coffeechat due` shows")
    found: list[dict[str, Any]] = []
    if looks_like_handle(typed):
        found = open_items(db, "main", at, handle=typed)
    if not found and by_event and len(typed) <= 64:
        # (The scheduling event causes the prep and the record-meeting item: its id, the
        # older form, names the prep alone, as before the other existed; that one is
        # named by its handle.)
        caused = open_items(db, "main", at, event=typed)
        found = [f for f in caused if f["kind"] != Kind.RECORD_MEETING]
        if caused and not found:
            raise BadInput(f"HANDLE: the open follow-up that event {quote(typed)} caused "
                           f"is {_item(caused[0]).label()}: give its handle, "
                           f"{caused[0]['handle']} (see `coffeechat due`)")
    if len(found) > 1:
        shown = ", ".join(_item(f).label() for f in found[:5])
        raise BadInput(f"HANDLE: {quote(typed)} names several open follow-ups ({shown}); "
                       "give the handle as `coffeechat due` shows it")
    return _item(found[0]) if found else None


def unknown(text: str, *, by_event: bool) -> BadInput:
    """The error for text that names no open follow-up."""
    also = " or event id" if by_event and not looks_like_handle(text.strip().lower()) else ""
    return BadInput(f"HANDLE: no open follow-up has handle{also} {quote(text.strip())} "
                    "(see `coffeechat due`)")


def closing_event(item: Item, state: ContactState, store: Store, on: datetime) -> Payload:
    """The event that truthfully closes ``item``, recorded at ``on``."""
    at = stamp(on)
    kind = item.kind
    if kind == Kind.THANK_YOU:
        _not_before(at, state.last_met_at, "the meeting it thanks for", item)
        return ThanksSent(channel=BY_HAND)
    if kind == Kind.NUDGE:
        _not_before(at, state.request_at, "the ask it nudges", item)
        return RequestSent(channel=_channel_of(store, item.event), nudge=True)
    if kind == Kind.PREP:
        return MeetingPrepared(meeting=item.event)
    if kind == Kind.RECORD_MEETING:  # (recorded at the meeting's time: see Recorder.done)
        return MeetingHeld(meeting=item.event)
    if kind == Kind.COMMITMENT:
        return CommitmentDone(commitment=item.commitment or item.event)
    if kind == Kind.CHECK_IN:
        _not_before(at, state.last_touch_at, "the last touch", item)
        return CheckinDone(channel=BY_HAND)
    if kind in (Kind.REFERRAL_OUTREACH, Kind.REACH_OUT):
        return RequestSent(channel=BY_HAND)
    return FollowupDone(kind=kind, event=item.event)


def _not_before(at: str, since: str | None, what: str, item: Item) -> None:
    # A check-in, thank-you or nudge dated before what it answers would not close the item.
    validate.not_before(at, since, what, f"not close {item.label()}")


def _channel_of(store: Store, request_id: str) -> str:
    """The channel the ask went out on (a nudge goes the same way)."""
    for event in store.find(request_id, "request.sent", limit=1):
        if event.id == request_id:
            try:
                return decode_as(RequestSent, event.schema, event.data).channel
            except UNREADABLE:
                break
    return BY_HAND

