"""A contact's state as a pure function of its own events.

:func:`fold` takes the rows of one ``contact:<id>`` stream in (occurred_at, id)
order, drops retracted events (a retraction may itself be retracted: undo of an
undo), and applies the rest. The result depends only on which events exist,
never on the order they were recorded in, so back-dated entries, undo and
merged logs all give the same state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from msgspec import UNSET

from coffeechat.clock import from_stamp, is_stamp, stamp
from coffeechat.codec import UNREADABLE, decode_payload, decoder_for
from coffeechat.contact_state import ROW_COLUMNS as ROW_COLUMNS  # (imported from here too)
from coffeechat.contact_state import Commitment, ContactState, Referral, Row, added_by_hand
from coffeechat.events import (
    CONTACT_PREFIX,
    CONTACT_STREAM,
    EVENT_TYPES,
    RETRACTED,
    SCHEMAS,
    CadenceSet,
    CheckinDone,
    CommitmentDone,
    CommitmentMade,
    ContactAdded,
    ContactArchived,
    ContactMerged,
    ContactUpdated,
    FollowupDone,
    FollowupSkipped,
    FollowupSnoozed,
    MeetingCancelled,
    MeetingHeld,
    MeetingPrepared,
    MeetingScheduled,
    Payload,
    ReferralMade,
    ReplyReceived,
    RequestAnswered,
    RequestSent,
    ThanksSent,
)
from coffeechat.merged_details import EDITABLE, fill_from_merged
from coffeechat.payload import REGISTRATIONS
from coffeechat.retractions import retracted_ids as retracted_ids  # (imported from here too)
from coffeechat.retractions import retraction_target as retraction_target
from coffeechat.stages import Stage
from coffeechat.usable import all_stamps, has_time_fields, payload_problem

P = TypeVar("P", bound=Payload)

# The stages, bound once: looking up an enum member costs ~70 ns on Python 3.11,
# and the functions below run for every event of every contact on a rebuild.
_PROSPECT, _ASKED, _SCHEDULED, _MET = Stage.PROSPECT, Stage.ASKED, Stage.SCHEDULED, Stage.MET
_KEEPING_IN_TOUCH, _DECLINED, _ARCHIVED = Stage.KEEPING_IN_TOUCH, Stage.DECLINED, Stage.ARCHIVED
_ACCEPTED = Stage.ACCEPTED
_NOT_MET_YET = (_PROSPECT, _ASKED, _ACCEPTED, _DECLINED)  # a yes moves these to accepted
_MET_STAGES = (_MET, _KEEPING_IN_TOUCH)


def fold(stream: str, rows: list[Row], step: Callable[[Row, ContactState], None] | None = None
         ) -> ContactState:
    """The state of the contact on ``stream``; ``rows`` sorted by (occurred_at, id).

    ``step``, if given, is called after each event is applied, with the state as it is
    then (before the fold's last touches: see the end): how the contact stood over time.
    """
    state = ContactState(stream[len(CONTACT_PREFIX):])
    retracted = state.retracted = retracted_ids(rows)
    seqs, events, text_seqs = state.seqs, state.events, state.text_seqs
    own_stream_usable = CONTACT_STREAM.fullmatch(stream) is not None
    stamped = all_stamps([row.occurred_at for row in rows])  # (all at once: the usual case)
    decoders = _decoders()
    for row in rows:
        seqs.append(row.seq)
        if row.type == RETRACTED or row.id in retracted:
            continue
        if not own_stream_usable or not (stamped or is_stamp(row.occurred_at)):
            continue  # a row this version cannot place (see coffeechat.usable)
        known = decoders.get(row.type)
        try:
            payload = known[1](row.data) if known is not None and known[0] == row.schema \
                else decode_payload(row.type, row.schema, row.data)
        except UNREADABLE:
            # A payload this version cannot read (written by a newer one, say):
            # the event stays in the log and counts for nothing here.
            continue
        if not isinstance(payload, Payload):  # a type no installed plugin registers
            events.append(row)
            text_seqs.append(row.seq)  # searchable as is
            continue
        if (known is None or known[2]) and payload_problem(payload) is not None:
            continue
        events.append(row)
        apply = _APPLY.get(type(payload))
        if apply is not None:
            apply(state, row, payload)
        if payload.searchable:
            text_seqs.append(row.seq)
        if payload.touch:
            state.last_touch_at = row.occurred_at
            state.last_touch_id = row.id
        if step is not None:
            step(row, state)
    for commitment_id in state.kept:  # kept promises, whatever order they were logged in
        state.commitments.pop(commitment_id, None)
    if state.fills:
        fill_from_merged(state)
    if state.moved_from and state.scheduled_id is not None:
        _carry_prepared(state)
    if state.archived:
        state.stage = _ARCHIVED
    return state


def _carry_prepared(state: ContactState) -> None:
    """A meeting moved to a new time (scheduled again while it was still scheduled) stays
    prepared if any time it had was: whatever order the move and the prep were logged in."""
    current = meeting = state.scheduled_id
    seen: set[str] = set()
    while current is not None and meeting is not None and meeting not in seen:
        if meeting in state.prepared:
            state.prepared = state.prepared | {current}
            return
        seen.add(meeting)
        meeting = state.moved_from.get(meeting)


HELD_EARLY = timedelta(days=2)  # a meeting held up to this long before the one scheduled is it


def held_as_scheduled(held_at: str, scheduled_at: str) -> bool:
    """Whether a meeting held at ``held_at`` is the one scheduled at ``scheduled_at``.

    It is unless the one scheduled is more than :data:`HELD_EARLY` (two days) later:
    a coffee on Saturday is not Tuesday's weekly call held early, a call on Monday
    may be. Held later than scheduled, it is that meeting, late. (Stored stamps;
    ``met`` links the two by this, and the fold and ``export ics`` judge by it.)
    """
    return scheduled_at <= stamp(from_stamp(held_at) + HELD_EARLY)


def meeting_over(scheduled_at: str, minutes: int, moment: str) -> bool:
    """Whether a meeting scheduled at ``scheduled_at`` for ``minutes`` had ended by
    ``moment`` (stored stamps). Scheduled again before then, it is that meeting moved (a
    meeting under way pushed back too); after, a new one takes its place."""
    return stamp(from_stamp(scheduled_at) + timedelta(minutes=minutes)) <= moment


Decoder = tuple[int, Callable[[str | bytes], Any], bool]
_decoders_made: list[Any] = [None, {}]  # (the registry they were made for, the decoders)


def _decoders() -> dict[str, Decoder]:
    """Each registered type's (schema today, the decode of its class, whether it has a
    time field for :func:`payload_problem` to check), remade when the registry changes
    (a type registered, or taken out or its schema changed by hand, as tests do).

    (A fold decodes every event: looked up once, not through two calls each.)
    """
    registry = (REGISTRATIONS[0], len(EVENT_TYPES), len(SCHEMAS), sum(SCHEMAS.values()))
    if _decoders_made[0] != registry:
        _decoders_made[:] = [registry, {
            name: (SCHEMAS.get(name, 1), decoder_for(cls).decode, has_time_fields(cls))
            for name, cls in EVENT_TYPES.items()}]
    decoders: dict[str, Decoder] = _decoders_made[1]
    return decoders


# -- what each built-in event type does to a contact --------------------------------
#
# One function per type, marked with the class it applies; a type without one
# (a plugin's, say) changes nothing here, but is still kept in ``state.events``,
# searched when it is ``searchable`` and counted when it is a ``touch``.

Apply = Callable[[ContactState, Row, Any], None]
_APPLY: dict[type[Payload], Apply] = {}


def applies(payload_type: type[P]) -> Callable[[Callable[[ContactState, Row, P], None]],
                                                Callable[[ContactState, Row, P], None]]:
    """Mark a function as how events of ``payload_type`` change a contact's state."""
    def mark(handler: Callable[[ContactState, Row, P], None]
             ) -> Callable[[ContactState, Row, P], None]:
        _APPLY[payload_type] = handler
        return handler
    return mark


