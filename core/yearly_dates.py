"""Dates that come back every year: a contact's birthday and other important dates.

Owns their stored form, checking what people type, and the arithmetic of the
next occurrence. A date is stored as ``MM-DD`` (no year known) or
``YYYY-MM-DD`` with a year inside the window the log keeps; the payload field
types below (:data:`YearlyDate`, :data:`DateLabel`) refuse anything else, so
every way into the log (the CLI, notes, importers, a jsonl merge) refuses an
impossible date such as ``02-30`` or ``2023-02-29``. Readers still go through
:func:`parse`, which answers None for a value they cannot use (a row planted
with SQL), so the fold stays total.

February 29: in a year without it, the birthday is kept on February 28 (the
last day of the month it belongs to), both in ``due`` and in the calendar.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Annotated

import msgspec

from coffeechat.errors import BadInput, quote
from coffeechat.limits import EARLIEST, LATEST

# A month and day that exist in some year (02-29 included).
_MONTH_DAY = (r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])"
              r"|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
              r"|02-(?:0[1-9]|1\d|2[0-8]))")
_YEAR = r"(?:19\d\d|2[01]\d\d|2200)"  # the window of dates the log keeps
# The leap years in that window: 1904 to 2196 by fours, without 1900, 2100 and 2200.
_LEAP_YEAR = r"(?:19(?:0[48]|[2468][048]|[13579][26])|20(?:[02468][048]|[13579][26])" \
             r"|21(?:0[48]|[2468][048]|[13579][26]))"
PATTERN = rf"^(?:(?:{_YEAR}-)?{_MONTH_DAY}|(?:{_LEAP_YEAR}-)?02-29)$"
_DATE = re.compile(PATTERN)

LABEL_LIMIT = 60
DATES_LIMIT = 50  # important dates on one contact
BIRTHDAY = "birthday"  # the label the birthday goes by (no other date may take it)

# An important date in a payload: MM-DD, or YYYY-MM-DD.
YearlyDate = Annotated[str, msgspec.Meta(pattern=PATTERN)]
# What an important date is called: one line, no '=' (--date LABEL=DATE), not "birthday".
DateLabel = Annotated[str, msgspec.Meta(
    min_length=1, max_length=LABEL_LIMIT,
    pattern=r"^(?![Bb][Ii][Rr][Tt][Hh][Dd][Aa][Yy]$)[^\x00-\x1f\x7f-\x9f=]*\S[^\x00-\x1f\x7f-\x9f=]*$")]

FORMS = "MM-DD or YYYY-MM-DD"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse(value: object) -> tuple[int | None, int, int] | None:
    """(year or None, month, day) of a stored date; None for anything this version cannot use."""
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    if len(value) == 5:
        return None, int(value[:2]), int(value[3:])
    return int(value[:4]), int(value[5:7]), int(value[8:])


def checked(text: str, field: str) -> str:
    """A date people typed, in its stored form; :class:`BadInput` naming ``field`` otherwise.

    Takes ``MM-DD``, ``--MM-DD`` (vCard's year-less form) and ``YYYY-MM-DD``.
    """
    value = text.strip()
    if value.startswith("--"):
        value = value[2:]
    if _DATE.match(value):
        return value
    year = re.match(r"^(\d{4})-\d\d-\d\d$", value)
    if year and not EARLIEST.year <= int(year.group(1)) <= LATEST.year:
        raise BadInput(f"{field}: {quote(value)} is outside the dates coffeechat keeps "
                       f"({EARLIEST.year} to {LATEST.year}); leave the year out (MM-DD)")
    if re.match(r"^(\d{4}-)?\d\d-\d\d$", value):
        raise BadInput(f"{field}: {quote(value)} is not a day of the calendar")
    raise BadInput(f"{field}: cannot read {quote(value[:40])} as a date ({FORMS})")


def checked_birthday(text: str, field: str, today: date) -> str:
    """:func:`checked`, and no one is born after ``today``: for what people type.

    (Only the commands ask this: the log keeps any date of its window, so what
    an importer or an older version wrote stays readable.) Other dates may lie
    ahead: an anniversary can start on a day still to come.
    """
    value = checked(text, field)
    if len(value) == 10 and value > today.isoformat():
        raise BadInput(f"{field}: {quote(value)} is after today ({today.isoformat()}), so not "
                       f"a birthday yet; give it as MM-DD ({value[5:]}) if the year is not known")
    return value


def checked_label(text: str, field: str) -> str:
    """An important date's label, trimmed; :class:`BadInput` naming ``field`` otherwise."""
    from coffeechat import validate

    label = validate.one_line(text, field, limit=LABEL_LIMIT, required=True)
    if "=" in label:
        raise BadInput(f"{field}: the label {quote(label)} may not hold '='")
    if label.lower() == BIRTHDAY:
        raise BadInput(f"{field}: set the birthday with --birthday, not as a date")
    return label


def checked_dates(dates: object, field: str, *, clearing: bool) -> dict[str, str | None]:
    """Important dates people gave (label -> date), checked; with ``clearing``, an empty
    date (``--date LABEL=``) stands for None: that date is removed."""
    if not isinstance(dates, dict):
        raise BadInput(f"{field}: give LABEL=DATE")
    if len(dates) > DATES_LIMIT:
        raise BadInput(f"{field}: {len(dates)} dates is too many (the limit is {DATES_LIMIT})")
    found: dict[str, str | None] = {}
    for label, value in dates.items():
        name = checked_label(str(label), field)
        if value is None or not str(value).strip():
            if not clearing:
                raise BadInput(f"{field}: give a date for {quote(name)} ({name}={FORMS})")
            found[name] = None
        else:
            found[name] = checked(str(value), f"{field} {name}")
    return found


def on_year(month: int, day: int, year: int) -> date:
    """That month and day in ``year`` (February 29 is February 28 when the year has none)."""
    if month == 2 and day == 29 and not _leap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def next_on_or_after(value: object, day: date) -> date | None:
    """The first occurrence of a stored date on or after ``day`` (None: unusable).

    A date with a year does not occur before that year (an anniversary starts then).
    """
    parts = parse(value)
    if parts is None:
        return None
    year, month, mday = parts
    start = max(day.year, year or day.year)
    found = on_year(month, mday, start)
    if found < day:
        if start + 1 > LATEST.year:
            return None
        found = on_year(month, mday, start + 1)
    return found


def occurrences(value: object, first: date, count: int) -> list[date]:
    """``count`` occurrences of a stored date, the first on or after ``first``."""
    found: list[date] = []
    nxt = next_on_or_after(value, first)
    while nxt is not None and len(found) < count:
        found.append(nxt)
        nxt = next_on_or_after(value, nxt + timedelta(days=1))
    return found


def years_at(value: object, occurrence: date) -> int | None:
    """How many years the date has on ``occurrence`` (an age), when its year is known."""
    parts = parse(value)
    if parts is None or parts[0] is None:
        return None
    return occurrence.year - parts[0]


def spoken(day: date) -> str:
    """A day as a reason says it: ``Dec 3`` (English month names, whatever the locale)."""
    return f"{MONTHS[day.month - 1]} {day.day}"


def profile_line(label: str, value: object, today: date) -> str:
    """How ``show`` tells a date: ``birthday: Dec 3, 1985 (turns 41 on 2026-12-03)``."""
    parts = parse(value)
    if parts is None:
        return f"{label}: {str(value)[:40]} (not a date this version can read)"
    year, month, day = parts
    written = spoken(date(2000, month, day)) + (f", {year}" if year else "")
    nxt = next_on_or_after(value, today)
    if nxt is None:
        return f"{label}: {written}"
    count = years_at(value, nxt)
    if not count:
        return f"{label}: {written} (next on {nxt.isoformat()})"
    if label == BIRTHDAY:
        return f"{label}: {written} (turns {count} on {nxt.isoformat()})"
    return f"{label}: {written} ({count} year{'s' if count != 1 else ''} on {nxt.isoformat()})"


# -- the forms other tools write ------------------------------------------------------------

_COMPACT = re.compile(r"^(\d{4}|--)-?(\d\d)-?(\d\d)$")  # 19850412, --0412, --04-12, 1985-04-12
NO_YEAR = 1604  # the year Apple's Contacts writes for "year not known"


def from_export(text: str, field: str) -> str | None:
    """A date as vCard (BDAY, ANNIVERSARY) or Google Contacts write it, in the stored form.

    ``19850412``, ``1985-04-12``, ``--0412``, ``--04-12`` and a time after the
    date (``1985-04-12T00:00:00Z``) are read; the year Apple writes for "no
    year" (1604) means no year. Empty: None. Otherwise
    :class:`BadInput` naming ``field``.
    """
    value = text.strip()
    if not value:
        return None
    if "T" in value[4:]:
        value = value[:value.index("T", 4)]
    match = _COMPACT.match(value)
    if match is None:
        raise BadInput(f"{field}: cannot read {quote(value[:40])} as a date")
    year, month, day = match.groups()
    if year != "--" and int(year) == NO_YEAR:
        year = "--"
    return checked(f"{month}-{day}" if year == "--" else f"{year}-{month}-{day}", field)
