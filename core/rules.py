"""Follow-up rules: from a contact's folded state to the items that are due.

Each rule looks at one :class:`~coffeechat.fold.ContactState` and yields
:class:`FollowUp` items with a due time. Whether an item is overdue is judged
later, at read time, against the clock (or ``--as-of``): the items themselves
do not depend on "now", so the follow-ups projection never goes stale as time
passes. An item may carry ``expires_at`` (prep is moot once the meeting starts).

An item is known by its kind and the event that caused it: :func:`due_items`
leaves out the items closed by hand (``followup.done``, ``followup.skipped``)
and moves snoozed ones, whichever rule made them. Delays in days are calendar
days in the local time zone (:func:`coffeechat.clock.after_days`); delays in hours are
real hours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from coffeechat.clock import after_days as after_days  # (rules and readers import it here)
from coffeechat.clock import moved_by as _after
from coffeechat.config import FollowupRules
from coffeechat.contact_state import sealed_copy
from coffeechat.fold import ContactState
from coffeechat.keep_in_touch import ideal_days

# (a reason's placeholders live in coffeechat.reasons, so due reads them without the
# rules; importing them from here still works)
from coffeechat.reasons import name_of as name_of
from coffeechat.reasons import named_contacts as named_contacts
from coffeechat.reasons import reason_text as reason_text
from coffeechat.stages import Kind, Stage


class FollowUp(NamedTuple):
    """An open follow-up. In ``reason``, ``{day}`` and ``{time}`` stand for ``anchor``
    shown in the reader's time zone (filled in when the view is read)."""

    contact: str
    kind: str  # a Kind, or a plugin's own
    due_at: str
    reason: str
    event: str
    expires_at: str | None = None
    commitment: str | None = None
    anchor: str | None = None  # the stored time the reason speaks of


# The stages at which a contact gets check-ins.
KEPT_IN_TOUCH = frozenset((Stage.MET, Stage.KEEPING_IN_TOUCH))

Rule = Callable[[ContactState, FollowupRules], Iterator[FollowUp]]
ExtraRule = Callable[[ContactState], Iterable[FollowUp]]  # a plugin's rule


