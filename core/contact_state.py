"""What folding a contact's events gives: its state, and the event rows it reads.

:class:`ContactState` is the one thing follow-up rules, projections and
plugins see of a contact; :mod:`coffeechat.fold` computes it. Plugin authors
read the fields documented in docs/plugins.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter
from types import MappingProxyType
from typing import Any, NamedTuple

from coffeechat.events import CONTACT_PREFIX, ContactAdded, ContactUpdated
from coffeechat.stages import Stage

_PROSPECT = Stage.PROSPECT
_NO_IDS: frozenset[str] = frozenset()
_NO_ITEMS: frozenset[tuple[str, str]] = frozenset()
_NOTHING: Mapping[Any, Any] = MappingProxyType({})


class Row(NamedTuple):
    """The columns of an event that folding needs (select them as :data:`ROW_COLUMNS`)."""

    seq: int
    id: str
    type: str
    occurred_at: str
    schema: int
    data: str
    stream: str
    source: str = ""  # who recorded it: cli, notes:<path>, import:<format>, plugin:<name>


ROW_COLUMNS = "seq, id, type, occurred_at, schema, data, stream, source"


class Commitment(NamedTuple):
    id: str
    text: str
    due: str | None
    made_at: str


class Referral(NamedTuple):
    id: str
    contact: str  # the referred person's contact id
    name: str
    at: str


def added_by_hand(source: object) -> bool:
    """Whether an event's source is you (the CLI, a note), not an import or a plugin."""
    return source == "cli" or (isinstance(source, str) and source.startswith("notes:"))


