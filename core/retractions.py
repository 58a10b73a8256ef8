"""Which events a set of rows' retractions undo: the one reading of undo, for the fold and readers.

A retraction (``event.retracted``) undoes its target while it is itself live,
so undoing an undo brings the event back. :func:`retracted_ids` is what the
fold skips; a reader that picks a few events without folding (keep_in_touch's
``recent``) asks it the same question of the same rows. Kept apart from the
fold so that such a reader needs neither the fold nor the contact state.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple, Protocol

from coffeechat.codec import UNREADABLE, decode_as
from coffeechat.events import RETRACTED, EventRetracted


class EventRow(Protocol):
    """What undo reads of a row (fold's ``Row`` is one, and so is :class:`Retraction`)."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def schema(self) -> int: ...
    @property
    def data(self) -> str: ...


class Retraction(NamedTuple):
    """A row read as ``id, type, schema, data`` (enough to tell what it undoes)."""

    id: str
    type: str
    schema: int
    data: str


def retracted_ids(rows: Iterable[EventRow]) -> set[str]:
    """Ids of the events that a live retraction undoes (rows in the fold's order)."""
    retractors: dict[str, list[str]] = {}
    for row in rows:
        if row.type == RETRACTED:
            target = retraction_target(row)
            if target is not None:
                retractors.setdefault(target, []).append(row.id)
    if not retractors:
        return set()
    memo: dict[str, bool] = {}

    def is_retracted(event_id: str, depth: int = 0) -> bool:
        if event_id not in memo:
            # Retracted when any retraction of it is itself still live.
            memo[event_id] = depth < 64 and any(
                not is_retracted(r, depth + 1) for r in retractors.get(event_id, ())
            )
        return memo[event_id]

    return {event_id for event_id in retractors if is_retracted(event_id)}


def retraction_target(row: EventRow) -> str | None:
    """The id a retraction undoes; None when its payload cannot be read (it undoes nothing)."""
    try:
        return decode_as(EventRetracted, row.schema, row.data).target
    except UNREADABLE:
        return None
