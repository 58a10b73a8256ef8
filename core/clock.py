"""The one clock, the local calendar day, and the date forms people type.

Every "now" in coffeechat comes from :func:`now`: ``COFFEECHAT_NOW`` (ISO 8601)
when it is set, the system clock otherwise. Stored times are UTC strings of one
fixed shape (``2026-11-20T18:00:00Z``), so they sort as text and read well in
sqlite3. Times are kept to the second: ties are broken by event id.
A day people think in is a calendar day of the local time zone
(:func:`local_day`, :func:`local_date`, :func:`day_start`); "in N days" keeps
the wall time across such days (:func:`after_days`), hours are real hours
(:func:`moved_by`).
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from time import gmtime, localtime, strftime

from coffeechat.errors import BadDate
from coffeechat.limits import EARLIEST, EARLIEST_STAMP, LATEST, LATEST_STAMP

DATE_HELP = ("ISO 8601 (2026-11-28, 2026-11-28T10:00), today, tomorrow, yesterday, "
             "a weekday, +3d, -2w")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
WINDOW_TEXT = f"{EARLIEST.date()} to {LATEST.date()}"
_OFFSET = re.compile(r"^([+-])(\d{1,5})\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def now() -> datetime:
    """The current time in UTC, to the second, honouring ``COFFEECHAT_NOW``."""
    fixed = os.environ.get("COFFEECHAT_NOW")
    if fixed:
        try:
            moment = _parse_iso(fixed.strip(), end_of_day=False)
        except (ValueError, OverflowError):
            raise BadDate(f"COFFEECHAT_NOW: cannot read {fixed!r} as ISO 8601") from None
        return within_window(moment, "COFFEECHAT_NOW")
    return datetime.now(UTC).replace(microsecond=0)


def now_stamp() -> str:
    """:func:`stamp` of :func:`now` (the time an event is recorded at), in fewer steps."""
    if os.environ.get("COFFEECHAT_NOW"):
        return stamp(now())
    return strftime("%Y-%m-%dT%H:%M:%SZ", gmtime())


def stamp(moment: datetime) -> str:
    """Format an aware datetime as the stored UTC form."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat()[:19] + "Z"  # isoformat is much faster than strftime


def from_stamp(text: str) -> datetime:
    """Read a stored UTC stamp back into an aware datetime."""
    return datetime.fromisoformat(text)


def in_window(moment: datetime) -> bool:
    """Whether an aware datetime lies in the window of dates the log keeps (see limits)."""
    return EARLIEST <= moment <= LATEST


def within_window(moment: datetime, where: str) -> datetime:
    """``moment``, or :class:`BadDate` naming ``where`` when it is outside the window."""
    if not in_window(moment):
        raise BadDate(f"{where}: {moment.date()} is outside the dates coffeechat keeps "
                      f"({WINDOW_TEXT})")
    return moment


def is_stamp(text: object) -> bool:
    """Whether ``text`` is a stored stamp: the exact form, a real time, inside the window."""
    if not isinstance(text, str) or not _STAMP.fullmatch(text):
        return False
    if not EARLIEST_STAMP <= text <= LATEST_STAMP:  # (the form sorts as time)
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:  # 2026-02-30, 25:00 ...
        return False
    return True


@lru_cache(maxsize=8192)
def local_day(text: str) -> str:
    """The local calendar date of a stored stamp, e.g. ``2026-11-20`` (unreadable: as is)."""
    try:
        return datetime.fromisoformat(text).astimezone().date().isoformat()  # (strftime: 2x slower)
    except (ValueError, OverflowError, OSError):
        return str(text)


def local_date(text: str) -> date:
    """The local calendar day of a stored stamp, as a date (raises ValueError when unreadable)."""
    return datetime.fromisoformat(text).astimezone().date()


def day_start(day: date) -> str:
    """The stored stamp of the first second of a local calendar day."""
    return stamp(datetime.combine(day, time()).astimezone())


def local_time(text: str | None) -> str:
    """A stored stamp as local ``YYYY-MM-DD HH:MM`` for people to read (empty for None).

    A stamp that cannot be read (a row planted in the log by hand) is shown as is.
    """
    if not text:
        return ""
    try:
        return datetime.fromisoformat(text).astimezone().isoformat(" ", "minutes")[:16]
    except (ValueError, OverflowError, OSError, TypeError):
        return str(text)


