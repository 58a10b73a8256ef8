"""Follow-up rules: from a contact's folded state to the items that are due.

Each rule looks at one :class:`~coffeechat.fold.ContactState` and yields
:class:`FollowUp` items with a due time. Whether an item is overdue is judged
later, at read time, against the clock (or ``--as-of``): the items themselves
do not depend on "now", so the follow-ups projection never goes stale as time
passes. An item may carry ``expires_at`` (prep is moot once the meeting starts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import NamedTuple

from coffeechat.clock import from_stamp, local_day, local_time, stamp
from coffeechat.config import FollowupRules
from coffeechat.fold import ContactState
from coffeechat.limits import EARLIEST, EARLIEST_STAMP, LATEST, LATEST_STAMP
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
_KEPT_IN_TOUCH = frozenset((Stage.MET, Stage.KEEPING_IN_TOUCH))

Rule = Callable[[ContactState, FollowupRules], Iterator[FollowUp]]
ExtraRule = Callable[[ContactState], Iterable[FollowUp]]  # a plugin's rule


def _after(moment: str, **delta: float) -> str:
    """``moment`` moved by ``delta``; clamped to the window of dates the log keeps.

    Stored times lie in that window and delays are at most 100 years, so the
    clamp only matters for a row that validation missed: it must not overflow.
    """
    try:
        moved = from_stamp(moment) + timedelta(**delta)
    except (OverflowError, ValueError):
        return LATEST_STAMP if sum(delta.values()) > 0 else EARLIEST_STAMP
    return stamp(min(max(moved, EARLIEST), LATEST))


def thank_you(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """Thank within ``thank_you_hours`` of the latest meeting, unless already thanked."""
    met = state.last_met_at
    if met and state.last_met_id and (state.thanked_at is None or state.thanked_at < met):
        due = _after(met, hours=rules.thank_you_hours)
        yield FollowUp(state.id, Kind.THANK_YOU, due, "met on {day}", state.last_met_id,
                       anchor=met)


def nudge(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """One nudge ``nudge_days`` after an ask that has had no answer."""
    if state.request_open and state.nudged_at is None and state.request_at and state.request_id:
        due = _after(state.request_at, days=rules.nudge_days)
        yield FollowUp(state.id, Kind.NUDGE, due, "asked on {day}, no answer yet",
                       state.request_id, anchor=state.request_at)


def unanswered_at(state: ContactState, rules: FollowupRules) -> str | None:
    """When an ask that was nudged and still has no answer counts as unanswered."""
    if state.stage == Stage.ASKED and state.request_open and state.nudged_at:
        return _after(state.nudged_at, days=rules.nudge_days)
    return None


def prep(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """Prepare ``prep_hours`` before a scheduled meeting; moot once it starts."""
    if state.scheduled_at and state.scheduled_on and state.scheduled_id:
        due = max(_after(state.scheduled_at, hours=-rules.prep_hours), state.scheduled_on)
        yield FollowUp(state.id, Kind.PREP, due, "meeting on {time}", state.scheduled_id,
                       expires_at=state.scheduled_at, anchor=state.scheduled_at)


def commitments(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """Each open promise, due on its date (or ``commitment_days`` after it was made)."""
    for c in state.commitments.values():
        due = c.due or _after(c.made_at, days=rules.commitment_days)
        yield FollowUp(state.id, Kind.COMMITMENT, due, f"promised: {c.text}", c.id, commitment=c.id)


def referral_outreach(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """Reach out to someone we were introduced to, within ``referral_days``."""
    if state.referred_by and not state.asked and not state.meetings and state.added_at:
        due = _after(state.added_at, days=rules.referral_days)
        reason = f"introduced by {state.referred_by} on {{day}}"
        yield FollowUp(state.id, Kind.REFERRAL_OUTREACH, due, reason, state.added_id or "",
                       anchor=state.added_at)


def check_in(state: ContactState, rules: FollowupRules) -> Iterator[FollowUp]:
    """Keep in touch: the contact's cadence (or ``checkin_days``) after the last touch."""
    if state.stage in _KEPT_IN_TOUCH and state.last_touch_at and state.last_touch_id:
        days = state.cadence_days or rules.checkin_days
        due = _after(state.last_touch_at, days=days)
        yield FollowUp(state.id, Kind.CHECK_IN, due, "last touch on {day}", state.last_touch_id,
                       anchor=state.last_touch_at)


BUILTIN_RULES: tuple[Rule, ...] = (
    thank_you, nudge, prep, commitments, referral_outreach, check_in,
)


def reason_text(reason: str, anchor: str | None) -> str:
    """A stored reason with its ``{day}``/``{time}`` shown in the local time zone."""
    if anchor is None:
        return reason
    if "{day}" in reason:
        reason = reason.replace("{day}", local_day(anchor))
    if "{time}" in reason:
        reason = reason.replace("{time}", local_time(anchor))
    return reason


def due_items(state: ContactState, rules: FollowupRules,
              extra: tuple[ExtraRule, ...] = ()) -> list[FollowUp]:
    """All open follow-ups for one contact (none once it is archived)."""
    if state.archived:
        return []
    items: list[FollowUp] = []
    for rule in BUILTIN_RULES:
        items.extend(rule(state, rules))
    for plugin_rule in extra:
        items.extend(plugin_rule(state))
    return items
