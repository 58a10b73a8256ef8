"""`export ics` and the meetings recorded with `met`: never scheduled, or longer than planned."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import icalendar

from tests.conftest import CLI
from tests.test_calendar import configure, exported, meetings, utc


def uids(cal: Any) -> list[str]:
    return [str(event["UID"]) for event in cal.walk("VEVENT")]


def test_a_meeting_only_recorded_with_met_is_exported(run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.run("add", "Priya Raman", "--email", "priya@example.com")
    [held] = [e for e in run.json("met", "priya", "--on", "2026-10-30T16:00:00Z")["recorded"]
              if e["type"] == "meeting.held"]
    event = meetings(exported(run, tmp_path))["priya-raman"]
    assert utc(event) == datetime(2026, 10, 30, 16, tzinfo=UTC)
    assert utc(event, "DTEND") == datetime(2026, 10, 30, 16, 30, tzinfo=UTC)  # 30 by default
    assert str(event["UID"]) == f"{held['id']}@coffeechat"
    assert str(event["STATUS"]) == "CONFIRMED" and int(event["SEQUENCE"]) == 0
    assert "Priya Raman" in str(event["SUMMARY"])
    assert str(event["ATTENDEE"]) == "mailto:priya@example.com"
    assert event.walk("VALARM") == []  # it has happened: nothing to remind of

    run.run("add", "Omar Haddad")
    run.run("met", "omar", "--on", "2026-10-31T10:00:00Z", "--minutes", "50")
    omar = meetings(exported(run, tmp_path))["omar-haddad"]
    assert utc(omar, "DTEND") == datetime(2026, 10, 31, 10, 50, tzinfo=UTC)


def test_met_minutes_is_the_length_exported(run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.run("add", "Priya Raman")
    run.run("schedule", "priya", "--at", "2026-11-03T15:00:00Z")  # 30 minutes planned
    planned = meetings(exported(run, tmp_path))["priya-raman"]
    assert utc(planned, "DTEND") == datetime(2026, 11, 3, 15, 30, tzinfo=UTC)
    assert planned.walk("VALARM")
    run.now = "2026-11-03T16:00:00Z"
    run.run("met", "priya", "--minutes", "45")
    [event] = exported(run, tmp_path).walk("VEVENT")
    assert str(event["UID"]) == str(planned["UID"])  # the same meeting, updated
    assert utc(event) == datetime(2026, 11, 3, 15, tzinfo=UTC)
    assert utc(event, "DTEND") == datetime(2026, 11, 3, 15, 45, tzinfo=UTC)
    assert int(event["SEQUENCE"]) == int(planned["SEQUENCE"]) + 1  # so calendars take it
    assert event.walk("VALARM") == []


def test_met_without_minutes_keeps_the_scheduled_length(run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.run("add", "Priya Raman")
    run.run("schedule", "priya", "--at", "2026-11-03T15:00:00Z", "--minutes", "25")
    before = meetings(exported(run, tmp_path))["priya-raman"]
    run.run("met", "priya", "--on", "2026-11-03T15:30:00Z")
    after = meetings(exported(run, tmp_path))["priya-raman"]
    assert utc(after, "DTEND") == datetime(2026, 11, 3, 15, 25, tzinfo=UTC)
    assert int(after["SEQUENCE"]) == int(before["SEQUENCE"])


def test_exporting_again_names_every_meeting_the_same(run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.run("add", "Priya Raman")
    run.run("add", "Omar Haddad")
    run.run("schedule", "priya", "--at", "2026-11-03T15:00:00Z")
    run.run("met", "priya", "--on", "2026-11-03T15:40:00Z", "--minutes", "40")
    run.run("met", "omar", "--on", "2026-10-28T12:00:00Z")
    run.run("met", "omar", "--on", "2026-11-01T12:00:00Z")  # a second coffee, unscheduled
    first = exported(run, tmp_path)
    assert len(uids(first)) == len(set(uids(first))) == 3
    run.now = "2026-11-05T09:00:00Z"
    second = exported(run, tmp_path)
    assert uids(second) == uids(first)
    # What a calendar app holds after importing both: one event per UID, the newer kept.
    calendar: dict[str, Any] = {}
    for cal in (first, second):
        for event in cal.walk("VEVENT"):
            calendar[str(event["UID"])] = event
    assert len(calendar) == 3

    # Importing our own export into coffeechat records nothing either.
    before = run.count()
    out = tmp_path / "again.ics"
    out.write_bytes(second.to_ical())
    result = run.json("import", "ics", str(out))
    assert result["scheduled"] == [] and result["added"] == [] and result["unchanged"] == 3
    assert run.count() == before


def test_an_undone_met_leaves_the_calendar(run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.run("add", "Priya Raman")
    run.run("met", "priya", "--on", "2026-10-30T16:00:00Z")
    assert len(exported(run, tmp_path).walk("VEVENT")) == 1
    run.run("undo")
    cal = icalendar.Calendar.from_ical(run.run("export", "ics").out)
    assert cal.walk("VEVENT") == []