@applies(ContactAdded)
def _contact_added(state: ContactState, row: Row, p: ContactAdded) -> None:
    if state.added_at is None or row.occurred_at < state.added_at:
        state.added_at, state.added_id = row.occurred_at, row.id
        state.added_source = row.source if isinstance(row.source, str) else None
    if added_by_hand(row.source) and (state.hand_added_at is None
                                      or row.occurred_at < state.hand_added_at):
        state.hand_added_at = row.occurred_at
    if row.stream != state.stream:  # a merged contact: its details only fill gaps
        state.fills.append((row.id, p, row.occurred_at, row.stream))
        return
    state.name, state.company, state.role = p.name, p.company, p.role
    state.email, state.linkedin, state.phone = p.email, p.linkedin, p.phone
    state.how_met, state.referred_by, state.tags = p.how_met, p.referred_by, list(p.tags)
    state.referred_at = row.occurred_at if p.referred_by is not None else None
    state.birthday, state.dates = p.birthday, p.dates
    state.birthday_id = row.id if p.birthday is not None else None




@applies(ContactUpdated)
def _contact_updated(state: ContactState, row: Row, p: ContactUpdated) -> None:
    if row.stream != state.stream:
        state.fills.append((row.id, p, row.occurred_at, row.stream))
        return
    if p.referred_by is not UNSET and p.referred_by != state.referred_by:  # introduced now
        state.referred_at = row.occurred_at if p.referred_by is not None else None
    cleared = dict(state.cleared)
    for field in EDITABLE:
        value = getattr(p, field)
        if value is not UNSET:
            setattr(state, field, value)
            if value is None or value == [] or field == "tags":  # (tags: the whole list)
                cleared[field] = row.occurred_at  # (a merged contact's value stays out)
            else:
                cleared.pop(field, None)
    for label, day in (p.dates or {}).items():
        if day is None:
            cleared["dates:" + label] = row.occurred_at
        else:
            cleared.pop("dates:" + label, None)
    if cleared != state.cleared:
        state.cleared = cleared
    if p.birthday is not UNSET:
        state.birthday_id = row.id if p.birthday is not None else None
    if p.dates:  # each label given is set, or removed when None
        dates = {**state.dates, **p.dates}
        state.dates = {k: v for k, v in dates.items() if v is not None}


