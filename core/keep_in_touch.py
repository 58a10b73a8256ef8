"""Keeping in touch: each contact's ideal and longest gap, its warmth, and who to reconnect with.

A contact's **ideal gap** between touches is its own ``cadence`` when set,
else the tightest tier (the smallest ``ideal``) among its tags in
``[keep_in_touch]``, else ``[followups] checkin_days``. Its **longest gap** is
that tier's ``max`` when the ideal comes from a tier that sets one, else twice
the ideal. The check-in rule uses the ideal gap (:func:`ideal_days`).

Its **warmth**, judged at read time against the clock (or ``--as-of``), counts
from the last touch (any event whose type is a ``touch``), or from when it was
added if it was never touched: ``warm`` inside the ideal gap, ``due`` past it,
``cold`` past the longest. Archived and declined contacts, and asks that went
unanswered, have no warmth (None): there is no relationship to keep warm.
Gaps are calendar days in the local time zone, as for every follow-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import apsw
import msgspec

from coffeechat.config import FollowupRules, Tier
from coffeechat.stages import Stage

if TYPE_CHECKING:
    from coffeechat.events import Payload
    from coffeechat.fold import ContactState

WARM, DUE, COLD = "warm", "due", "cold"
WARMTHS = (WARM, DUE, COLD)
_NO_WARMTH = frozenset((Stage.ARCHIVED, Stage.DECLINED, Stage.UNANSWERED))


class Gaps(NamedTuple):
    """A contact's ideal and longest gap between touches, in days, and the tier they come from."""

    ideal: int
    max: int
    tier: str | None = None


def tightest(tiers: dict[str, Tier], tags: Iterable[str]) -> tuple[str, Tier] | None:
    """The tier among ``tags`` with the smallest ideal (then the smallest max, then by tag)."""
    if not tiers:
        return None
    found = [(tier.ideal, tier.max or 2 * tier.ideal, tag, tier)
             for tag in {t.lower() for t in tags} if (tier := tiers.get(tag)) is not None]
    if not found:
        return None
    _ideal, _max, tag, tier = min(found, key=lambda f: f[:3])
    return tag, tier


def gaps(rules: FollowupRules, cadence: int | None, tags: Iterable[str]) -> Gaps:
    """The gaps of a contact with this ``cadence`` (None: none set) and these tags."""
    if cadence:
        return Gaps(cadence, 2 * cadence)
    found = tightest(rules.keep_in_touch, tags)
    if found is not None:
        tag, tier = found
        return Gaps(tier.ideal, tier.max or 2 * tier.ideal, tag)
    return Gaps(rules.checkin_days, 2 * rules.checkin_days)


def ideal_days(state: ContactState, rules: FollowupRules) -> int:
    """The check-in cadence of a folded contact: its ideal gap."""
    return gaps(rules, state.cadence_days, state.tags).ideal


def settings(db: apsw.Connection) -> FollowupRules:
    """The follow-up settings the projections were last computed with (tiers included).

    A read catches the projections up first, which notes the settings of the
    config file as it is now; without a note, they are read from the file.
    """
    row = db.execute("SELECT value FROM main.meta WHERE key = 'rules'").fetchone()
    if row is not None:
        try:
            return msgspec.json.decode(row[0], type=FollowupRules)
        except msgspec.DecodeError:  # (noted by another version)
            pass
    from coffeechat.config import load_config

    return load_config().followups


class Judge:
    """Warmth judged at one moment: each gap's threshold is worked out once."""

    def __init__(self, rules: FollowupRules, now: str) -> None:
        self.rules = rules
        self.now = now
        self._before: dict[int, str] = {}
        self._gaps: dict[tuple[int | None, str], Gaps] = {}

    def since(self, days: int) -> str:
        """The moment ``days`` calendar days before now: a touch at or before it is that old."""
        moment = self._before.get(days)
        if moment is None:
            from coffeechat.rules import after_days

            moment = self._before[days] = after_days(self.now, -days)
        return moment

    def gaps(self, cadence: int | None, tags_json: str) -> Gaps:
        """:func:`gaps` for a contacts row (its tags as the stored JSON list), remembered."""
        key = (cadence, tags_json)
        found = self._gaps.get(key)
        if found is None:
            try:
                tags = msgspec.json.decode(tags_json)
            except msgspec.DecodeError:
                tags = []
            found = self._gaps[key] = gaps(self.rules, cadence, [
                t for t in tags if isinstance(t, str)] if isinstance(tags, list) else [])
        return found

    def warmth(self, stage: str, last: str | None, cadence: int | None, tags_json: str
               ) -> str | None:
        """``warm``, ``due``, ``cold`` or None: a contact last touched (or added) at ``last``."""
        if stage in _NO_WARMTH or not last:
            return None
        ideal, longest, _tier = self.gaps(cadence, tags_json)
        if last > self.since(ideal):
            return WARM
        return DUE if last > self.since(longest) else COLD

    def days_past(self, last: str, ideal: int) -> int:
        """Whole days since the ideal gap ran out (0 on the day it did)."""
        from coffeechat.clock import from_stamp

        try:
            gone = from_stamp(self.now) - from_stamp(last)
        except ValueError:
            return 0
        return max(gone.days - ideal, 0)


# -- reconnect -----------------------------------------------------------------------

_ROWS = """
    SELECT c.id, c.name, {stage},
           coalesce(c.last_touch_at, c.added_at), c.cadence_days, c.tags
    FROM {s}.contacts c
"""


