"""What happened with each person, read from the log for ``stats`` and ``report``.

:func:`histories` folds every contact once (a contact merged into another is
part of that one, so it counts once; undone events are gone, as in every
view) and turns its live events into a :class:`History`: each ask with what
answered it, each meeting with its thank-you, each promise with when it was
kept, the check-ins that fell due, the introductions. Only events that
happened by ``until`` count, and with ``recorded_by`` only those recorded by
then (``--as-of``). Times are stored stamps (UTC text, which sorts as time).

The rules, in words (docs/user-guide.md says them for users):

- an ask is a ``request.sent`` that is not a nudge; what happens after it and
  before the next ask belongs to it;
- it is *answered* by the first ``request.answered``, ``reply.received`` (an
  auto-reply does not count), ``meeting.scheduled`` or ``meeting.held`` after
  it, and *accepted* by a yes or a meeting;
- a thank-you is on time when it went out within 24 real hours of the meeting
  (the first thank-you after a meeting, before the next one, is its); a meeting
  whose thank-you item was skipped, and none sent, is skipped, not still to thank;
  an occurrence of a recurring invitation (a weekly call) asks for no thanks;
- a promise without a due date is due ``commitment_days`` after it was made;
- a check-in falls due a cadence after each touch (from the first meeting on)
  that no other touch followed within the cadence (the contact's ideal gap:
  its cadence, else its tightest keep-in-touch tier, else ``checkin_days``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

import apsw

from coffeechat.clock import from_stamp, stamp
from coffeechat.codec import readable_payload
from coffeechat.config import FollowupRules
from coffeechat.contact_state import ContactState, Row
from coffeechat.events import (
    CheckinDone,
    CommitmentDone,
    CommitmentMade,
    MeetingHeld,
    MeetingScheduled,
    Payload,
    ReferralMade,
    ReplyReceived,
    RequestAnswered,
    RequestSent,
    ThanksSent,
)
from coffeechat.fold import fold
from coffeechat.keep_in_touch import gaps
from coffeechat.projections.folding import contact_streams, fold_family, links
from coffeechat.projections.merges import roots
from coffeechat.replies import automatic_subject
from coffeechat.rules import KEPT_IN_TOUCH, after_days
from coffeechat.stages import Kind

# Types whose time is all that counts here: not decoded (a row the fold kept is usable).
_HELD, _SCHEDULED = MeetingHeld.type_name, MeetingScheduled.type_name
_THANKS, _CHECKIN = ThanksSent.type_name, CheckinDone.type_name
_TIME_ONLY = frozenset((_HELD, _SCHEDULED, _THANKS, _CHECKIN))
THANKS_HOURS = 24  # "thank within 24 hours": real hours, whatever the settings say


@dataclass
class Ask:
    at: str
    channel: str
    template: str | None
    answered_at: str | None = None  # the first answer (None: none by `until`)
    wait_hours: float = 0.0  # from the ask to that answer
    accepted: bool = False  # a yes, or a meeting, came of it
    declined: bool = False


@dataclass
class Meeting:
    at: str
    thanked_at: str | None = None  # its thank-you (None: none yet)
    id: str = ""  # its meeting.held event
    skipped: bool = False  # its thank-you item was skipped (by ``until``), none sent
    series: bool = False  # an occurrence of a recurring invitation: no thank-you asked for

    @property
    def thanked_on_time(self) -> bool:
        return self.thanked_at is not None and \
            from_stamp(self.thanked_at) - from_stamp(self.at) <= timedelta(hours=THANKS_HOURS)


class CheckinDue(NamedTuple):
    """A check-in that fell due, and how it ended."""

    at: str
    caught_up: str | None  # the touch that caught up (None: none by then)
    skipped: bool = False  # set aside with `skip` instead


@dataclass
class Promise:
    at: str
    due: str
    kept_at: str | None = None


@dataclass
class History:
    """One person's facts (contacts merged into them included)."""

    id: str
    name: str
    tags: list[str]
    added_at: str | None
    asks: list[Ask] = field(default_factory=list)
    nudges: list[str] = field(default_factory=list)  # when each nudge went out
    scheduled: list[str] = field(default_factory=list)  # when each meeting was scheduled
    meetings: list[Meeting] = field(default_factory=list)
    checkins: list[str] = field(default_factory=list)  # when each check-in was done
    checkins_due: list[CheckinDue] = field(default_factory=list)
    promises: list[Promise] = field(default_factory=list)
    referrals: list[tuple[str, str]] = field(default_factory=list)  # (when, the person's id)