def parse_when(text: str, *, where: str, end_of_day: bool = False, past: bool = False,
               reference: datetime | None = None) -> datetime:
    """Read a DATE or DATETIME argument into an aware UTC datetime.

    ``where`` names the argument for the error message. A date without a time
    means the start of that day in the local zone, or its last second when
    ``end_of_day`` is set (deadlines and ``--as-of``). ``today``, ``tomorrow``,
    ``yesterday``, weekday names and offsets such as ``+3d`` or ``-2w`` count
    from now and keep the time of day (with ``end_of_day``, a day word means the
    end of that day). A weekday is today or the next such day; with ``past``
    (when something happened), today or the last such day.
    """
    raw = text.strip()
    base = reference or now()
    try:
        moment = _parse_when(raw, base, end_of_day=end_of_day, past=past)
    except (ValueError, OverflowError):
        shown = raw.replace("\n", "\\n")[:60]
        year = re.match(r"(\d{4})-\d\d-\d\d", raw)
        if year and not EARLIEST.year <= int(year.group(1)) <= LATEST.year:
            raise BadDate(f"{where}: {shown} is outside the dates coffeechat keeps "
                          f"({WINDOW_TEXT})") from None
        raise BadDate(f"{where}: cannot read {shown!r} as a date (use {DATE_HELP})") from None
    return within_window(moment, where)


def _parse_when(raw: str, base: datetime, *, end_of_day: bool, past: bool) -> datetime:
    word = raw.lower()
    if word in ("now", "today", "tomorrow", "yesterday"):
        shift = {"now": 0, "today": 0, "tomorrow": 1, "yesterday": -1}[word]
        moment = base + timedelta(days=shift)
        if end_of_day and word != "now":
            moment = _day_end(moment.astimezone().date())
        return moment.astimezone(UTC)
    if word in _WEEKDAYS:  # the nearest such day, forward (or back, for `past`)
        local = base.astimezone()
        ahead = (_WEEKDAYS.index(word) - local.weekday()) % 7
        moment = local + timedelta(days=ahead - 7 if past and ahead else ahead)
        if end_of_day:
            moment = _day_end(moment.date())
        return moment.astimezone(UTC)
    match = _OFFSET.match(word)
    if match:
        sign, amount, unit = match.groups()
        delta = timedelta(**{_UNITS[unit]: int(amount)})
        return (base + delta if sign == "+" else base - delta).astimezone(UTC)
    return _parse_iso(raw, end_of_day=end_of_day)


def _parse_iso(raw: str, *, end_of_day: bool) -> datetime:
    if not raw:
        raise ValueError("empty")
    text = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    if len(text) == 10:
        day = datetime.fromisoformat(text).date()
        moment = _day_end(day) if end_of_day else datetime.combine(day, time()).astimezone()
        return moment.astimezone(UTC)
    parsed = datetime.fromisoformat(text.replace(" ", "T", 1))
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()  # a naive time is local time
    return parsed.astimezone(UTC).replace(microsecond=0)


def _day_end(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59)).astimezone()


# -- moving a stored time (the follow-up rules and keep-in-touch) ---------------------------

def moved_by(moment: str, **delta: float) -> str:
    """``moment`` moved by ``delta`` of real time; clamped to the window of dates the log keeps.

    Stored times lie in that window and delays are at most 100 years, so the
    clamp only matters for a row that validation missed: it must not overflow.
    """
    try:
        moved = from_stamp(moment) + timedelta(**delta)
    except (OverflowError, ValueError):
        return LATEST_STAMP if sum(delta.values()) > 0 else EARLIEST_STAMP
    return stamp(min(max(moved, EARLIEST), LATEST))


def after_days(moment: str, days: int) -> str:
    """``moment`` moved ``days`` calendar days in the local time zone: the same wall time.

    "In 90 days" lands at the same time of day whatever daylight saving did in
    between (a wall time that does not exist that day is read with the offset
    before the change). Hour-based delays (thank-you, prep) are real hours: :func:`moved_by`.
    """
    try:
        start = from_stamp(moment).timestamp()
        later = start + days * 86400.0
        wall = later + localtime(start).tm_gmtoff  # the wall time, N days on, as seconds
        moved = wall - localtime(wall - localtime(later).tm_gmtoff).tm_gmtoff
        return stamp(min(max(datetime.fromtimestamp(moved, UTC), EARLIEST), LATEST))
    except (OverflowError, ValueError, OSError):  # (outside what the platform's clock reads)
        return moved_by(moment, days=days)