class ContactState:
    """Everything the projections and follow-up rules need about one contact."""

    __slots__ = (
        "accepted_at",
        "accepted_id",
        "added_at",
        "added_id",
        "added_source",
        "aliases",
        "archived",
        "asked",
        "birthday",
        "birthday_id",
        "cadence_days",
        "called_off_at",
        "called_off_id",
        "checked_in_at",
        "cleared",
        "closed",
        "commitments",
        "company",
        "dates",
        "email",
        "events",
        "fills",
        "hand_added_at",
        "how_met",
        "id",
        "kept",
        "last_met_at",
        "last_met_id",
        "last_touch_at",
        "last_touch_id",
        "linkedin",
        "meetings",
        "merged_into",
        "merges",
        "moved_from",
        "name",
        "nudged_at",
        "phone",
        "prepared",
        "referrals",
        "referred_at",
        "referred_by",
        "request_at",
        "request_id",
        "request_open",
        "retracted",
        "role",
        "scheduled_all_day",
        "scheduled_at",
        "scheduled_id",
        "scheduled_minutes",
        "scheduled_on",
        "scheduled_series",
        "seqs",
        "series_held",
        "skipped",
        "snoozed",
        "stage",
        "stage_before_schedule",
        "stream",
        "tags",
        "text_seqs",
        "thanked_at",
    )

    def __init__(self, contact_id: str) -> None:
        # (docs/plugins.md lists these fields for plugin authors: keep the two in step.)
        # Times are stored times, UTC text such as 2026-11-20T18:00:00Z; a time or
        # id is None until the event it comes from has happened (or after it was undone).
        self.id = contact_id  # the contact id, e.g. jane-doe
        self.stream = CONTACT_PREFIX + contact_id  # its stream, contact:jane-doe
        # The details, as last edited; None when unknown or cleared. The name is
        # never None: the id stands in until a contact.added gives one.
        self.name: str = contact_id
        self.company: str | None = None
        self.role: str | None = None
        self.email: str | None = None
        self.linkedin: str | None = None
        self.phone: str | None = None
        self.how_met: str | None = None
        self.referred_by: str | None = None  # the contact id of whoever introduced us
        # when the event that gave ``referred_by`` happened (an add, an edit, or a merged
        # contact's add: the day of the introduction); None while nobody introduced us
        self.referred_at: str | None = None
        self.tags: list[str] = []  # as recorded (coffeechat's own entry points lower-case them)
        # MM-DD or YYYY-MM-DD (coffeechat.yearly_dates), and other important dates by label:
        self.birthday: str | None = None
        # the event that recorded the birthday in force (a contact.added or contact.updated,
        # an importer's or a merged contact's too); None while there is no birthday
        self.birthday_id: str | None = None
        self.dates: Mapping[str, str] = _NOTHING
        self.added_at: str | None = None  # the earliest live contact.added, and its id
        self.added_id: str | None = None
        self.added_source: str | None = None  # that event's source: cli, notes:..., import:...
        # the earliest live contact.added you recorded (the CLI, a note; a merged contact's
        # too), None when only imports added them: an address book, not a to-do list
        self.hand_added_at: str | None = None
        self.archived = False
        self.cadence_days: int | None = None  # its own check-in cadence; None: the default
        self.stage: Stage = _PROSPECT  # never UNANSWERED: the views judge that at read time
        self.stage_before_schedule: Stage = _PROSPECT  # where a cancelled meeting returns to
        self.asked = False  # whether a request was ever sent
        self.request_open = False  # whether the latest request still awaits an answer
        self.request_at: str | None = None  # when the latest request went out, and its id
        self.request_id: str | None = None
        self.nudged_at: str | None = None  # the first nudge of the open request
        self.accepted_at: str | None = None  # the yes to the latest request, and its id
        self.accepted_id: str | None = None
        self.scheduled_at: str | None = None  # the scheduled meeting's time (None: none is)
        self.scheduled_on: str | None = None  # when it was scheduled, and that event's id
        self.scheduled_id: str | None = None
        self.scheduled_series = False  # it is an occurrence of a recurring invitation
        self.scheduled_minutes = 0  # how long it is to last (read only while one is scheduled)
        self.scheduled_all_day = False  # it is a day, not a time (all-day invitations)
        # The latest meeting cancelled before any met, and its event, while nothing has
        # been scheduled or held since (None otherwise): the rebook item's cause.
        self.called_off_at: str | None = None
        self.called_off_id: str | None = None
        self.meetings = 0  # how many meetings were held
        self.last_met_at: str | None = None  # the latest meeting held, and its id
        self.last_met_id: str | None = None
        self.thanked_at: str | None = None  # the latest thank-you
        self.checked_in_at: str | None = None  # the latest check-in
        self.last_touch_at: str | None = None  # the latest event that counts as a touch
        self.last_touch_id: str | None = None  # (it restarts the check-in clock), its id
        self.commitments: dict[str, Commitment] = {}  # open promises, by the event's id
        self.referrals: list[Referral] = []  # people they introduced us to
        # (Shared empty values until an event gives one: most contacts have none, and
        # four fresh containers per contact cost a rebuild a tenth of its time in GC.)
        self.prepared: frozenset[str] = _NO_IDS  # ids of scheduled meetings marked prepared
        # ids of the meeting.held events that were occurrences of a recurring invitation
        # (a weekly call: no thank-you is due for one, and stats leaves it out)
        self.series_held: frozenset[str] = _NO_IDS
        # Follow-ups closed by hand, each keyed (kind, id of the event that caused it):
        self.closed: frozenset[tuple[str, str]] = _NO_ITEMS  # done (followup.done)
        self.skipped: Mapping[tuple[str, str], tuple[str, str]] = _NOTHING  # -> (skip's id, when)
        self.snoozed: Mapping[tuple[str, str], str] = _NOTHING  # -> due again then (latest snooze)
        self.merged_into: str | None = None  # this contact was merged into that one
        self.aliases: list[str] = []  # contacts merged into this one (folded with it)
        self.events: list[Row] = []  # the live events, oldest first (for plugin rules)
        # Bookkeeping for fold and the projections:
        # merged contacts' details, each with its event's id
        # (the event's id, its details, when it happened, the merged contact's stream)
        self.fills: list[tuple[str, ContactAdded | ContactUpdated, str, str]] = []
        # a meeting scheduled while another was still scheduled → that one (it moved it)
        self.moved_from: Mapping[str, str] = _NOTHING
        # a merged contact's stream → (the stream it was merged into, when)
        self.merges: Mapping[str, tuple[str, str]] = _NOTHING
        # details this contact cleared (a field, or dates:LABEL) → when (kept while cleared);
        # its tags given whole count too (they replace a merged contact's)
        self.cleared: Mapping[str, str] = _NOTHING
        self.kept: set[str] = set()  # ids of commitments marked done
        self.seqs: list[int] = []  # every event on the stream, retracted or not
        self.text_seqs: list[int] = []  # live events whose text is searchable
        self.retracted: set[str] = set()  # ids of the undone events


class _Sealed(ContactState):
    """A contact's state as a plugin's rule sees it: setting or deleting a field raises."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"ContactState is read-only in a follow-up rule (it set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"ContactState is read-only in a follow-up rule (it deleted "
                             f"{name!r})")

    def __copy__(self) -> ContactState:
        """A plain copy a rule may change as it likes (``copy.copy(state)``)."""
        copy = ContactState.__new__(ContactState)
        for name in ContactState.__slots__:
            setattr(copy, name, getattr(self, name))
        return copy


_COPIED = (list, dict, set)
# (every field read in one C call, and set through its slot: a quarter quicker than
# getattr and object.__setattr__ by name, for each contact a plugin's rule reads)
_READ_ALL = attrgetter(*ContactState.__slots__)
_SETTERS = tuple(getattr(ContactState, name).__set__ for name in ContactState.__slots__)


def sealed_copy(state: ContactState) -> ContactState:
    """A copy of ``state`` for plugins' rules: fields cannot be set, and its lists, dicts
    and sets are copies, so what a rule does to them stays with the copy (the views are
    built from ``state`` itself)."""
    copy = object.__new__(_Sealed)
    for put, value in zip(_SETTERS, _READ_ALL(state), strict=True):
        put(copy, value.copy() if type(value) in _COPIED else value)
    return copy
