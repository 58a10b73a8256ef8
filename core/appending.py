"""What an append checks, and the rows it writes: typed, encoded, numbered and chained.

:mod:`coffeechat.store` holds the transaction; this module does the writers' own
work. What only writers need (the codec, the event types, the hash chain) is
imported at its top: a read that never appends never loads it, and an append
pays no import statement per call (a single append's Python runs with the
CPU's caches cold from the commit before it, so every call counts).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from coffeechat.chain import event_hash
from coffeechat.codec import Event, encode_payload, encode_payloads
from coffeechat.errors import BadInput
from coffeechat.events import CONTACT_PREFIX, CONTACT_STREAM, SCHEMAS, type_name
from coffeechat.usable import (
    all_stamps,
    data_problem,
    first_data_problem,
    may_hold_float,
    non_finite,
    stamp_problem,
)

if TYPE_CHECKING:
    from coffeechat.store import NewEvent

Row = tuple[Any, ...]  # the columns of coffeechat.migrations.EVENT_COLUMNS, in order

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_STREAM = "stream: must be one line of at most 1000 characters"
_LARGE = 64  # a batch this long is checked at once first, and one by one only if that fails


def prepare(new_events: Sequence[NewEvent]) -> tuple[list[str], list[str]]:
    """Each event's type name and payload as JSON, once every event is found usable.

    Raises :class:`BadInput` naming the first event this version could not read
    back (see :mod:`coffeechat.usable`). Payloads are decoded again from the JSON
    about to be stored: a Struct built in Python is not checked against its field
    types and constraints. None of this reads the log, so the store does it
    before it takes the write lock.
    """
    try:
        return _prepared(new_events)
    except TypeError:  # (a field that is not text, from a plugin: name the event)
        name_the_envelope(new_events)
        raise


def prepare_one(new: NewEvent) -> tuple[str, str]:
    """:func:`prepare` of one event: its type name and its payload as JSON."""
    try:
        event_type = new.type or _registered_name(new.payload, (new,), 0)
        data = encode_payload(new.payload)
        problem = envelope_problem(new) or _non_finite_problem(new.payload) or data_problem(
            event_type, SCHEMAS.get(event_type, 1), data)
    except TypeError:  # (as prepare)
        name_the_envelope((new,))
        raise
    if problem is not None:
        refuse((new,), 0, type_label(new), problem)
    return event_type, data


def _prepared(new_events: Sequence[NewEvent]) -> tuple[list[str], list[str]]:
    payloads = [new.payload for new in new_events]
    datas = encode_payloads(payloads)
    named: dict[type, str] = {}  # (each class's registered name, looked up once)
    types = [new.type or named.get(type(new.payload)) or named.setdefault(
                 type(new.payload), _registered_name(new.payload, new_events, n))
             for n, new in enumerate(new_events)]
    found = None
    if len(new_events) < _LARGE or not _envelopes_fine(new_events):
        found = first_envelope_problem(new_events)
    found = found or _first_non_finite(payloads) or first_data_problem(types, datas)
    if found is not None:
        n, problem = found
        refuse(new_events, n, type_label(new_events[n]), problem)
    return types, datas


def _non_finite_problem(payload: object) -> str | None:
    """A NaN or infinity in a payload whose type may hold a float, in words; None if none."""
    cls: type = type(payload)  # (as type[object], mypy would not see it is hashable)
    if not may_hold_float(cls):
        return None
    where = non_finite(payload)
    return None if where is None else (
        f"{where}: NaN and infinity cannot be stored (JSON has no such number: it would "
        "come back as null)")


def _first_non_finite(payloads: list[Any]) -> tuple[int, str] | None:
    """(index, problem) of the first payload holding a NaN or infinity, or None."""
    if not any(map(may_hold_float, set(map(type, payloads)))):
        return None  # (coffeechat's own event types hold no float)
    for n, payload in enumerate(payloads):
        problem = _non_finite_problem(payload)
        if problem is not None:
            return n, problem
    return None


def _registered_name(payload: object, new_events: Sequence[NewEvent], index: int) -> str:
    """The name a payload's class is registered under; BadInput naming the event if none."""
    try:
        return type_name(payload)  # type: ignore[arg-type]  # (whatever a plugin gave)
    except KeyError:
        refuse(new_events, index, type(payload).__name__,
               f"payload: {type(payload).__name__} is not a registered event type (a plugin "
               "registers its own with register_event_type)")


def chained_row(previous: str, seq: int, event_id: str, new: NewEvent, version: int,
                event_type: str, data: str, recorded_at: str, source: str, batch: str) -> Row:
    """The row of one event, its hash chained over ``previous`` (the log's last hash)."""
    schema = SCHEMAS.get(event_type, 1)
    stream, occurred_at, key = new.stream, new.occurred_at, new.key
    return (seq, event_id, stream, version, event_type, schema, occurred_at, recorded_at,
            source, key, batch, data,
            event_hash(previous, event_id, stream, version, event_type, schema, occurred_at,
                       recorded_at, source, key, batch, data))