def histories(db: apsw.Connection, until: str, *, recorded_by: str | None = None,
              rules: FollowupRules | None = None) -> tuple[list[History], dict[str, str]]:
    """Every person's history up to ``until``, and the merged-away ids → the id they became."""
    rules = rules or FollowupRules()
    merged_into = roots(links(db, recorded_by))
    found = [history(state, until, rules, standing)
             for state, standing in _folded(db, merged_into, recorded_by)]
    return found, merged_into


class Standing:
    """How a contact stood for check-ins over time, noted as the fold goes (a fold
    ``step``): from each change on, whether check-ins were due at all (met or keeping
    in touch, not archived, as ``due`` has it) and the cadence and tags that set their gap.
    """

    def __init__(self) -> None:
        self.changes: list[tuple[str, bool, int | None, tuple[str, ...]]] = []

    def __call__(self, row: Row, state: ContactState) -> None:
        now = (state.stage in KEPT_IN_TOUCH and not state.archived, state.cadence_days,
               tuple(state.tags))  # (a copy: the fold may change its list in place)
        if not self.changes or self.changes[-1][1:] != now:
            self.changes.append((row.occurred_at, *now))

    def spans(self, rules: FollowupRules) -> list[tuple[str, bool, int]]:
        """(from when, whether check-ins were due, their ideal gap in days), in order."""
        return [(at, kept, gaps(rules, cadence, tags).ideal)
                for at, kept, cadence, tags in self.changes]


def _folded(db: apsw.Connection, merged_into: dict[str, str], recorded_by: str | None
            ) -> Iterator[tuple[ContactState, Standing]]:
    """Each contact folded once, with the contacts merged into it (the log read once)."""
    families = {f"contact:{c}" for c in {*merged_into, *merged_into.values()}}
    for stream, rows, _read in contact_streams(db, recorded_by):
        if stream not in families:
            standing = Standing()
            yield fold(stream, rows, standing), standing
    for root in sorted(set(merged_into.values()) - set(merged_into)):
        aliases = sorted(a for a, r in merged_into.items() if r == root)
        standing = Standing()
        yield fold_family(db, root, aliases, recorded_by, standing), standing


def history(state: ContactState, until: str, rules: FollowupRules, standing: Standing
            ) -> History:
    """One folded contact's facts, from its live events that happened by ``until``
    (``standing``: how it stood over time, noted as it was folded)."""
    found = History(state.id, state.name, list(state.tags),
                    state.added_at if state.added_at and state.added_at <= until else None)
    ask: Ask | None = None
    meeting: Meeting | None = None
    promises: dict[str, Promise] = {}
    touches: list[tuple[str, str]] = []  # (when, the event's id)
    for row in state.events:
        if row.occurred_at > until:
            break  # (oldest first)
        at = row.occurred_at
        kind = row.type
        if kind in _TIME_ONLY:  # (no need to decode what only its time tells)
            if kind == _HELD:
                if ask is not None:
                    _answers(ask, None, at)
                if meeting is None or meeting.at != at:  # (at one time: one meeting, as
                    # the fold counts it, however many times it was recorded)
                    meeting = Meeting(at, id=row.id, series=row.id in state.series_held)
                    found.meetings.append(meeting)
            elif kind == _SCHEDULED:
                if ask is not None:
                    _answers(ask, None, at)
                found.scheduled.append(at)
            elif kind == _THANKS:
                if meeting is not None and meeting.thanked_at is None:
                    meeting.thanked_at = at
            else:
                found.checkins.append(at)
            if found.meetings:
                touches.append((at, row.id))
            continue
        payload = readable_payload(row.type, row.schema, row.data)
        if payload is None:
            continue
        if isinstance(payload, RequestSent):
            if payload.nudge and ask is not None and ask.answered_at is None:
                found.nudges.append(at)
            else:
                ask = Ask(at, payload.channel, payload.template)
                found.asks.append(ask)
        elif isinstance(payload, RequestAnswered | ReplyReceived) and ask is not None:
            _answers(ask, payload, at)
        elif isinstance(payload, CommitmentMade):
            due = stamp(payload.due) if payload.due is not None else \
                after_days(at, rules.commitment_days)
            promises[row.id] = Promise(at, due)
        elif isinstance(payload, CommitmentDone):
            promise = promises.get(payload.commitment)
            if promise is not None and promise.kept_at is None:
                promise.kept_at = at
        elif isinstance(payload, ReferralMade):
            found.referrals.append((at, payload.contact))
        if payload.touch and found.meetings:
            touches.append((at, row.id))
    for held in found.meetings:  # (a thank-you skipped is not one still to send)
        skip = state.skipped.get((Kind.THANK_YOU, held.id))
        held.skipped = held.thanked_at is None and skip is not None and skip[1] <= until
    found.promises = list(promises.values())
    skips = {cause: skip for (kind, cause), skip in state.skipped.items()
             if kind == Kind.CHECK_IN}
    found.checkins_due = _checkins_due(touches, until, standing.spans(rules), skips)
    return found


