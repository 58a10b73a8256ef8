"""Recording what happened: each method checks its input, then appends one batch.

The :class:`Recorder` turns a person's intent (``met Jane, promised a link by
Friday``) into events. It validates everything before it writes, so bad input
leaves the log untouched, and it states the stream versions it read, so a
concurrent writer that changed the same contact makes the append fail cleanly
instead of recording on stale assumptions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, ParamSpec, TypeVar

from coffeechat import validate, yearly_dates
from coffeechat.clock import from_stamp, now, stamp
from coffeechat.codec import Event, readable_payload
from coffeechat.errors import BadInput
from coffeechat.events import (
    CadenceSet,
    CheckinDone,
    CommitmentMade,
    ContactAdded,
    ContactArchived,
    ContactMerged,
    ContactUpdated,
    EventRetracted,
    FollowupSkipped,
    FollowupSnoozed,
    MeetingCancelled,
    MeetingHeld,
    MeetingScheduled,
    NoteAdded,
    Payload,
    ReferralMade,
    RequestAnswered,
    RequestSent,
    ThanksSent,
)
from coffeechat.fold import CONTACT_PREFIX, ContactState, fold, held_as_scheduled, meeting_over
from coffeechat.projections.projector import Projector
from coffeechat.resolve import free_id, id_taken, resolve_contact
from coffeechat.store import NewEvent, Store

if TYPE_CHECKING:
    from coffeechat.channels import Channel, Message
    from coffeechat.delivery import Outcome
    from coffeechat.plugin_manager import Plugins

# (channels and delivery are imported by the message commands that use them: add,
# met and the rest record without them)

P = ParamSpec("P")
R = TypeVar("R")


def _one_batch(method: Callable[P, R]) -> Callable[P, R]:
    """A recording method: it builds its own batch, whatever an earlier call left."""

    @functools.wraps(method)
    def record(*args: P.args, **kwargs: P.kwargs) -> R:
        recorder = args[0]
        assert isinstance(recorder, Recorder)
        recorder._batch, recorder._expected, recorder.folded = [], {}, {}
        return method(*args, **kwargs)

    return record


def _thanks_before_the_meeting(state: ContactState, at: str) -> bool:
    """Whether a thank-you at ``at`` would be dated before the latest meeting, while that
    meeting's thank-you is open, and can be for no earlier meeting: none was held by
    then, or it is that meeting's own day (a date without a time means 00:00).

    (A thank-you dated an earlier day, after an earlier meeting, is for that one.)
    """
    from coffeechat.clock import local_day

    met = state.last_met_at
    if met is None or at >= met or state.last_met_id in state.series_held \
            or (state.thanked_at is not None and state.thanked_at >= met):
        return False
    held_by_then = any(row.type == "meeting.held" and row.occurred_at <= at
                       for row in state.events)
    return not held_by_then or local_day(at) == local_day(met)


def _scheduled_payload(state: ContactState) -> MeetingScheduled | None:
    """The scheduling event of the meeting ``state`` has scheduled (None if unreadable)."""
    for row in reversed(state.events):
        if row.id == state.scheduled_id:
            payload = readable_payload(row.type, row.schema, row.data)
            return payload if isinstance(payload, MeetingScheduled) else None
    return None


class Promise(NamedTuple):
    """A commitment: what I promised, and by when.

    (A NamedTuple, not a dataclass: ``dataclasses`` and ``copy`` are imports that
    every recording command paid for this one class.)
    """

    text: str
    due: datetime | None = None


class Recorder:
    """Appends validated batches of events for one store."""

    def __init__(self, store: Store, projector: Projector, *, source: str = "cli",
                 plugins: Plugins | None = None) -> None:
        self.store = store
        self.projector = projector
        self.source = source
        self.plugins = plugins
        self._batch: list[NewEvent] = []
        self._expected: dict[str, int] = {}
        # the contacts the last command folded, as they were before it (by id): what the
        # CLI says about what it replaced, without folding them again
        self.folded: dict[str, ContactState] = {}
        projector.catch_up()  # names resolve against current contacts (cheap when current)

    @functools.cached_property
    def channels(self) -> dict[str, Channel]:
        """Every channel by name, loaded when a command first names one (loading a
        channel can import a lot: email's pulls in the standard library's email package)."""
        if self.plugins is None:
            from coffeechat.channels import BUILTIN_CHANNELS, RecordOnly

            return {name: RecordOnly(name) for name in BUILTIN_CHANNELS}
        return self.plugins.channels()

    # -- helpers ------------------------------------------------------------------

    def contact(self, text: str, where: str = "CONTACT") -> str:
        """Resolve a CONTACT argument to a contact id."""
        return resolve_contact(self.store.conn, text, where=where)

    def state(self, contact_id: str) -> ContactState:
        """Fold one contact now, and remember its version for the append."""
        stream = CONTACT_PREFIX + contact_id
        self._expected[stream] = self.store.stream_version(stream)
        state = self.folded[contact_id] = self.projector.fold_stream(stream)
        return state

    def _add(self, contact_id: str, payload: Payload, on: datetime, *,
             event_type: str | None = None) -> None:
        stream = CONTACT_PREFIX + contact_id
        if stream not in self._expected:
            self._expected[stream] = self.store.stream_version(stream)
        self._batch.append(NewEvent(stream=stream, payload=payload, occurred_at=stamp(on),
                                    type=event_type))

    def _commit(self) -> list[Event]:
        batch, expected = self._batch, self._expected
        self._batch, self._expected = [], {}
        events = self.store.append(batch, source=self.source, expected=expected)
        if self.plugins is not None:  # after the commit: a failing plugin cannot undo it
            self.plugins.event_appended(events, self.store)
        return events

    def _deliver(self, kind: str, state: ContactState, channel: Channel,
                 delivery: str | None, template: str | None, nudge: bool = False
                 ) -> tuple[Message | None, str | None]:
        from coffeechat.delivery import deliver

        message, receipt = deliver(self.plugins, self.store, kind, state, channel, delivery,
                                   template, nudge)
        if delivery == "send":
            # It went out: a concurrent change to the contact must not stop us
            # recording that (the version checks are for decisions, not facts).
            self._expected.clear()
        return message, receipt

    def _new_contact_id(self, name: str) -> str:
        adding = {e.stream[len(CONTACT_PREFIX):] for e in self._batch  # this command's too
                  if isinstance(e.payload, ContactAdded)}
        return free_id(name, lambda c: c in adding or id_taken(self.store.conn, c))

    def _contact_payload(self, new: ContactAdded, *, prefix: str = "") -> ContactAdded:
        """Check a contact as typed (``referred_by`` is a CONTACT argument) and resolve it."""
        referred_by = None
        if new.referred_by:
            referred_by = self.contact(new.referred_by, where=f"{prefix}--referred-by")
        return ContactAdded(
            name=validate.name(new.name, f"{prefix}NAME"),
            company=validate.optional(new.company, f"{prefix}--company"),
            role=validate.optional(new.role, f"{prefix}--role"),
            email=validate.email(new.email, f"{prefix}--email"),
            linkedin=validate.optional(new.linkedin, f"{prefix}--linkedin"),
            phone=validate.optional(new.phone, f"{prefix}--phone", limit=50),
            how_met=validate.optional(new.how_met, f"{prefix}--how-met"),
            referred_by=referred_by,
            tags=_tags(new.tags, f"{prefix}--tag"),
            birthday=yearly_dates.checked(new.birthday, f"{prefix}--birthday")
            if new.birthday else None,
            dates={label: day for label, day in yearly_dates.checked_dates(
                new.dates, f"{prefix}--date", clearing=False).items() if day},
        )

    @_one_batch
    def record(self, contact: str, payload: Payload, on: datetime | None = None
               ) -> list[Event]:
        """Record one event of any registered type on a contact (for plugins' commands)."""
        contact_id = self.contact(contact)
        self._add(contact_id, payload, on or now())
        return self._commit()

    # -- contacts -----------------------------------------------------------------

    @_one_batch
    def add(self, new: ContactAdded, on: datetime) -> list[Event]:
        """Add a contact; with ``referred_by``, the referrer's side is recorded too."""
        payload = self._contact_payload(new)
        if payload.referred_by:
            self._link_referral(payload.referred_by, payload, on)
        else:
            self._add(self._new_contact_id(payload.name), payload, on)
        return self._commit()

    @_one_batch
    def edit(self, contact: str,
             changes: dict[str, str | list[str] | dict[str, str | None] | None], on: datetime
             ) -> list[Event]:
        """Change fields; an empty string clears a field. ``tags`` replaces the tag list."""
        contact_id = self.contact(contact)
        self.state(contact_id)
        fields: dict[str, object] = {}
        for key, value in changes.items():
            where = "--" + key.replace("_", "-")
            if key == "tags":
                fields[key] = _tags(value if isinstance(value, list) else [], "--tag")
            elif key == "name":
                fields[key] = validate.name(str(value), "--name")
            elif key == "email":
                fields[key] = validate.email(str(value), where)
            elif key == "referred_by":
                fields[key] = self.contact(str(value), where) if value else None
            elif key == "birthday":
                fields[key] = yearly_dates.checked(str(value), where) if value else None
            elif key == "dates":
                fields[key] = yearly_dates.checked_dates(value, "--date", clearing=True)
            else:
                fields[key] = validate.optional(str(value), where)
        if not fields:
            raise BadInput("edit: nothing to change (give --name, --company, --role, --email, "
                           "--linkedin, --phone, --how-met, --referred-by, --tag, --birthday "
                           "or --date)")
        self._add(contact_id, ContactUpdated(**fields), on)  # type: ignore[arg-type]
        return self._commit()

    @_one_batch
    def archive(self, contact: str, on: datetime, reason: str | None = None) -> list[Event]:
        contact_id = self.contact(contact)
        if self.state(contact_id).archived:
            raise BadInput(f"CONTACT: {contact_id} is already archived")
        self._add(contact_id, ContactArchived(reason=validate.optional(reason, "--reason")), on)
        return self._commit()

    @_one_batch
    def merge(self, keep: str, other: str, on: datetime) -> list[Event]:
        """``other`` is the same person as ``keep``: one contact from now on (undo splits them)."""
        kept = self.contact(keep, "CONTACT_A")
        merged = self.contact(other, "CONTACT_B")
        if kept == merged:
            raise BadInput(f"CONTACT_B: {other!r} is {kept}, the same contact as CONTACT_A")
        self.state(kept)
        self.state(merged)
        self._add(merged, ContactMerged(into=kept), on)
        return self._commit()

    @_one_batch
    def cadence(self, contact: str, days: int, on: datetime) -> list[Event]:
        contact_id = self.contact(contact)
        self._add(contact_id, CadenceSet(days=validate.positive(days, "DAYS", limit=3650)), on)
        return self._commit()

    @_one_batch
    def note(self, contact: str, text: str, on: datetime) -> list[Event]:
        contact_id = self.contact(contact)
        self._add(contact_id, NoteAdded(text=validate.text(text, "TEXT")), on)
        return self._commit()

    # -- the cycle ----------------------------------------------------------------

    @_one_batch
    def ask(self, contact: str, via: str, on: datetime, *, delivery: str | None = None,
            template: str | None = None) -> Outcome:
        """Record an ask; asking again while a request is open records the one nudge.

        ``delivery`` is None (you sent it yourself), ``"send"`` (the channel
        delivers it, and only then is it recorded) or ``"draft"`` (a draft is
        written and nothing is recorded).
        """
        from coffeechat.delivery import Outcome, pick_channel, text_of

        contact_id = self.contact(contact)
        state = self.state(contact_id)
        nudge = state.request_open and state.nudged_at is None
        channel = pick_channel(self.channels, via)
        message, receipt = self._deliver("ask", state, channel, delivery, template, nudge)
        if delivery == "draft":
            return Outcome([], receipt)
        self._add(contact_id, RequestSent(channel=channel.name, nudge=nudge, template=template,
                                          **text_of(message)), on)
        return Outcome(self._commit(), receipt)

    @_one_batch
    def answer(self, contact: str, answer: str, on: datetime) -> list[Event]:
        contact_id = self.contact(contact)
        state = self.state(contact_id)
        if not state.request_open:
            raise BadInput(f"CONTACT: {contact_id} has no open request to answer "
                           "(record the ask with `coffeechat ask` first)")
        validate.not_before(stamp(on), state.request_at, "the ask it answers", "answer nothing")
        self._add(contact_id, RequestAnswered(answer=answer,  # type: ignore[arg-type]
                                              request=state.request_id), on)
        return self._commit()

    @_one_batch
    def schedule(self, contact: str, at: datetime, minutes: int | None, where: str | None,
                 on: datetime) -> list[Event]:
        """A meeting at ``at``; moving the one scheduled, before it is over, keeps
        its length and place unless given (None: not given; ``where=""``: no place). A
        new one lasts 30 minutes."""
        contact_id = self.contact(contact)
        state = self.state(contact_id)
        if state.scheduled_id is not None:  # (dated before it, this one would count for nothing)
            validate.not_before(stamp(on), state.scheduled_on, "the meeting now scheduled "
                                "was scheduled", "change nothing (the later schedule counts)")
        if state.scheduled_at is not None and not meeting_over(
                state.scheduled_at, state.scheduled_minutes, stamp(on)):
            moved = _scheduled_payload(state)
            if moved is not None:
                minutes = moved.minutes if minutes is None else minutes
                where = moved.where if where is None else where
        payload = MeetingScheduled(at=at, minutes=validate.positive(
                                       30 if minutes is None else minutes, "--minutes",
                                       limit=1440),
                                   where=validate.optional(where, "--where"))
        self._add(contact_id, payload, on)
        return self._commit()

    @_one_batch
    def cancel(self, contact: str, reason: str | None, on: datetime) -> list[Event]:
        """The scheduled meeting is off (its prep item goes; the stage steps back)."""
        contact_id = self.contact(contact)
        state = self.state(contact_id)
        if state.scheduled_id is None:
            raise BadInput(f"CONTACT: {contact_id} has no scheduled meeting to cancel")
        validate.not_before(stamp(on), state.scheduled_on, "the meeting was scheduled",
                            "cancel nothing")
        self._add(contact_id, MeetingCancelled(reason=validate.optional(reason, "--reason"),
                                               meeting=state.scheduled_id), on)
        return self._commit()

    @_one_batch
    def met(self, contact: str, on: datetime, *, notes: str | None = None,
            takeaways: Sequence[str] = (), referrals: Sequence[str] = (),
            commitments: Sequence[Promise] = (), minutes: int | None = None) -> list[Event]:
        """A meeting happened: its notes, takeaways, referrals and my commitments, as one batch."""
        contact_id = self.contact(contact)
        state = self.state(contact_id)
        # The meeting it is, as the fold will read it: what was scheduled by ``on`` (a met
        # dated before a schedule was recorded is not that meeting), not days before it.
        held_at = stamp(on)
        then = fold(state.stream, [r for r in state.events if r.occurred_at <= held_at])
        scheduled = then.scheduled_id if then.scheduled_at is not None and \
            held_as_scheduled(held_at, then.scheduled_at) else None
        held = MeetingHeld(
            notes=validate.text(notes, "--notes") if notes else None,
            takeaways=[validate.text(t, "--takeaway") for t in takeaways],
            minutes=validate.positive(minutes, "--minutes", limit=1440) if minutes else None,
            meeting=scheduled,
        )
        self._add(contact_id, held, on)
        for name in referrals:
            self._referral(contact_id, ContactAdded(name=name), on, prefix="--referral ")
        for promise in commitments:
            self._promise(contact_id, promise, on)
        return self._commit()

    @_one_batch
    def thank(self, contact: str, via: str, on: datetime, *, delivery: str | None = None,
              template: str | None = None) -> Outcome:
        """Record a thank-you (see :meth:`ask` for ``delivery``)."""
        from coffeechat.delivery import Outcome, pick_channel, text_of

        contact_id = self.contact(contact)
        state = self.state(contact_id)
        if _thanks_before_the_meeting(state, stamp(on)):
            validate.not_before(stamp(on), state.last_met_at, "the meeting it thanks for",
                                "not close its thank-you (give the time you sent it)")
        channel = pick_channel(self.channels, via)
        message, receipt = self._deliver("thank", state, channel, delivery, template)
        if delivery == "draft":
            return Outcome([], receipt)
        self._add(contact_id, ThanksSent(channel=channel.name, template=template,
                                         **text_of(message)), on)
        return Outcome(self._commit(), receipt)

    @_one_batch
    def checkin(self, contact: str, via: str, note: str | None, on: datetime, *,
                delivery: str | None = None, template: str | None = None) -> Outcome:
        """Record a check-in (see :meth:`ask` for ``delivery``)."""
        from coffeechat.delivery import Outcome, pick_channel, text_of

        contact_id = self.contact(contact)
        state = self.state(contact_id)
        checked_note = validate.text(note, "--note") if note else None
        channel = pick_channel(self.channels, via)
        message, receipt = self._deliver("checkin", state, channel, delivery, template)
        if delivery == "draft":
            return Outcome([], receipt)
        self._add(contact_id, CheckinDone(channel=channel.name, note=checked_note,
                                          template=template, **text_of(message)), on)
        return Outcome(self._commit(), receipt)

    # -- follow-through -----------------------------------------------------------

    @_one_batch
    def refer(self, contact: str, new: ContactAdded, note: str | None, on: datetime
              ) -> list[Event]:
        """``contact`` introduced me to a new person: add them, linked to the referrer."""
        contact_id = self.contact(contact)
        self._referral(contact_id, new, on, note=validate.optional(note, "--note"))
        return self._commit()

    def _referral(self, referrer: str, new: ContactAdded, on: datetime, *,
                  note: str | None = None, prefix: str = "") -> None:
        payload = self._contact_payload(new, prefix=prefix)
        payload.referred_by = referrer
        self._link_referral(referrer, payload, on, note=note)

    def _link_referral(self, referrer: str, payload: ContactAdded, on: datetime, *,
                       note: str | None = None) -> None:
        """Add the referred contact and record the introduction on the referrer's stream."""
        if payload.how_met is None:
            payload.how_met = f"introduced by {referrer}"
        new_id = self._new_contact_id(payload.name)
        self._add(referrer, ReferralMade(contact=new_id, name=payload.name,
                                         company=payload.company, role=payload.role,
                                         note=note), on)
        self._add(new_id, payload, on)

    @_one_batch
    def commit(self, contact: str, promise: Promise, on: datetime) -> list[Event]:
        contact_id = self.contact(contact)
        self._promise(contact_id, promise, on)
        return self._commit()

    def _promise(self, contact_id: str, promise: Promise, on: datetime) -> None:
        self._add(contact_id, CommitmentMade(text=validate.text(promise.text, "--commitment"),
                                             due=promise.due), on)

    # -- closing follow-ups by hand (coffeechat.closing) ------------------------------
    # (closing and corrections are imported by the commands that use them: the others
    # record without them)

    @_one_batch
    def done(self, target: str, on: datetime | None = None) -> list[Event]:
        """Close an open item (HANDLE) with the event that closes it, or keep a commitment.

        ``on`` is when (default now); a meeting a record-meeting item asks about is
        recorded held at ``on``, or at its scheduled time when ``on`` is not given.
        """
        from coffeechat import closing
        at = on if on is not None else now()
        contact_id, payload = closing.done_event(self.store, target, at, self.state)
        scheduled = self.state(contact_id).scheduled_at if isinstance(payload, MeetingHeld) \
            else None
        if scheduled is not None:  # (a record-meeting item: the meeting took place)
            if stamp(at) < scheduled:
                from coffeechat.clock import local_time

                what = f"--on: {local_time(stamp(at))} is before" if on is not None \
                    else "HANDLE: it is not yet"
                raise BadInput(f"{what} the meeting ({local_time(scheduled)}) that `done` "
                               "would record as held: `skip` sets the item aside, `cancel` "
                               "calls the meeting off")
            at = on if on is not None else from_stamp(scheduled)
        self._add(contact_id, payload, at)
        return self._commit()

    @_one_batch
    def skip(self, target: str, reason: str | None, on: datetime) -> list[Event]:
        """Dismiss an open item without doing it (HANDLE, or its cause event id)."""
        from coffeechat import closing
        item = closing.named(self.store.conn, target, self.state)
        self._add(item.contact, FollowupSkipped(kind=item.kind, event=item.event,
                                                reason=validate.optional(reason, "--reason")), on)
        return self._commit()

    @_one_batch
    def snooze(self, target: str, until: datetime, on: datetime) -> list[Event]:
        """Put an open item off: due again at ``until`` (HANDLE, or its cause event id)."""
        from coffeechat import closing
        item = closing.named(self.store.conn, target, self.state, until=until)
        self._add(item.contact, FollowupSnoozed(kind=item.kind, event=item.event, until=until),
                  on)
        return self._commit()

    # -- corrections ----------------------------------------------------------------

    @_one_batch
    def undo(self, event_id: str | None, on: datetime, *, batch: str | None = None
             ) -> list[Event]:
        """Retract the given event, a whole batch, or the last batch still in effect."""
        from coffeechat.corrections import undo_targets
        targets = undo_targets(self.store, self.projector, event_id, batch, self.state)
        for target in targets:
            self._batch.append(NewEvent(stream=target.stream, occurred_at=stamp(on),
                                        payload=EventRetracted(target=target.id)))
            self._expected.setdefault(target.stream, self.store.stream_version(target.stream))
        return self._commit()

def _tags(values: Sequence[str], where: str) -> list[str]:
    tags = []
    for value in values:
        tag = validate.one_line(value, where, limit=60, required=True).lower()
        if tag not in tags:
            tags.append(tag)
    return tags