def numbered_rows(new_events: Sequence[NewEvent], keep: Sequence[int], ids: list[str],
                  types: list[str], datas: list[str], tail: tuple[int, str],
                  versions: dict[str, int], recorded_at: str, source: str, batch: str
                  ) -> list[Row]:
    """The rows of the events at ``keep``, numbered on from ``tail`` (the log's last seq
    and hash) and from each stream's version in ``versions`` (moved on as they go)."""
    seq, previous = tail
    rows: list[Row] = []
    append, schemas = rows.append, SCHEMAS  # (the loop runs for every event of a batch)
    for index in keep:
        new = new_events[index]
        stream, occurred_at, key = new.stream, new.occurred_at, new.key
        event_id, event_type, data = ids[index], types[index], datas[index]
        seq += 1
        version = versions[stream] = versions[stream] + 1
        schema = schemas.get(event_type, 1)
        previous = event_hash(previous, event_id, stream, version, event_type, schema,
                              occurred_at, recorded_at, source, key, batch, data)
        append((seq, event_id, stream, version, event_type, schema, occurred_at, recorded_at,
                source, key, batch, data, previous))
    return rows


def written(row: Row) -> list[Event]:
    """What :meth:`~coffeechat.store.Store.append` returns for one row it wrote."""
    return [Event(*row)]


def refuse(new_events: Sequence[NewEvent], index: int, label: str, problem: str
           ) -> NoReturn:
    """Raise the one-line error naming the event at ``index`` and its ``problem``."""
    total = len(new_events)
    where = f"event {index + 1} of {total}" if total > 1 else "the event"
    raise BadInput(f"{where} ({label} on {str(new_events[index].stream)[:80]}): {problem}; "
                   "nothing was recorded")


def name_the_envelope(new_events: Sequence[NewEvent]) -> None:
    """After a TypeError: raise the error naming the event whose envelope caused it, if any."""
    found = first_envelope_problem(new_events)
    if found is not None:
        refuse(new_events, found[0], type_label(new_events[found[0]]), found[1])


def type_label(new: NewEvent) -> str:
    """The event's type name for an error message (whatever a plugin put in it)."""
    if isinstance(new.type, str):
        return new.type
    try:
        return type_name(new.payload)
    except Exception:  # (an error message must not fail in turn)
        return type(new.payload).__name__


def envelope_problem(new: NewEvent, streams: frozenset[str] | set[str] = frozenset(),
                     stamps: frozenset[str] | set[str] = frozenset()) -> str | None:
    """What is wrong with an event's stream, time, key, id or type, or None.

    ``streams`` and ``stamps`` are ones already found fine (a batch repeats them).
    """
    stream = new.stream
    if not isinstance(stream, str):
        return _STREAM
    if stream not in streams:
        problem = stream_problem(stream)
        if problem is not None:
            return problem
    if not (isinstance(new.occurred_at, str) and new.occurred_at in stamps):
        problem = stamp_problem(new.occurred_at, "occurred_at")
        if problem is not None:
            return problem
    key = new.key
    if key is not None and (not isinstance(key, str) or len(key) > 1000
                            or _CONTROL.search(key)):
        return "key: must be one line of at most 1000 characters"
    given = new.id
    if given is not None and (not isinstance(given, str) or not 0 < len(given) <= 100
                              or _CONTROL.search(given)):
        return "id: must be one line of 1 to 100 characters"
    kind = new.type
    if kind is not None and (not isinstance(kind, str) or not 0 < len(kind) <= 100
                             or _CONTROL.search(kind)):  # (None: the payload's own type)
        return "type: must be one line of 1 to 100 characters"
    return None


def first_envelope_problem(new_events: Sequence[NewEvent]) -> tuple[int, str] | None:
    """(index, problem) of the first event whose stream, time, key, id or type is refused."""
    streams: set[str] = set()
    stamps: set[str] = set()
    for n, new in enumerate(new_events):
        problem = envelope_problem(new, streams, stamps)
        if problem is not None:
            return n, problem
        streams.add(new.stream)
        stamps.add(new.occurred_at)
    return None


def stream_problem(stream: str) -> str | None:
    """What is wrong with a stream's name, or None."""
    if stream.startswith(CONTACT_PREFIX):
        if CONTACT_STREAM.fullmatch(stream) is None:
            return "stream: a contact stream is contact:<id> (letters, digits, -)"
    elif not stream or len(stream) > 1000 or _CONTROL.search(stream):
        return _STREAM
    return None


def _envelopes_fine(new_events: Sequence[NewEvent]) -> bool:
    """Whether no event's stream, time, key, id or type has a problem: the batch checked
    at once.

    False says only that one may have: :func:`first_envelope_problem` finds which.
    """
    if not all_stamps(list({new.occurred_at for new in new_events})):
        return False
    if any(not isinstance(stream, str) or stream_problem(stream)
           for stream in {new.stream for new in new_events}):
        return False
    return _all_lines([new.key for new in new_events if new.key is not None], 0, 1000) \
        and _all_lines([new.id for new in new_events if new.id is not None], 1, 100) \
        and _all_lines([new.type for new in new_events if new.type is not None], 1, 100)


def _all_lines(texts: list[str], shortest: int, longest: int) -> bool:
    """Whether every one of ``texts`` is one line of ``shortest`` to ``longest`` characters."""
    if not texts:
        return True
    try:
        joined = "".join(texts)
    except TypeError:  # (one that is not text: the one by one check says so)
        return False
    lengths = list(map(len, texts))
    return min(lengths) >= shortest and max(lengths) <= longest \
        and _CONTROL.search(joined) is None
