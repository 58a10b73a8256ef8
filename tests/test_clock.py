"""The clock and the date forms people type."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from coffeechat import clock
from coffeechat.errors import BadDate

NOW = datetime(2026, 11, 20, 18, 30, 15, tzinfo=UTC)


def set_zone(zone: str | None) -> None:
    if zone is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = zone
    time.tzset()


@pytest.fixture(autouse=True)
def utc() -> Iterator[None]:
    saved = os.environ.get("TZ")
    set_zone("UTC")
    yield
    set_zone(saved)


def when(text: str, **kw: bool) -> str:
    return clock.stamp(clock.parse_when(text, where="--on", reference=NOW, **kw))


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-28", "2026-11-28T00:00:00Z"),
    ("2026-11-28T10:00", "2026-11-28T10:00:00Z"),
    ("2026-11-28 10:00", "2026-11-28T10:00:00Z"),
    ("2026-11-28T10:00:00+02:00", "2026-11-28T08:00:00Z"),
    ("2026-11-28T10:00:00Z", "2026-11-28T10:00:00Z"),
    ("today", "2026-11-20T18:30:15Z"),
    ("now", "2026-11-20T18:30:15Z"),
    ("Tomorrow", "2026-11-21T18:30:15Z"),
    ("yesterday", "2026-11-19T18:30:15Z"),
    ("+3d", "2026-11-23T18:30:15Z"),
    ("-2w", "2026-11-06T18:30:15Z"),
    ("+4h", "2026-11-20T22:30:15Z"),
    ("-90m", "2026-11-20T17:00:15Z"),
    ("friday", "2026-11-20T18:30:15Z"),  # NOW is a Friday
    ("Monday", "2026-11-23T18:30:15Z"),
])
def test_date_forms(text: str, expected: str) -> None:
    assert when(text) == expected


def test_weekdays_look_back_for_when_something_happened() -> None:
    assert when("monday", past=True) == "2026-11-16T18:30:15Z"
    assert when("friday", past=True) == "2026-11-20T18:30:15Z"
    assert when("thursday", past=True) == "2026-11-19T18:30:15Z"
    assert when("thursday") == "2026-11-26T18:30:15Z"


def test_a_date_means_the_end_of_the_day_for_deadlines() -> None:
    assert when("2026-11-28", end_of_day=True) == "2026-11-28T23:59:59Z"
    assert when("tomorrow", end_of_day=True) == "2026-11-21T23:59:59Z"
    assert when("saturday", end_of_day=True) == "2026-11-21T23:59:59Z"
    assert when("2026-11-28T10:00", end_of_day=True) == "2026-11-28T10:00:00Z"


def test_a_date_without_zone_is_local() -> None:
    set_zone("America/Los_Angeles")
    assert when("2026-11-28T10:00") == "2026-11-28T18:00:00Z"
    assert when("2026-11-28") == "2026-11-28T08:00:00Z"
    assert clock.local_day.__wrapped__("2026-11-28T05:00:00Z") == "2026-11-27"


@pytest.mark.parametrize("text", ["", "someday", "2026-13-01", "+3y", "next friday", "31/12"])
def test_unreadable_dates_name_the_argument(text: str) -> None:
    with pytest.raises(BadDate) as error:
        when(text)
    assert error.value.message.startswith("--on: cannot read")
    assert "\n" not in error.value.message


def test_coffeechat_now_sets_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COFFEECHAT_NOW", "2026-11-20T10:00:00+01:00")
    assert clock.stamp(clock.now()) == "2026-11-20T09:00:00Z"
    monkeypatch.delenv("COFFEECHAT_NOW")
    real = clock.now()
    assert real.tzinfo is UTC and real.microsecond == 0
