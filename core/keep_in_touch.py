"""Keeping in touch: each contact's ideal and longest gap, its warmth, and who to reconnect with.

A contact's **ideal gap** between touches is its own ``cadence`` when set,
else the tightest tier (the smallest ``ideal``) among its tags in
``[keep_in_touch]``, else ``[followups] checkin_days``. Its **longest gap** is
that tier's ``max`` when the ideal comes from a tier that sets one, else twice
the ideal. The check-in rule uses the ideal gap (:func:`ideal_days`).

Its **warmth**, judged at read time against the clock (or ``--as-of``), counts
from the last touch (any event whose type is a ``touch``), or from when you
added them if they were never touched (:meth:`Judge.since_when`): ``warm`` inside
the ideal gap, ``due`` past it, ``cold`` past the longest. Archived and declined
contacts, asks that went unanswered, and people only imported and never touched
(unless given a cadence or a tier) have no warmth (None): there is no relationship
to keep warm.
Gaps are calendar days in the local time zone, as for every follow-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import apsw
import msgspec

from coffeechat.config import FollowupRules, Tier
from coffeechat.stages import Kind, Stage

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
            from coffeechat.clock import after_days

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

    def since_when(self, last_touch: str | None, added_at: str | None,
                   hand_added_at: str | None, cadence: int | None, tags_json: str
                   ) -> str | None:
        """What a contact's warmth counts from: its last touch; for one never touched, when
        you added them, or when they were added if you gave them a cadence or a tier's tag.

        Someone only imported (a LinkedIn connection from years ago) and never touched
        has no warmth: an address book is not people you are losing touch with.
        """
        if last_touch:
            return last_touch
        if hand_added_at:
            return hand_added_at
        if cadence is not None or self.gaps(cadence, tags_json).tier is not None:
            return added_at
        return None

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
    SELECT c.id, c.name, {stage}, c.last_touch_at, c.added_at, c.hand_added_at,
           c.cadence_days, c.tags
    FROM {s}.contacts c
"""


def shortest_ideal(rules: FollowupRules) -> int:
    """The smallest ideal gap the settings give: ``checkin_days`` or a tier's ideal.

    A contact's ideal gap is its cadence, a tier's ideal or ``checkin_days``
    (:func:`gaps`): one without a cadence below this, touched after that many
    days before now, is warm whatever its tags.
    """
    return min([rules.checkin_days, *(tier.ideal for tier in rules.keep_in_touch.values())])


def reconnect(db: apsw.Connection, schema: str, now: str, limit: int | None = None
              ) -> list[dict[str, Any]]:
    """The contacts past their ideal gap, the furthest past first, but for those whose
    check-in was skipped or snoozed and is not due again yet.

    Each is the contact object of ``contacts --json`` (its ``warmth`` too) with
    ``days_past_ideal``, ``last_talked_about`` (the latest takeaway or note, one
    line, or None) and ``suggestion`` (a next step in words) and ``command``.
    """
    from coffeechat import queries

    rules = settings(db)
    judge = Judge(rules, now)
    # Only these can be past their gap: those not touched since the shortest ideal gap of
    # the settings, and those whose cadence is shorter still (or not a whole number: a
    # row no version of ours writes, judged like any other). One scan of the contacts.
    least = shortest_ideal(rules)
    # A check-in skipped or snoozed says "not this round": the contact is left out until
    # its check-in item is due again (their warmth still counts from the last touch).
    sql = _ROWS.format(s=schema, stage=queries.STAGE_SQL) + (
        " WHERE (coalesce(c.last_touch_at, c.added_at) <= :cutoff OR (c.cadence_days AND "
        "(typeof(c.cadence_days) != 'integer' OR c.cadence_days < :least)))"
        f" AND NOT EXISTS (SELECT 1 FROM {schema}.followups f WHERE f.contact = c.id"
        " AND f.kind = :checkin AND f.due_at > :now)")
    params = {"now": now, "cutoff": judge.since(least), "least": least,
              "checkin": Kind.CHECK_IN.value}
    behind: list[tuple[int, str, str]] = []
    for contact_id, name, stage, touched, added, hand_added, cadence, tags in db.execute(
            sql, params):
        last = judge.since_when(touched, added, hand_added, cadence, tags)
        warmth = judge.warmth(stage, last, cadence, tags)
        if last is None or warmth is None or warmth == WARM:
            continue
        behind.append((judge.days_past(last, judge.gaps(cadence, tags).ideal),
                       str(name).lower(), contact_id))
    behind.sort(key=lambda b: (-b[0], b[1], b[2]))
    top = behind[:limit]
    docs = queries.contacts_by_id(db, schema, now, [contact_id for *_, contact_id in top])
    found = []
    recorded_by = None if schema == "main" else now  # --as-of: the events known then
    for days, _name, contact_id in top:
        doc = docs.get(contact_id)
        if doc is None:
            continue
        said, wrote_on = recent(db, schema, contact_id, recorded_by)
        doc["days_past_ideal"] = days
        doc["last_talked_about"] = said
        doc["suggestion"], doc["command"] = suggestion(
            contact_id, doc["stage"], wrote_on or reachable_by(doc))
        found.append(doc)
    return found


# -- what was last said, and on which channel (read from the log, as the fold sees it) ---

class Recent(NamedTuple):
    """From a contact's events: what was last talked about, and the channel last written on."""

    said: str | None  # the latest takeaway or note, its first line (None: nothing said)
    channel: str | None  # None: no ask, thank-you or check-in names a channel


