"""Finding what to undo: one event by its id, a whole batch, or the last thing done."""

from __future__ import annotations

from collections.abc import Callable

from coffeechat import validate
from coffeechat.codec import EVENT_COLUMNS, Event, decode_as, event_from_row
from coffeechat.errors import BadInput, UnknownEvent, quote
from coffeechat.events import RETRACTED, EventRetracted
from coffeechat.fold import CONTACT_PREFIX, ContactState
from coffeechat.projections.projector import Projector
from coffeechat.store import Store

UNDO_LOOKBACK = 10_000  # how far back plain `undo` looks for something to undo


def find_event(store: Store, id_prefix: str, where: str, event_type: str | None = None
               ) -> Event:
    """The one event (of a type, if given) whose id starts with ``id_prefix``."""
    prefix = validate.one_line(id_prefix, where, required=True, limit=64).lower()
    matches = store.find(prefix, event_type, limit=6)
    kind = "commitment" if event_type == "commitment.made" else "event"
    if not matches:
        raise UnknownEvent(f"{where}: no {kind} has an id starting {quote(prefix)}")
    if len(matches) > 1:
        shown = ", ".join(m.id for m in matches[:5]) + (", ..." if len(matches) > 5 else "")
        raise BadInput(f"{where}: {quote(prefix)} matches several {kind}s ({shown}); "
                       "give more of the id")
    return matches[0]


def undo_targets(store: Store, projector: Projector, event_id: str | None, batch: str | None,
                 state_of: Callable[[str], ContactState]) -> list[Event]:
    """What `undo` retracts: the given event, a whole batch, or the last batch in effect.

    ``state_of`` folds a contact (and notes its version for the append); an
    event that is already undone is refused.
    """
    if batch is not None:
        targets = batch_events(store, projector, batch)
    elif event_id:
        targets = [find_event(store, event_id, "EVENT_ID")]
    else:
        targets = last_batch(store)
    for target in targets:
        if not target.stream.startswith(CONTACT_PREFIX):
            continue
        if target.id in state_of(target.stream[len(CONTACT_PREFIX):]).retracted:
            raise BadInput(f"EVENT_ID: {target.id} is already undone "
                           "(undo the retraction to bring it back)")
    return targets


def batch_events(store: Store, projector: Projector, batch: str) -> list[Event]:
    """The live events of the batch whose id is (or starts with) ``batch``."""
    prefix = validate.one_line(batch, "--batch", required=True, limit=64).lower()
    rows = store.conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE batch >= ? AND batch < ? ORDER BY seq",
        (prefix, prefix + "\U0010ffff")).fetchall()
    events = [event_from_row(row) for row in rows]
    if not events:
        raise UnknownEvent(f"--batch: no batch has an id starting {quote(prefix)}")
    if len({e.batch for e in events}) > 1:
        raise BadInput(f"--batch: {quote(prefix)} matches several batches; give more of the id")
    undone: set[str] = set()
    for stream in {e.stream for e in events if e.stream.startswith(CONTACT_PREFIX)}:
        undone |= projector.fold_stream(stream).retracted
    live = [e for e in events if e.type != RETRACTED and e.id not in undone]
    if not live:
        raise BadInput(f"--batch: everything in batch {events[0].batch} is already undone")
    return live


def last_batch(store: Store) -> list[Event]:
    """The live events of the most recent batch that is still in effect.

    A batch is one transaction, so its events sit together in ``seq`` order:
    walking back from the end, the first live event found is the newest of its
    batch, and the rest follow it directly. A note file's bookkeeping (its
    ``note:`` stream) is never undone.
    """
    undone: set[str] = set()
    found: list[Event] = []
    for row in store.conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM events ORDER BY seq DESC LIMIT ?", (UNDO_LOOKBACK,)
    ):
        event = event_from_row(row)
        ours = event.stream.startswith(CONTACT_PREFIX)
        if found:
            if event.batch is None or event.batch != found[0].batch:
                break
            if ours and event.id not in undone:
                # Retractions too: undoing an edit brings back what it replaced.
                found.append(event)
        elif event.type == RETRACTED:
            if event.id not in undone:  # a live retraction: its target is undone
                undone.add(decode_as(EventRetracted, 1, event.data).target)
        elif ours and event.id not in undone:
            found.append(event)
            if event.batch is None:
                break
    if not found:
        raise BadInput("undo: there is nothing left to undo")
    return found[::-1]