def shortest_ideal(db: apsw.Connection, schema: str, rules: FollowupRules) -> int | None:
    """The smallest ideal gap any contact can have now (None: it cannot be told).

    Every contact's ideal gap is its cadence, a tier's ideal or ``checkin_days``
    (:func:`gaps`), so none is shorter than the least of them all: a contact
    touched after that many days before now is warm, whatever its tags.
    """
    least = db.execute(f"SELECT min(cadence_days) FROM {schema}.contacts "
                       "WHERE cadence_days").get
    found = [rules.checkin_days, *(t.ideal for t in rules.keep_in_touch.values())]
    if least is not None:
        if not isinstance(least, int):  # (a row no version of ours writes)
            return None
        found.append(least)
    return min(found)


def reconnect(db: apsw.Connection, schema: str, now: str, limit: int | None = None
              ) -> list[dict[str, Any]]:
    """The contacts past their ideal gap, the furthest past first.

    Each is the contact object of ``contacts --json`` (its ``warmth`` too) with
    ``days_past_ideal``, ``last_talked_about`` (the latest takeaway or note, one
    line, or None) and ``suggestion`` (a next step in words) and ``command``.
    """
    from coffeechat import queries

    rules = settings(db)
    judge = Judge(rules, now)
    sql, params = _ROWS.format(s=schema, stage=queries.STAGE_SQL), {"now": now}
    least = shortest_ideal(db, schema, rules)
    if least is not None:  # only those not touched since then can be past their gap
        sql += " WHERE coalesce(c.last_touch_at, c.added_at) <= :cutoff"
        params["cutoff"] = judge.since(least)
    behind: list[tuple[int, str, str]] = []
    for contact_id, name, stage, last, cadence, tags in db.execute(sql, params):
        warmth = judge.warmth(stage, last, cadence, tags)
        if warmth is None or warmth == WARM:
            continue
        behind.append((judge.days_past(last, judge.gaps(cadence, tags).ideal),
                       str(name).lower(), contact_id))
    behind.sort(key=lambda b: (-b[0], b[1], b[2]))
    found = []
    recorded_by = None if schema == "main" else now  # --as-of: the events known then
    for days, _name, contact_id in behind[:limit]:
        doc = queries.contact(db, schema, now, contact_id)
        if doc is None:
            continue
        state = _folded(db, schema, contact_id, recorded_by)
        doc["days_past_ideal"] = days
        doc["last_talked_about"] = last_talked_about(state)
        doc["suggestion"], doc["command"] = suggestion(state, doc["stage"])
        found.append(doc)
    return found


def _folded(db: apsw.Connection, schema: str, contact_id: str, recorded_by: str | None
            ) -> ContactState:
    from coffeechat.projections.folding import fold_family
    from coffeechat.projections.merges import alias_roots

    aliases = sorted(a for a, root in alias_roots(db, schema).items() if root == contact_id)
    return fold_family(db, contact_id, aliases, recorded_by)


def _payloads(state: ContactState) -> list[Payload]:
    """The payloads of the contact's events that this version can read, oldest first."""
    from coffeechat.codec import readable_payload

    return [payload for row in state.events
            if (payload := readable_payload(row.type, row.schema, row.data)) is not None]


def first_line(text: str | None, limit: int = 120) -> str | None:
    """The first line of ``text`` that says something, cut to ``limit`` characters."""
    for line in (text or "").splitlines():
        line = " ".join(line.lstrip("#>-* ").split())
        if line:
            return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"
    return None


def last_talked_about(state: ContactState) -> str | None:
    """The latest takeaway or note about the contact (a meeting's, a check-in's, a note)."""
    from coffeechat.events import CheckinDone, MeetingHeld, NoteAdded

    for payload in reversed(_payloads(state)):
        if isinstance(payload, MeetingHeld):
            said = first_line(payload.takeaways[-1]) if payload.takeaways else None
            said = said or first_line(payload.notes)
        elif isinstance(payload, NoteAdded):
            said = first_line(payload.text)
        elif isinstance(payload, CheckinDone):
            said = first_line(payload.note)
        else:
            continue
        if said:
            return said
    return None


def channel_for(state: ContactState) -> str:
    """The channel you last wrote to them on; else the first address you have; else in person."""
    from coffeechat.events import CheckinDone, RequestSent, ThanksSent

    for payload in reversed(_payloads(state)):
        if isinstance(payload, RequestSent | ThanksSent | CheckinDone):
            channel = getattr(payload, "channel", None)
            if isinstance(channel, str) and channel and channel != "other":
                return channel
    for field in ("email", "linkedin", "phone"):
        if getattr(state, field):
            return field
    return "in-person"


def suggestion(state: ContactState, stage: str) -> tuple[str, str]:
    """A next step in words, and the command that records it once done."""
    channel = channel_for(state)
    if stage == Stage.PROSPECT:
        return (f"ask for a conversation ({channel})",
                f"coffeechat ask {state.id} --via {channel} --draft")
    if stage == Stage.ASKED:
        return (f"nudge ({channel})", f"coffeechat ask {state.id} --via {channel} --draft")
    if stage == Stage.ACCEPTED:
        return ("propose times for the meeting",
                f"coffeechat schedule {state.id} --at DATETIME")
    return (f"check in ({channel})", f"coffeechat checkin {state.id} --via {channel} --draft")
