"""Which occurrence of a recurring invitation to record (``RRULE``, ``RDATE``, ``EXDATE``).

A weekly call with a mentor comes as one ``VEVENT`` whose ``DTSTART`` is its
first occurrence, perhaps months ago. coffeechat keeps one scheduled meeting
per invitation: the first occurrence not yet over when the file is imported,
or the last one when the series has ended. So importing the file again after
an occurrence has passed moves the meeting on to the next one. An occurrence
the file moves or calls off (a ``VEVENT`` with its ``RECURRENCE-ID``) counts
at its new time, or not at all.

Occurrences are worked out in the invitation's own wall time (a call at 10:00
in New York stays at 10:00 across daylight saving) by python-dateutil, which
icalendar itself depends on. The walk is bounded: no series is followed past
the dates coffeechat keeps, a meeting repeating more often than daily is
refused, and so is a series with more than :data:`MAX_OCCURRENCES` occurrences
before today or one that takes longer than :data:`WALK_SECONDS` to follow.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from coffeechat.errors import BadInput
from coffeechat.limits import LATEST, TimeLimitExceeded, time_limit

MAX_OCCURRENCES = 20_000  # a daily series since 1972, a weekly one since 1643: 0.06 s
WALK_SECONDS = 0.5  # (a weekly series since 1900 takes 0.03 s)
_TOO_OFTEN = ("SECONDLY", "MINUTELY", "HOURLY")

# (RECURRENCE-ID, the occurrence's new start, or None when it is called off)
Override = tuple[date | datetime, date | datetime | None]


def recurs(event: Any) -> bool:
    """Whether a VEVENT describes a series (an ``RRULE`` or ``RDATE``)."""
    return "RRULE" in event or "RDATE" in event


def occurrence(event: Any, start: datetime, minutes: int, moment: datetime,
               overrides: Iterable[Override] = ()) -> datetime | None:
    """The occurrence of the series starting at ``start`` to record, as of ``moment``.

    ``start`` is the decoded ``DTSTART`` (aware in its zone, or naive: floating);
    the result is in the same form. The first occurrence whose end (``minutes``
    on) is after ``moment``; else the last one (``start`` is the series' first
    instance, RFC 5545 3.8.5.3); None when every one is excluded.
    """
    from dateutil.rrule import rruleset

    zone = start.tzinfo
    wall = start.replace(tzinfo=None)  # (the series in the zone's own wall time)
    # (an occurrence past the dates coffeechat keeps is refused by the caller: one is
    # enough to find, so the walk goes a year past them and no further)
    end = _wall(LATEST + timedelta(days=366), wall, zone)
    series = rruleset()
    series.rdate(wall)
    for rule in every(event.get("RRULE")):
        series.rrule(_rule(rule, wall, zone, end))
    for name, add in (("RDATE", series.rdate), ("EXDATE", series.exdate)):
        for prop in every(event.get(name)):
            for value in prop.dts:
                add(_wall(_start_of(value.dt), wall, zone))
    for recurrence_id, moved in overrides:  # (the original out; its new time, if any, in)
        series.exdate(_wall(recurrence_id, wall, zone))
        if moved is not None:
            series.rdate(_wall(moved, wall, zone))
    now = _wall(moment, wall, zone)
    length = timedelta(minutes=minutes)
    chosen = None
    try:
        # (a rule no day can match, 30 February, yields nothing: dateutil walks it to the
        # year 9999 whatever its UNTIL, seconds of work; so the walk has a time limit)
        with time_limit(WALK_SECONDS, "following the RRULE"):
            for count, when in enumerate(series):
                if count >= MAX_OCCURRENCES:
                    raise BadInput(f"RRULE: more than {MAX_OCCURRENCES:,} occurrences before "
                                   "today; not a meeting coffeechat can track")
                chosen = when
                if when + length > now:
                    break
    except (ValueError, OverflowError) as error:  # (INTERVAL=0, a date past year 9999 ...)
        raise BadInput(f"RRULE: cannot follow {_texts(event)!r} ({error})") from None
    except TimeLimitExceeded:
        raise BadInput(f"RRULE: {_texts(event)!r} takes longer than {WALK_SECONDS:g} s to "
                       "follow (a rule no day matches?); not a meeting coffeechat can "
                       "track") from None
    return None if chosen is None else _in_zone(chosen, zone)


def _rule(rule: Any, wall: datetime, zone: tzinfo | None, end: datetime) -> Any:
    """One RRULE as dateutil reads it, in wall time, and never followed past ``end``."""
    from dateutil.rrule import rrulestr

    text = _text(rule)
    frequency = text.upper().partition("FREQ=")[2].partition(";")[0]
    if frequency in _TOO_OFTEN:
        raise BadInput(f"RRULE: FREQ={frequency}: a meeting repeating more often than daily "
                       "is not one coffeechat can track")
    try:
        parsed = rrulestr(_until_in_wall_time(text, wall, zone), dtstart=wall)
        until = parsed._until  # (dateutil keeps it private)
        with warnings.catch_warnings():  # (an UNTIL beside a COUNT: dateutil frowns on it)
            warnings.simplefilter("ignore", DeprecationWarning)
            return parsed.replace(until=min(until, end) if until else end)
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        raise BadInput(f"RRULE: cannot read {text[:100]!r} ({error})") from None


def _text(rule: Any) -> str:
    """An RRULE as written (one icalendar could not read is kept as text)."""
    return str(rule) if isinstance(rule, str) else rule.to_ical().decode()


def _texts(event: Any) -> str:
    return "; ".join(_text(rule) for rule in every(event.get("RRULE")))[:100]


def every(value: Any) -> list[Any]:
    """A property icalendar gives as one value, or as a list when it repeats: a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _start_of(value: Any) -> date | datetime:
    """An RDATE or EXDATE value: a date, a time, or a period (start, end): its start."""
    return value[0] if isinstance(value, tuple) else value


def _until_in_wall_time(rule: str, start: datetime, zone: tzinfo | None) -> str:
    """The rule with its ``UNTIL`` in the series' wall time, as dateutil wants beside a
    naive start: one in UTC (``...Z``) converted, and a date made the end of that day
    (UNTIL is inclusive: a series until 10 November meets on the 10th)."""
    parts = []
    for part in rule.split(";"):
        name, _, value = part.partition("=")
        if name.upper() == "UNTIL":
            value = value.upper()
            if "T" not in value:
                part = f"{name}={value}T235959"
            elif value.endswith("Z"):
                try:
                    until = datetime.strptime(value[:-1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
                except ValueError:
                    raise BadInput(f"RRULE: UNTIL={value[:40]} is not a time") from None
                part = f"{name}={_wall(until, start, zone):%Y%m%dT%H%M%S}"
        parts.append(part)
    return ";".join(parts)


def _wall(value: date | datetime, start: datetime, zone: tzinfo | None) -> datetime:
    """A date or time of the series (an RDATE, an EXDATE, now) in the start's wall time."""
    if not isinstance(value, datetime):
        return datetime.combine(value, start.time())  # a date: that day, at the start's time
    if value.tzinfo is None:
        return value
    if zone is None:  # (a floating series: this computer's zone)
        return value.astimezone().replace(tzinfo=None)
    return value.astimezone(zone).replace(tzinfo=None)


def _in_zone(wall: datetime, zone: tzinfo | None) -> datetime:
    """A wall time of the series back in its zone (pytz's zones need ``localize``)."""
    if zone is None:
        return wall
    localize = getattr(zone, "localize", None)
    return localize(wall) if localize is not None else wall.replace(tzinfo=zone)
