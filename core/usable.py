"""Can this version of coffeechat use an event? The one test, for writers and readers alike.

Every entry point (the CLI, notes, importers, a jsonl merge, the store API)
refuses an event for which :func:`event_problem` finds a problem, so none
gets into the log. The fold asks the same question of every row it reads, so
a row that got in anyway (written by a newer version, or planted with SQL)
is skipped and reported instead of breaking a read.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

from coffeechat.clock import WINDOW_TEXT, in_window, is_stamp
from coffeechat.codec import UNREADABLE, decode_payload, decoder_for
from coffeechat.limits import EARLIEST_STAMP, LATEST_STAMP, PAYLOAD_BYTES

# Stamps joined by line breaks, with every digit made 0, are this form repeated.
_ZEROED = bytes.maketrans(b"123456789", b"000000000")
_FORM = b"0000-00-00T00:00:00Z\n"


_PIECE = 1024  # stamps checked in one go (what they make stays in the CPU's cache)
_FORMS = _FORM * _PIECE


def stamp_forms(texts: list[str]) -> bool:
    """Whether every one of ``texts`` has a stamp's form, 2026-11-20T18:00:00Z (one check
    for many).

    False says that one has not, or may not have: ask each to find which.
    """
    for start in range(0, len(texts), _PIECE):
        piece = texts[start:start + _PIECE]
        try:
            joined = ("\n".join(piece) + "\n").encode("ascii")
        except (UnicodeError, TypeError):
            return False
        if joined.translate(_ZEROED) != (_FORMS if len(piece) == _PIECE
                                         else _FORM * len(piece)):
            return False
    return True


def all_stamps(texts: list[str]) -> bool:
    """Whether :func:`stamp_problem` finds nothing in any of ``texts``, checked at once.

    False says only that one of them is not a stamp, or may not be: ask
    :func:`stamp_problem` of each to find which and why.
    """
    if not texts:
        return True
    if not stamp_forms(texts) or min(texts) < EARLIEST_STAMP or max(texts) > LATEST_STAMP:
        return False
    try:
        for _ in map(datetime.fromisoformat, texts):  # 2026-02-30, 25:00 ...
            pass
    except ValueError:
        return False
    return True


def stamp_problem(value: object, field: str) -> str | None:
    """What is wrong with a stored time (``occurred_at``, ``recorded_at``), or None."""
    if is_stamp(value):
        return None
    return (f"{field}: {str(value)[:40]!r} is not a UTC time of the form "
            f"2026-11-20T18:00:00Z within {WINDOW_TEXT}")


@cache
def _datetime_fields(cls: type) -> tuple[str, ...]:
    """The fields of a payload class that may hold a datetime."""
    import msgspec.inspect

    try:
        info = msgspec.inspect.type_info(cls)
    except (TypeError, ValueError):
        return ()
    fields = getattr(info, "fields", ())
    return tuple(f.name for f in fields if _holds_datetime(f.type))


def _holds_datetime(kind: Any) -> bool:
    import msgspec.inspect

    if isinstance(kind, msgspec.inspect.DateTimeType):
        return True
    return isinstance(kind, msgspec.inspect.UnionType) and any(
        isinstance(t, msgspec.inspect.DateTimeType) for t in kind.types)


def has_time_fields(cls: type) -> bool:
    """Whether a payload class has a field that may hold a datetime (what
    :func:`payload_problem` looks at: a class without one never has a problem)."""
    return bool(_datetime_fields(cls))


@cache
def may_hold_float(cls: type) -> bool:
    """Whether a payload class has a field that may hold a float, however deep (a float,
    Any, or a list, dict, union or struct that may hold one)."""
    import msgspec.inspect

    try:
        info = msgspec.inspect.type_info(cls)
    except (TypeError, ValueError):
        return True  # (not a type msgspec can describe: look at its values)
    return _floaty(info, set())


def _floaty(kind: Any, seen: set[int]) -> bool:
    import msgspec.inspect as mi

    if isinstance(kind, mi.FloatType | mi.AnyType):
        return True
    if isinstance(kind, mi.StructType | mi.DataclassType | mi.TypedDictType
                  | mi.NamedTupleType):
        if id(kind.cls) in seen:  # (a struct that holds itself)
            return False
        seen.add(id(kind.cls))
        return any(_floaty(f.type, seen) for f in kind.fields)
    inner = [getattr(kind, name) for name in ("item_type", "key_type", "value_type")
             if hasattr(kind, name)]
    inner += list(getattr(kind, "types", ()) or ())
    inner += list(getattr(kind, "item_types", ()) or ())
    return any(_floaty(t, seen) for t in inner)


def non_finite(value: object) -> str | None:
    """Where a NaN or an infinity sits in ``value`` (a payload, its fields as deep as they
    go: ``scores[2]``, ``extra.rate``), or None. JSON has no such number: stored, it
    would come back as null. (Walked with a list, not recursion: nesting may be deep.)"""
    pending: list[tuple[str, object]] = [("", value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, float):
            if item - item != 0:  # (NaN - NaN is NaN, inf - inf is NaN)
                return where or "payload"
            continue
        if isinstance(item, dict):
            pairs: Any = item.items()
        elif hasattr(item, "__struct_fields__"):
            pairs = ((name, getattr(item, name, None)) for name in item.__struct_fields__)
        elif hasattr(item, "__dataclass_fields__") and not isinstance(item, type):
            pairs = ((name, getattr(item, name, None)) for name in item.__dataclass_fields__)
        elif isinstance(item, list | tuple | set | frozenset):
            pending.extend((f"{where}[{n}]", inner) for n, inner in enumerate(item))
            continue
        else:
            continue
        pending.extend((f"{where}.{key}" if where else str(key), inner) for key, inner in pairs)
    return None


def payload_problem(payload: object) -> str | None:
    """What is wrong with a decoded payload that its type cannot say itself, or None.

    Its times must be aware and inside the window of dates the log keeps.
    """
    cls: type = type(payload)  # (as type[object], mypy would not see it is hashable)
    for name in _datetime_fields(cls):
        value = getattr(payload, name, None)
        if not isinstance(value, datetime):
            continue
        if value.tzinfo is None:
            return f"{name}: {value.isoformat()} has no time zone"
        if not in_window(value):
            return f"{name}: {value.date()} is outside the dates coffeechat keeps ({WINDOW_TEXT})"
    return None


def event_problem(event_type: str, schema: int, occurred_at: object, data: str | bytes
                  ) -> str | None:
    """What stops this version from using a stored event, or None when it can.

    An event of a type no installed plugin registers is usable: it is kept and
    shown as it is. A known type's payload must decode (after upcasting).
    """
    return stamp_problem(occurred_at, "occurred_at") or data_problem(event_type, schema, data)


def data_problem(event_type: str, schema: int, data: str | bytes) -> str | None:
    """:func:`event_problem` for the type, schema and payload alone (not the time)."""
    if not isinstance(data, str | bytes) or not isinstance(schema, int) \
            or not isinstance(event_type, str):
        return "type, schema or payload is not stored as text, a number and text"
    if len(data) > PAYLOAD_BYTES:
        return f"payload: {len(data):,} bytes is over the limit of {PAYLOAD_BYTES:,}"
    try:
        payload = decode_payload(event_type, schema, data)
    except UNREADABLE as error:
        return f"payload: {readable(' '.join(str(error).splitlines()), data)}"
    if isinstance(payload, dict):
        return None
    return payload_problem(payload)


def first_data_problem(types: list[str], datas: list[str], schemas: list[int] | None = None
                       ) -> tuple[int, str] | None:
    """(index, problem) of the first payload this version could not read back, or None.

    :func:`data_problem` for a whole batch (``schemas``: each payload's, today's
    when not given). Payloads written with today's schema are decoded one type
    at a time; a batch is mostly one or a few types.
    """
    from coffeechat.events import EVENT_TYPES, SCHEMAS

    # One pass sorts the payloads by type (by (type, schema) when a type comes with
    # two schemas); indexes are worked out only for a group that has a problem or
    # whose payloads must be looked at one by one.
    if schemas is None:
        pairs = {(t, SCHEMAS.get(t, 1)) for t in set(types)}
    elif len(distinct := set(schemas)) == 1 and len(types) == len(schemas):
        [schema] = distinct
        pairs = {(t, schema) for t in set(types)}
    else:
        pairs = set(zip(types, schemas, strict=True))
    keys: list[Any] = types
    if schemas is not None and len(pairs) != len({t for t, _schema in pairs}):
        keys = list(zip(types, schemas, strict=True))
    groups: dict[Any, list[str]] = {}
    for key, data in zip(keys, datas, strict=True):
        try:
            groups[key].append(data)
        except KeyError:
            groups[key] = [data]
    schema_of = dict(pairs) if keys is types else None
    found: list[tuple[int, str]] = []
    for key, texts in groups.items():
        event_type, schema = (key, schema_of[key]) if schema_of is not None else key
        cls = EVENT_TYPES.get(event_type)
        problem = None
        if cls is None or schema != SCHEMAS.get(event_type, 1) \
                or max(map(len, texts)) > PAYLOAD_BYTES:
            problem = _first(event_type, schema, _indexes(keys, key), datas)
        else:
            try:
                payloads = list(map(decoder_for(cls).decode, texts))
            except UNREADABLE:
                problem = _first(event_type, schema, _indexes(keys, key), datas)
            else:
                if _datetime_fields(cls):
                    problem = next(((n, p) for n, payload in enumerate(payloads)
                                    if (p := payload_problem(payload)) is not None), None)
                    if problem is not None:
                        n, text = problem
                        problem = _indexes(keys, key)[n], text
        if problem is not None:
            found.append(problem)
    return min(found) if found else None


def _indexes(keys: list[Any], key: object) -> list[int]:
    return [index for index, other in enumerate(keys) if other == key]


def _first(event_type: str, schema: int, indexes: list[int], datas: list[str]
           ) -> tuple[int, str] | None:
    for index in indexes:
        problem = data_problem(event_type, schema, datas[index])
        if problem is not None:
            return index, problem
    return None


# -- what a payload's type said, in words -----------------------------------------------

_PATTERN_SAID = (r"^Expected `str` matching regex '(?P<regex>.*)' - at "
                 r"(?P<key>`key` in )?`\$(?P<path>[^`]*)`$")  # (re compiles it when first used)


_LENGTH_SAID = (r"^Expected `str` of length (?P<bound>[<>])= (?P<count>\d+) - at "
                r"(?P<key>`key` in )?`\$(?P<path>[^`]*)`$")


def _length_said(message: str) -> str | None:
    """msgspec's complaint about a text's length, in words (None: not one)."""
    said = re.match(_LENGTH_SAID, message)
    if said is None:
        return None
    field = said.group("path").lstrip(".").replace("[...]", "") or "payload"
    what = "a label" if said.group("key") is not None else "the text"
    count = int(said.group("count"))
    if said.group("bound") == ">":
        return f"{field}: {what} must not be empty" if count == 1 else \
            f"{field}: {what} must have at least {count} characters"
    return f"{field}: {what} must have at most {count} characters"


def readable(message: str, data: str | bytes) -> str:
    """A payload type's complaint as a person can read it: no regular expression in it.

    msgspec names a field whose text has the wrong form by quoting its pattern
    (hundreds of characters for a date); this names the field and its value
    instead, and says what the value should be when the field is a known one
    (``birthday: '02-30' is not a day of the calendar``).
    """
    said = re.match(_PATTERN_SAID, message)
    if said is None:
        return _length_said(message) or message
    # (msgspec doubles each backslash of the pattern it quotes)
    regex, path = said.group("regex").replace("\\\\", "\\"), said.group("path")
    field = path.lstrip(".").replace("[...]", "") or "payload"
    value = _offending(data, path, regex, key=said.group("key") is not None)
    from coffeechat import yearly_dates
    from coffeechat.errors import BadInput, quote

    if regex == yearly_dates.PATTERN:
        if value is None:
            return f"{field}: not a date ({yearly_dates.FORMS})"
        try:
            yearly_dates.checked(value, field)
        except BadInput as error:
            return str(error)
    if said.group("key") is not None and field == "dates":
        shown = "" if value is None else f"{quote(value)} "
        return (f"{field}: the label {shown}is not one a date can have (one line, "
                "without '=', not 'birthday')")
    shown = "" if value is None else f" {quote(value)}"
    return f"{field}:{shown} is not in the expected form"


def _offending(data: str | bytes, path: str, regex: str, *, key: bool) -> str | None:
    """The first text at ``path`` of the payload (``.dates[...]``: any value) that the
    pattern refuses; with ``key``, the first such key of the table there."""
    import msgspec

    try:
        found: list[object] = [msgspec.json.decode(data)]
        pattern = re.compile(regex)
    except (msgspec.DecodeError, re.error):
        return None
    for step in re.findall(r"\.[^.\[]+|\[[^\]]*\]", path):
        nxt: list[object] = []
        for place in found:
            if step.startswith(".") and isinstance(place, dict):
                nxt += [place[step[1:]]] if step[1:] in place else []
            elif step == "[...]" and isinstance(place, dict):
                nxt += list(place.values())
            elif step[1:-1].isdigit() and isinstance(place, list) \
                    and int(step[1:-1]) < len(place):
                nxt.append(place[int(step[1:-1])])
        found = nxt
    if key:
        found = [k for place in found if isinstance(place, dict) for k in place]
    return next((text for text in found
                 if isinstance(text, str) and not pattern.search(text)), None)