@applies(ContactArchived)
def _contact_archived(state: ContactState, row: Row, p: ContactArchived) -> None:
    # A merged contact's archive from before the merge was its own: the one kept stands as
    # it stood. One recorded on its stream after the merge (a device that had not seen
    # it) is about the person, as its meetings then are.
    merged = state.merges.get(row.stream)
    if row.stream == state.stream or (merged is not None and row.occurred_at >= merged[1]):
        state.archived = True


@applies(ContactMerged)
def _contact_merged(state: ContactState, row: Row, p: ContactMerged) -> None:
    if row.stream == state.stream:  # (in the kept contact's fold, the marker is history)
        state.merged_into = p.into
    else:  # one of the family: which contact it was merged into, and when
        state.merges = {**state.merges, row.stream: (CONTACT_PREFIX + p.into, row.occurred_at)}


@applies(CadenceSet)
def _cadence_set(state: ContactState, row: Row, p: CadenceSet) -> None:
    state.cadence_days = p.days


@applies(RequestSent)
def _request_sent(state: ContactState, row: Row, p: RequestSent) -> None:
    state.asked = True
    if p.nudge:  # a reminder of the open ask; one that crossed their answer reminds of nothing
        if state.request_open:
            state.nudged_at = state.nudged_at or row.occurred_at
        return
    state.request_open = True
    state.request_at, state.request_id, state.nudged_at = row.occurred_at, row.id, None
    state.accepted_at = state.accepted_id = None
    state.called_off_at = state.called_off_id = None  # (asked again: the rebooking is under way)
    if state.stage == _SCHEDULED:
        state.stage_before_schedule = _ASKED  # where a cancellation returns to
    else:
        state.stage = _ASKED


@applies(RequestAnswered)
def _request_answered(state: ContactState, row: Row, p: RequestAnswered) -> None:
    state.request_open = False
    if p.answer == "declined":
        state.stage = _DECLINED
        state.accepted_at = state.accepted_id = None
        return
    state.accepted_at, state.accepted_id = row.occurred_at, row.id
    if state.stage == _SCHEDULED:
        state.stage_before_schedule = _ACCEPTED  # where a cancellation returns to
    elif state.stage in _NOT_MET_YET:
        state.stage = _ACCEPTED


@applies(ReplyReceived)
def _reply_received(state: ContactState, row: Row, p: ReplyReceived) -> None:
    """A reply answers the open request it came after, whatever it says."""
    if state.request_open and state.request_at is not None and \
            row.occurred_at >= state.request_at:
        state.request_open = False


