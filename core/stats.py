"""How networking is going: the figures of ``stats`` and the ``report``, from the log.

:func:`figures` reads each person's history (:mod:`coffeechat.history`) and
counts what happened between ``since`` and ``until`` (stored stamps; ``since``
None: from the start). The result is the document ``stats --json`` prints,
shaped as docs/user-guide.md ("How is it going") describes:

- ``funnel``: people at each step, the steps of the CLI contract in order;
  ``rate`` is the count over the previous step's (None where that is 0);
- ``replies``: asks made in the window, answered and accepted, with the median
  hours to the answer, overall and by channel, template, month and tag;
- ``follow_through``: thank-yous, promises and check-ins;
- ``referrals``: per introducer, the people introduced, how many you met, and
  how deep their branch of the referral tree goes;
- ``activity``: asks, nudges, meetings and check-ins per (ISO, local) week.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import apsw

from coffeechat.clock import local_day
from coffeechat.config import FollowupRules
from coffeechat.history import Ask, History, histories, hours_between

FUNNEL_STEPS = ("added", "asked", "answered", "accepted", "scheduled", "met",
                "thanked_on_time", "referrals", "referrals_met")
BREAKDOWNS = ("channel", "template", "month", "tag")
NO_TEMPLATE, NO_TAG = "(none)", "(no tag)"



def wait_words(hours: float | None) -> str:
    """A median wait as people say it: ``5.5 h`` under two days, else ``2.5 d`` ("" for none)."""
    if hours is None:
        return ""
    return f"{hours:g} h" if hours < 48 else f"{hours / 24:.1f} d"

def figures(db: apsw.Connection, *, since: str | None, until: str,
            recorded_by: str | None = None, rules: FollowupRules | None = None
            ) -> dict[str, Any]:
    """Every figure of ``stats --json`` for the window [since, until]."""
    people, merged_into = histories(db, until, recorded_by=recorded_by, rules=rules)
    return from_histories(people, merged_into, since=since, until=until,
                          as_of=recorded_by)


def from_histories(people: list[History], merged_into: dict[str, str], *, since: str | None,
                   until: str, as_of: str | None = None) -> dict[str, Any]:
    """The figures for the window, from histories read up to ``until``."""
    def inside(at: str | None) -> bool:
        return at is not None and (since is None or at >= since) and at <= until

    person = {p.id: p for p in people}
    first_met = {p.id: p.meetings[0].at for p in people if p.meetings}
    asks = [(p, a) for p in people for a in p.asks if inside(a.at)]
    return {
        "since": since, "until": until, "as_of": as_of,
        "funnel": _funnel(people, asks, inside, merged_into, first_met),
        "replies": _replies(asks),
        "follow_through": _follow_through(people, inside, until),
        "referrals": _referral_yield(people, person, inside, merged_into, first_met),
        "activity": _activity(people, inside, since, until),
    }


def rate(count: int, of: int) -> float | None:
    """``count / of`` to four places; None when ``of`` is 0."""
    return round(count / of, 4) if of else None


def _funnel(people: list[History], asks: list[tuple[History, Ask]],
            inside: Callable[[str | None], bool], merged_into: dict[str, str],
            first_met: dict[str, str]) -> list[dict[str, Any]]:
    introduced = {merged_into.get(c, c) for p in people for at, c in p.referrals if inside(at)}
    counts = {
        "added": sum(inside(p.added_at) for p in people),
        "asked": len({p.id for p, _ in asks}),
        "answered": len({p.id for p, a in asks if a.answered_at}),
        "accepted": len({p.id for p, a in asks if a.accepted}),
        "scheduled": sum(any(inside(at) for at in p.scheduled) for p in people),
        "met": sum(any(inside(m.at) for m in p.meetings) for p in people),
        "thanked_on_time": sum(any(inside(m.at) and m.thanked_on_time for m in p.meetings)
                               for p in people),
        "referrals": len(introduced),
        "referrals_met": len(introduced & first_met.keys()),
    }
    steps, previous = [], None
    for step in FUNNEL_STEPS:
        count = counts[step]
        steps.append({"step": step, "count": count,
                      "rate": None if previous is None else rate(count, previous)})
        previous = count
    return steps


def _replies(asks: list[tuple[History, Ask]]) -> dict[str, Any]:
    keys: dict[str, Callable[[History, Ask], Iterable[str]]] = {
        "channel": lambda _p, a: [a.channel],
        "template": lambda _p, a: [a.template or NO_TEMPLATE],
        "month": lambda _p, a: [local_day(a.at)[:7]],
        "tag": lambda p, _a: p.tags or [NO_TAG],
    }
    found: dict[str, Any] = {"overall": _reply_group(None, [a for _p, a in asks])}
    for by, key in keys.items():
        groups: dict[str, list[Ask]] = {}
        for p, a in asks:
            for k in key(p, a):
                groups.setdefault(k, []).append(a)
        rows = [_reply_group(k, group) for k, group in groups.items()]
        order = (lambda r: r["key"]) if by == "month" else (lambda r: (-r["asked"], r["key"]))
        found[f"by_{by}"] = sorted(rows, key=order)
    return found


def _reply_group(key: str | None, asks: list[Ask]) -> dict[str, Any]:
    waits = [a.wait_hours for a in asks if a.answered_at]
    answered = len(waits)
    group: dict[str, Any] = {} if key is None else {"key": key}
    group.update(asked=len(asks), answered=answered,
                 accepted=sum(a.accepted for a in asks), declined=sum(a.declined for a in asks),
                 rate=rate(answered, len(asks)), median_hours=_median(waits))
    return group


def _follow_through(people: list[History], inside: Callable[[str | None], bool], until: str
                    ) -> dict[str, Any]:
    # (an occurrence of a recurring invitation, a weekly call, asks for no thank-you)
    meetings = [m for p in people for m in p.meetings if inside(m.at) and not m.series]
    on_time = [m for m in meetings if m.thanked_on_time]
    thanked = [m for m in meetings if m.thanked_at]
    skipped = sum(m.skipped for m in meetings)
    promises = [c for p in people for c in p.promises if inside(c.at)]
    kept = [c for c in promises if c.kept_at]
    kept_on_time = sum(c.kept_at is not None and c.kept_at <= c.due for c in kept)
    open_ = [c for c in promises if not c.kept_at]
    fell_due = [d for p in people for d in p.checkins_due if inside(d.at)]
    caught_up = sum(d.caught_up is not None for d in fell_due)
    set_aside = sum(d.skipped for d in fell_due)
    return {
        "thanks": {
            "meetings": len(meetings), "on_time": len(on_time),
            "late": len(thanked) - len(on_time), "skipped": skipped,
            "not_yet": len(meetings) - len(thanked) - skipped,
            "on_time_share": rate(len(on_time), len(meetings)),
            "median_hours": _median([hours_between(m.at, m.thanked_at) for m in thanked
                                     if m.thanked_at]),
        },
        "commitments": {
            "made": len(promises), "kept_on_time": kept_on_time,
            "kept_late": len(kept) - kept_on_time, "open": len(open_),
            "overdue": sum(c.due < until for c in open_),
        },
        "checkins": {
            "done": sum(inside(at) for p in people for at in p.checkins),
            "fell_due": len(fell_due), "caught_up": caught_up, "skipped": set_aside,
            "still_due": len(fell_due) - caught_up - set_aside,
        },
    }


def _referral_yield(people: list[History], person: dict[str, History],
                    inside: Callable[[str | None], bool], merged_into: dict[str, str],
                    first_met: dict[str, str]) -> list[dict[str, Any]]:
    children: dict[str, set[str]] = {}
    for p in people:
        for _at, c in p.referrals:
            child = merged_into.get(c, c)
            if child != p.id:
                children.setdefault(p.id, set()).add(child)
    depth_of: dict[str, int] = {}

    def depth(contact_id: str, seen: frozenset[str]) -> int:
        if contact_id not in depth_of:
            below = [depth(c, seen | {c}) for c in children.get(contact_id, ()) if c not in seen]
            depth_of[contact_id] = 1 + max(below, default=0) if contact_id in children else 0
        return depth_of[contact_id]

    rows = []
    for p in people:
        introduced = {merged_into.get(c, c) for at, c in p.referrals if inside(at)} - {p.id}
        if not introduced:
            continue
        rows.append({
            "contact": p.id, "name": p.name, "introductions": len(introduced),
            "met": len(introduced & first_met.keys()),
            "names": sorted((person[c].name if c in person else c) for c in introduced),
            "depth": depth(p.id, frozenset({p.id})),
        })
    return sorted(rows, key=lambda r: (-r["introductions"], -r["met"], r["name"].lower()))


def _activity(people: list[History], inside: Callable[[str | None], bool], since: str | None,
              until: str) -> list[dict[str, Any]]:
    kinds = {"asks": [a.at for p in people for a in p.asks],
             "nudges": [at for p in people for at in p.nudges],
             "meetings": [m.at for p in people for m in p.meetings],
             "checkins": [at for p in people for at in p.checkins]}
    weeks: dict[date, dict[str, int]] = {}
    for kind, times in kinds.items():
        for at in times:
            if inside(at):
                week = weeks.setdefault(_monday(at), dict.fromkeys(kinds, 0))
                week[kind] += 1
    if not weeks:
        return []
    first = _monday(since) if since else min(weeks)
    last = _monday(until)
    found, day = [], first
    while day <= last:
        counts = weeks.get(day, dict.fromkeys(kinds, 0))
        year, number, _ = day.isocalendar()
        found.append({"week": f"{year}-W{number:02d}", "start": day.isoformat(), **counts})
        day += timedelta(days=7)
    return found


def _monday(at: str) -> date:
    return _monday_of(local_day(at))


@lru_cache(maxsize=4096)
def _monday_of(local: str) -> date:
    day = date.fromisoformat(local)
    return day - timedelta(days=day.weekday())


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None