def thank_you(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """Thank within ``thank_you_hours`` of the latest meeting, unless already thanked, or
    it was an occurrence of a recurring invitation (a weekly call asks for no thanks)."""
    met = state.last_met_at
    if met and state.last_met_id and state.last_met_id not in state.series_held \
            and (state.thanked_at is None or state.thanked_at < met):
        due = _after(met, hours=rules.thank_you_hours)
        yield FollowUp(state.id, Kind.THANK_YOU, due, "met on {day}", state.last_met_id,
                       anchor=met)


def nudge(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """One nudge ``nudge_days`` after an ask that has had no answer."""
    if state.request_open and state.nudged_at is None and state.request_at and state.request_id:
        due = after_days(state.request_at, rules.nudge_days)
        yield FollowUp(state.id, Kind.NUDGE, due, "asked on {day}, no answer yet",
                       state.request_id, anchor=state.request_at)


def unanswered_at(state: ContactState, rules: FollowupRules) -> str | None:
    """When an ask that was nudged and still has no answer counts as unanswered.

    A nudge you chose to skip counts as the nudge: the wait starts from the skip.
    """
    if state.stage == Stage.ASKED and state.request_open and state.request_id:
        nudged = state.nudged_at
        if nudged is None:
            skip = state.skipped.get((Kind.NUDGE, state.request_id))
            nudged = skip[1] if skip is not None else None
        if nudged:
            return after_days(nudged, rules.nudge_days)
    return None


def unanswered(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """Once an ask counts as unanswered, say so once: archive, or try another channel."""
    at = unanswered_at(state, rules)
    if at is not None and state.request_id and state.request_at:
        yield FollowUp(state.id, Kind.UNANSWERED, at,
                       "asked on {day} and nudged; no answer yet? archive, or try another channel",
                       state.request_id, anchor=state.request_at)


_NOT_MET = (Stage.PROSPECT, Stage.ASKED)  # (accepted has its own item; declined: none)


def schedule(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """They said yes, or the meeting was called off before you met: send times within
    ``schedule_days`` of the later of the two, until a meeting is scheduled (or held)."""
    yes_at, yes_id = state.accepted_at, state.accepted_id
    said_yes = state.stage == Stage.ACCEPTED and yes_at is not None and yes_id is not None
    off_at, off_id = state.called_off_at, state.called_off_id
    if off_at is not None and off_id is not None and (
            (said_yes and yes_at is not None and yes_at <= off_at)  # a yes, then called off
            or (state.stage in _NOT_MET and not state.request_open)):  # (an ask open: its nudge)
        yield FollowUp(state.id, Kind.SCHEDULE, after_days(off_at, rules.schedule_days),
                       "meeting cancelled on {day}, not rebooked", off_id, anchor=off_at)
    elif said_yes and yes_at is not None and yes_id is not None:
        yield FollowUp(state.id, Kind.SCHEDULE, after_days(yes_at, rules.schedule_days),
                       "said yes on {day}, no meeting scheduled", yes_id, anchor=yes_at)


def prep(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """Prepare ``prep_hours`` before a scheduled meeting; moot once it starts."""
    if state.scheduled_at and state.scheduled_on and state.scheduled_id \
            and state.scheduled_id not in state.prepared:
        due = max(_after(state.scheduled_at, hours=-rules.prep_hours), state.scheduled_on)
        yield FollowUp(state.id, Kind.PREP, due, _meeting_on(state), state.scheduled_id,
                       expires_at=state.scheduled_at, anchor=state.scheduled_at)


def _meeting_on(state: ContactState) -> str:
    """The scheduled meeting in a reason: its time, shown locally; an all-day one's day."""
    if state.scheduled_all_day and state.scheduled_at:
        return f"meeting on {state.scheduled_at[:10]} (all day)"  # (its day in UTC)
    return "meeting on {time}"


def record_meeting(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """Once a scheduled meeting is over and neither held (``met``) nor cancelled, say
    which: otherwise its thank-you is never asked for. Due when it was to end."""
    if state.scheduled_at and state.scheduled_id:
        end = _after(state.scheduled_at, minutes=state.scheduled_minutes)
        yield FollowUp(state.id, Kind.RECORD_MEETING, end,
                       f"{_meeting_on(state)}: held? done or met if so, cancel if not",
                       state.scheduled_id, anchor=state.scheduled_at)


def commitments(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """Each open promise, due on its date (or ``commitment_days`` after it was made)."""
    for c in state.commitments.values():
        due = c.due or after_days(c.made_at, rules.commitment_days)
        yield FollowUp(state.id, Kind.COMMITMENT, due, f"promised: {c.text}", c.id, commitment=c.id)


def referral_outreach(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """Reach out to someone we were introduced to, within ``referral_days``."""
    if state.referred_by and not state.asked and not state.meetings and state.added_at \
            and not state.scheduled_id and not state.called_off_id:  # (booked; or rebook)
        since = state.referred_at or state.added_at  # (the day they were introduced)
        due = after_days(since, rules.referral_days)
        reason = f"introduced by {name_of(state.referred_by)} on {{day}}"
        yield FollowUp(state.id, Kind.REFERRAL_OUTREACH, due, reason, state.added_id or "",
                       anchor=since)


def reach_out(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """Someone you added yourself and never contacted: reach out within ``reach_out_days``.

    Referred people get ``referral-outreach`` instead; imported contacts are an
    address book, not a to-do list: none, unless tagged with one of ``reach_out_tags``.
    """
    if state.referred_by or state.asked or state.meetings or state.last_touch_at \
            or state.scheduled_id or state.stage != Stage.PROSPECT \
            or not state.added_at or not state.added_id:
        return
    if state.hand_added_at is None:
        wanted = {tag.lower() for tag in rules.reach_out_tags}
        if not wanted or not any(tag.lower() in wanted for tag in state.tags):
            return
    added = state.hand_added_at or state.added_at  # (you added them then: an import earlier)
    yield FollowUp(state.id, Kind.REACH_OUT, after_days(added, rules.reach_out_days),
                   "added on {day}, not contacted yet", state.added_id, anchor=added)


def check_in(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """Keep in touch: the contact's ideal gap after the last touch (its cadence, else
    its tightest ``[keep_in_touch]`` tier, else ``checkin_days``: coffeechat.keep_in_touch).

    Skipping a check-in skips that round only: the next is due a cadence after the skip.
    """
    if state.stage in KEPT_IN_TOUCH and state.last_touch_at and state.last_touch_id:
        days = ideal_days(state, rules)
        since, cause, reason = state.last_touch_at, state.last_touch_id, "last touch on {day}"
        for _round in range(1000):  # (each skip is an event: a log holds few of them)
            skip = state.skipped.get((Kind.CHECK_IN, cause))
            if skip is None:
                break
            cause, since = skip
            reason = "check-in skipped on {day}"
        yield FollowUp(state.id, Kind.CHECK_IN, after_days(since, days), reason, cause,
                       anchor=since)


BUILTIN_RULES: tuple[Rule, ...] = (
    thank_you, nudge, unanswered, schedule, prep, record_meeting, commitments,
    referral_outreach, reach_out, check_in,
)


def due_items(state: ContactState, rules: FollowupRules,
              extra: tuple[ExtraRule, ...] = ()) -> list[FollowUp]:
    """All open follow-ups for one contact (none once it is archived).

    Items closed by hand are left out, built-in or a plugin's: done
    (``followup.done``) or skipped; a snoozed one is due at the snooze's time
    at the earliest. Each is known by its kind and the event that caused it.
    """
    if state.archived:
        return []
    items: list[FollowUp] = []
    for rule in BUILTIN_RULES:
        items.extend(rule(state, rules))
    if extra:
        seen = sealed_copy(state)  # (a plugin's rule reads the contact; it cannot change it)
        for plugin_rule in extra:
            items.extend(plugin_rule(seen))
    if state.closed or state.skipped or state.snoozed:
        items = _settled(items, state)
    return items


def _settled(items: list[FollowUp], state: ContactState) -> list[FollowUp]:
    kept = []
    for item in items:
        key = (item.kind, item.event)
        if key in state.closed or key in state.skipped:
            continue
        until = state.snoozed.get(key)
        if until is not None and until > item.due_at:
            item = item._replace(due_at=until)
        kept.append(item)
    return kept