@applies(MeetingScheduled)
def _meeting_scheduled(state: ContactState, row: Row, p: MeetingScheduled) -> None:
    if state.scheduled_id is not None and state.scheduled_at is not None and not meeting_over(
            state.scheduled_at, state.scheduled_minutes, row.occurred_at):
        # moved (before it was over): what was prepared for it still holds
        state.moved_from = {**state.moved_from, row.id: state.scheduled_id}
    if state.stage != _SCHEDULED:
        state.stage_before_schedule = state.stage
    state.stage = _SCHEDULED
    state.scheduled_at = stamp(p.at)
    state.scheduled_on, state.scheduled_id = row.occurred_at, row.id
    state.scheduled_series, state.scheduled_minutes = p.series, p.minutes
    state.scheduled_all_day = p.all_day
    state.request_open = False
    state.called_off_at = state.called_off_id = None


@applies(MeetingCancelled)
def _meeting_cancelled(state: ContactState, row: Row, p: MeetingCancelled) -> None:
    if state.scheduled_id is not None:
        state.stage = state.stage_before_schedule
        state.called_off_at, state.called_off_id = row.occurred_at, row.id
    state.scheduled_at = state.scheduled_on = state.scheduled_id = None
    state.scheduled_series = False


@applies(MeetingHeld)
def _meeting_held(state: ContactState, row: Row, p: MeetingHeld) -> None:
    if row.occurred_at == state.last_met_at:
        return  # the same meeting recorded again (`done` on its item, then its notes)
    state.meetings += 1
    state.last_met_at, state.last_met_id = row.occurred_at, row.id
    state.request_open = False
    state.called_off_at = state.called_off_id = None
    if state.scheduled_at is not None and not held_as_scheduled(row.occurred_at,
                                                                state.scheduled_at):
        # Another meeting than the one scheduled, days before it: that one stays ahead
        # (a cancellation of it goes back to met).
        state.stage_before_schedule = _MET
        return
    state.stage = _MET
    if state.scheduled_at is not None and state.scheduled_series:
        state.series_held = state.series_held | {row.id}
    state.scheduled_at = state.scheduled_on = state.scheduled_id = None
    state.scheduled_series = False


@applies(ThanksSent)
def _thanks_sent(state: ContactState, row: Row, p: ThanksSent) -> None:
    state.thanked_at = row.occurred_at


@applies(CheckinDone)
def _checkin_done(state: ContactState, row: Row, p: CheckinDone) -> None:
    state.checked_in_at = row.occurred_at
    if state.stage in _MET_STAGES:
        state.stage = _KEEPING_IN_TOUCH


@applies(ReferralMade)
def _referral_made(state: ContactState, row: Row, p: ReferralMade) -> None:
    state.referrals.append(Referral(row.id, p.contact, p.name, row.occurred_at))


@applies(CommitmentMade)
def _commitment_made(state: ContactState, row: Row, p: CommitmentMade) -> None:
    due = stamp(p.due) if p.due is not None else None
    state.commitments[row.id] = Commitment(row.id, p.text, due, row.occurred_at)


@applies(CommitmentDone)
def _commitment_done(state: ContactState, row: Row, p: CommitmentDone) -> None:
    state.kept.add(p.commitment)


# -- follow-ups closed by hand ------------------------------------------------------
#
# Kept as sets and maps, whatever order they were logged in; the rules
# (coffeechat.rules.due_items) apply them to every item, plugin items too.

@applies(MeetingPrepared)
def _meeting_prepared(state: ContactState, row: Row, p: MeetingPrepared) -> None:
    state.prepared = state.prepared | {p.meeting}


@applies(FollowupDone)
def _followup_done(state: ContactState, row: Row, p: FollowupDone) -> None:
    state.closed = state.closed | {(p.kind, p.event)}


@applies(FollowupSkipped)
def _followup_skipped(state: ContactState, row: Row, p: FollowupSkipped) -> None:
    state.skipped = {**state.skipped, (p.kind, p.event): (row.id, row.occurred_at)}


@applies(FollowupSnoozed)
def _followup_snoozed(state: ContactState, row: Row, p: FollowupSnoozed) -> None:
    state.snoozed = {**state.snoozed, (p.kind, p.event): stamp(p.until)}  # the latest wins