def _answers(ask: Ask, payload: Payload | None, at: str) -> None:
    """What an event after an ask says of it (None: a meeting scheduled or held)."""
    if isinstance(payload, ReplyReceived) and automatic_subject(payload.subject):
        return  # an out-of-office is no answer
    if ask.answered_at is None:
        ask.answered_at = at
        ask.wait_hours = hours_between(ask.at, at)
    if isinstance(payload, RequestAnswered):
        ask.accepted = ask.accepted or payload.answer == "accepted"
        ask.declined = payload.answer == "declined" and not ask.accepted
    elif payload is None:
        ask.accepted, ask.declined = True, False


def hours_between(start: str, end: str) -> float:
    """Real hours from one stored stamp to another."""
    return (from_stamp(end) - from_stamp(start)).total_seconds() / 3600


def _checkins_due(touches: list[tuple[str, str]], until: str,
                  spans: list[tuple[str, bool, int]], skips: dict[str, tuple[str, str]]
                  ) -> list[CheckinDue]:
    """Each check-in that fell due by ``until``: when, and the touch that caught up (None:
    none yet), or that it was skipped (``skips``: the cause skipped → (the skip's id, when)).

    A check-in falls due the first moment after a touch that is its ideal gap after it,
    by the cadence of that moment, while check-ins are due at all (``spans``): a
    cadence set later does not change an earlier gap, and an archived contact's fall
    due no more. A skipped one is settled, and the next falls due a gap after the skip,
    as ``due`` has it.
    """
    due: list[CheckinDue] = []
    for n, (touch, touch_id) in enumerate(touches):
        following = touches[n + 1][0] if n + 1 < len(touches) else None
        since, cause = touch, touch_id
        for _round in range(1000):  # (each skip is an event: a log holds few of them)
            falls = _falls_due(since, spans)
            if falls is None or falls > until or (following is not None and following <= falls):
                break
            skip = skips.get(cause)
            if skip is not None and skip[1] <= until and (following is None
                                                            or skip[1] < following):
                due.append(CheckinDue(falls, None, True))
                cause, since = skip
                continue
            due.append(CheckinDue(falls, following, False))
            break
    return due


def _falls_due(touch: str, spans: list[tuple[str, bool, int]]) -> str | None:
    """When a check-in falls due after ``touch`` with no touch since (None: never, as the
    spans go). A span counts from its start to the next one's."""
    for n, (start, kept, days) in enumerate(spans):
        end = spans[n + 1][0] if n + 1 < len(spans) else None
        if not kept or (end is not None and end <= touch):
            continue
        falls = max(after_days(touch, days), start)
        if end is None or falls < end:
            return falls
    return None