def recent(db: apsw.Connection, schema: str, contact_id: str, recorded_by: str | None = None
           ) -> Recent:
    """:class:`Recent` of a contact, from its events and those of the contacts merged into it.

    The very events its fold keeps (coffeechat.fold: its own stream usable, not
    undone, a stored stamp, a payload this version reads and can use), newest
    first in the fold's order, without folding: only the events that can say
    something or name a channel are read, and the event retractions of the
    family. ``recorded_by``: only the events recorded by then (``--as-of``).
    """
    from coffeechat.clock import is_stamp
    from coffeechat.codec import readable_payload
    from coffeechat.events import CONTACT_PREFIX, CONTACT_STREAM, EVENT_TYPES, RETRACTED
    from coffeechat.usable import payload_problem

    stream = CONTACT_PREFIX + contact_id
    if CONTACT_STREAM.fullmatch(stream) is None:  # (the fold keeps none of its events)
        return Recent(None, None)
    streams = [stream, *(CONTACT_PREFIX + alias for alias in _aliases(db, schema, contact_id))]
    says, writes = _said_types(), _channel_types()
    types = [name for name, cls in EVENT_TYPES.items() if issubclass(cls, says + writes)]
    family = "stream IN (SELECT value FROM json_each(:streams))"
    if recorded_by is not None:
        family += " AND recorded_at <= :by"
    params = {"streams": msgspec.json.encode(streams).decode(), "by": recorded_by,
              "types": msgspec.json.encode([*types, RETRACTED]).decode()}
    rows: list[tuple[Any, ...]] = db.execute(
        "SELECT id, type, schema, data, occurred_at FROM main.events "
        f"WHERE {family} AND type IN (SELECT value FROM json_each(:types)) "
        "ORDER BY occurred_at DESC, id DESC", params).fetchall()
    undone = set()
    if any(row[1] == RETRACTED for row in rows):  # (the fold's own reading of undo)
        from coffeechat.retractions import Retraction, retracted_ids

        undone = retracted_ids([Retraction._make(row) for row in db.execute(
            f"SELECT id, type, schema, data FROM main.events WHERE {family} "
            "AND type = :retracted ORDER BY occurred_at, id", {**params, "retracted": RETRACTED})])
    said = channel = None
    for event_id, event_type, version, data, occurred_at in rows:
        if event_type == RETRACTED or event_id in undone or not is_stamp(occurred_at):
            continue
        payload = readable_payload(event_type, version, data)
        if payload is None or payload_problem(payload) is not None:
            continue
        if said is None and isinstance(payload, says):
            said = _said(payload)
        if channel is None and isinstance(payload, writes):
            wrote_on = getattr(payload, "channel", None)
            if isinstance(wrote_on, str) and wrote_on and wrote_on != "other":
                channel = wrote_on
        if said is not None and channel is not None:
            break
    return Recent(said, channel)


def _said_types() -> tuple[type[Payload], ...]:
    from coffeechat.events import CheckinDone, MeetingHeld, NoteAdded

    return (MeetingHeld, NoteAdded, CheckinDone)


def _channel_types() -> tuple[type[Payload], ...]:
    from coffeechat.events import CheckinDone, RequestSent, ThanksSent

    return (RequestSent, ThanksSent, CheckinDone)


def _said(payload: Payload) -> str | None:
    """The first line of what an event says: a meeting's last takeaway (else its notes), a
    note, a check-in's note."""
    from coffeechat.events import CheckinDone, MeetingHeld, NoteAdded

    if isinstance(payload, MeetingHeld):
        return (first_line(payload.takeaways[-1]) if payload.takeaways else None) \
            or first_line(payload.notes)
    if isinstance(payload, NoteAdded):
        return first_line(payload.text)
    if isinstance(payload, CheckinDone):
        return first_line(payload.note)
    return None


def _aliases(db: apsw.Connection, schema: str, contact_id: str) -> list[str]:
    """The contacts merged into this one (following chains), as the merges table says."""
    links = dict(db.execute(f"SELECT alias, into_id FROM {schema}.merges"))
    if not links:  # (no merge at all: nothing to follow)
        return []
    from coffeechat.projections.merges import roots

    return sorted(alias for alias, root in roots(links).items() if root == contact_id)


def first_line(text: str | None, limit: int = 120) -> str | None:
    """The first line of ``text`` that says something, cut to ``limit`` characters."""
    for line in (text or "").splitlines():
        line = " ".join(line.lstrip("#>-* ").split())
        if line:
            return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"
    return None


def reachable_by(contact: dict[str, Any]) -> str:
    """The first address a contact object has (email, linkedin, phone), else in person."""
    for field in ("email", "linkedin", "phone"):
        if contact.get(field):
            return field
    return "in-person"


def suggestion(contact_id: str, stage: str, channel: str) -> tuple[str, str]:
    """A next step in words, and the command that records it once done.

    ``channel``: the one you last wrote to them on, else the first address you have.
    """
    if stage == Stage.PROSPECT:
        return (f"ask for a conversation ({channel})",
                f"coffeechat ask {contact_id} --via {channel} --draft")
    if stage == Stage.ASKED:
        return (f"nudge ({channel})", f"coffeechat ask {contact_id} --via {channel} --draft")
    if stage == Stage.ACCEPTED:
        return ("propose times for the meeting",
                f"coffeechat schedule {contact_id} --at DATETIME")
    return (f"check in ({channel})", f"coffeechat checkin {contact_id} --via {channel} --draft")
