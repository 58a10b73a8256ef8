"""Which occurrence of a recurring invitation to record (``RRULE``, ``RDATE``, ``EXDATE``).

A weekly call with a mentor comes as one ``VEVENT`` whose ``DTSTART`` is its
first occurrence, perhaps months ago. coffeechat keeps one scheduled meeting
per invitation: the first occurrence not yet over when the file is imported,
or the last one when the series has ended. So importing the file again after
an occurrence has passed moves the meeting on to the next one.

Occurrences are worked out in the invitation's own wall time (a call at 10:00
in New York stays at 10:00 across daylight saving) by python-dateutil, which
icalendar itself depends on. A series is walked from its start, so one with
more than :data:`MAX_OCCURRENCES` occurrences before today (``FREQ=MINUTELY``
since 1990, say) is refused rather than walked for minutes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from coffeechat.errors import BadInput

MAX_OCCURRENCES = 100_000


def recurs(event: Any) -> bool:
    """Whether a VEVENT describes a series (an ``RRULE`` or ``RDATE``)."""
    return "RRULE" in event or "RDATE" in event


def occurrence(event: Any, start: datetime, minutes: int, moment: datetime) -> datetime:
    """The occurrence of the series starting at ``start`` to record, as of ``moment``.

    ``start`` is the decoded ``DTSTART`` (aware in its zone, or naive: floating);
    the result is in the same form. The first occurrence whose end (``minutes``
    on) is after ``moment``; the last one when every one is over; ``start``
    itself when every one is excluded.
    """
    from dateutil.rrule import rruleset, rrulestr

    zone = start.tzinfo
    wall = start.replace(tzinfo=None)  # (the series in the zone's own wall time)
    series = rruleset()
    for rule in _all(event.get("RRULE")):
        text = rule.to_ical().decode()
        try:
            series.rrule(rrulestr(_until_in_wall_time(text, wall, zone), dtstart=wall))
        except (ValueError, TypeError) as error:
            raise BadInput(f"RRULE: cannot read {text[:100]!r} ({error})") from None
    for prop in _all(event.get("RDATE")):
        for value in prop.dts:
            series.rdate(_wall(value.dt, wall, zone))
    for prop in _all(event.get("EXDATE")):
        for value in prop.dts:
            series.exdate(_wall(value.dt, wall, zone))
    now = _wall(moment, wall, zone)
    length = timedelta(minutes=minutes)
    chosen = None
    for count, when in enumerate(series):
        if count >= MAX_OCCURRENCES:
            raise BadInput(f"RRULE: more than {MAX_OCCURRENCES:,} occurrences before today; "
                           "not a meeting coffeechat can track")
        chosen = when
        if when + length > now:
            break
    if chosen is None:
        return start
    return _in_zone(chosen, zone)


def _all(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _until_in_wall_time(rule: str, start: datetime, zone: tzinfo | None) -> str:
    """The rule with an ``UNTIL`` in UTC (``...Z``, as RFC 5545 wants beside a zoned
    start) given in the series' wall time instead, as dateutil wants beside a naive start."""
    parts = []
    for part in rule.split(";"):
        name, _, value = part.partition("=")
        if name.upper() == "UNTIL" and value.upper().endswith("Z") and "T" in value.upper():
            try:
                until = datetime.strptime(value[:-1].upper(), "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
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

