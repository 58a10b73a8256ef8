"""Moving a meeting with `schedule`: what the move keeps.

coffeechat keeps one scheduled meeting per contact, so scheduling again moves it.
Before, the moved meeting lost its place and went back to 30 minutes unless both
were given again; the calendar file then showed a 30-minute meeting with no place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import icalendar

from tests.conftest import InProcessCLI


def meeting(run: InProcessCLI) -> Any:
    """The one VEVENT of `export ics` that is not cancelled."""
    cal = icalendar.Calendar.from_ical(run.run("export", "ics").out)
    [event] = [e for e in cal.walk("VEVENT") if str(e.get("STATUS", "")) != "CANCELLED"]
    return event


def span(event: Any) -> tuple[datetime, datetime]:
    return (event.decoded("DTSTART").astimezone(UTC), event.decoded("DTEND").astimezone(UTC))


def booked(run: InProcessCLI) -> None:
    run.run("add", "Grace Hopper")
    run.run("schedule", "grace", "--at", "2026-11-10T15:00Z", "--minutes", "45",
            "--where", "Blue Bottle, Market St")


def test_a_moved_meeting_keeps_its_length_and_place(run: InProcessCLI) -> None:
    booked(run)
    moved = run.run("schedule", "grace", "--at", "2026-11-12T09:00Z")
    assert "is now on" in moved.err
    event = meeting(run)
    assert span(event) == (datetime(2026, 11, 12, 9, tzinfo=UTC),
                           datetime(2026, 11, 12, 9, 45, tzinfo=UTC))
    assert str(event["LOCATION"]) == "Blue Bottle, Market St"
    assert "45 min, Blue Bottle, Market St" in run.run("log", "--contact", "grace").out


def test_a_move_takes_what_is_given_and_where_empty_drops_the_place(run: InProcessCLI) -> None:
    booked(run)
    run.run("schedule", "grace", "--at", "2026-11-12T09:00Z", "--minutes", "20")
    event = meeting(run)
    assert span(event)[1] == datetime(2026, 11, 12, 9, 20, tzinfo=UTC)
    assert str(event["LOCATION"]) == "Blue Bottle, Market St"
    run.run("schedule", "grace", "--at", "2026-11-13T09:00Z", "--where", "")
    event = meeting(run)
    assert "LOCATION" not in event
    assert span(event)[1] == datetime(2026, 11, 13, 9, 20, tzinfo=UTC)


def test_a_new_meeting_after_one_was_held_or_cancelled_starts_afresh(run: InProcessCLI) -> None:
    """Only a meeting still scheduled is moved: the next one lasts 30 minutes, nowhere."""
    booked(run)
    run.run("cancel", "grace")
    run.run("schedule", "grace", "--at", "2026-11-12T09:00Z")
    event = meeting(run)
    assert span(event)[1] == datetime(2026, 11, 12, 9, 30, tzinfo=UTC)
    assert "LOCATION" not in event


def test_a_meeting_whose_time_passed_gives_way_to_a_new_one(run: InProcessCLI) -> None:
    """Scheduled again after its time passed with nothing recorded: a new meeting, not a
    move, so it lasts 30 minutes unless told, nowhere in particular."""
    booked(run)
    run.now = "2026-11-11T09:00:00Z"
    run.run("schedule", "grace", "--at", "2026-11-17T15:00Z")
    cal = icalendar.Calendar.from_ical(run.run("export", "ics").out)
    passed, event = sorted(cal.walk("VEVENT"), key=lambda e: e.decoded("DTSTART"))
    assert span(event)[1] == datetime(2026, 11, 17, 15, 30, tzinfo=UTC)
    assert "LOCATION" not in event and str(passed["LOCATION"]) == "Blue Bottle, Market St"
    assert str(passed["STATUS"]) == "CONFIRMED" and passed["UID"] != event["UID"]


# Rows planted with SQL through this session's new fold paths (an all-day meeting at the
# last day kept, a move right after it, an archive on a merged contact's stream after the
# merge, an all_day that is not a boolean): every command answers, and a rebuild agrees.
PLANTED = [
    ("all-day-last", "meeting.scheduled", "2026-11-03T09:00:00Z",
     '{"at":"2200-12-31T10:00:00Z","minutes":1440,"all_day":true}', 1, None),
    ("moved-after-it", "meeting.scheduled", "2026-11-03T09:05:00Z",
     '{"at":"2200-12-31T12:00:00Z"}', 1, None),
    ("all-day-not-bool", "meeting.scheduled", "2026-11-03T09:06:00Z",
     '{"at":"2026-12-01T10:00:00Z","all_day":"yes"}', 1, None),
    ("dup-added", "contact.added", "2026-11-03T09:00:00Z", '{"name":"Jane D."}', 1,
     "contact:jane-d"),
    ("dup-merged", "contact.merged", "2026-11-03T09:01:00Z", '{"into":"jane-doe"}', 1,
     "contact:jane-d"),
    ("dup-archived-after", "contact.archived", "2026-11-03T09:02:00Z", "{}", 1,
     "contact:jane-d"),
]


def test_rows_planted_through_the_new_fold_paths_break_no_command(
        run: InProcessCLI, tmp_path: Path) -> None:
    from tests.test_session7_stateful import rebuilt
    from tests.test_total_fold import plant

    run.run("add", "Jane Doe")
    run.now = "2026-11-03T10:00:00Z"
    plant(run.db, PLANTED)
    notes = tmp_path / "notes"
    notes.mkdir()
    for args in (("contacts",), ("show", "jane-doe"), ("due", "--all"), ("today",),
                 ("log",), ("stats",), ("reconnect",), ("export", "ics"),
                 ("export", "jsonl"), ("report", "--out", str(tmp_path / "r.html")),
                 ("watch", str(notes), "--once"), ("verify",), ("rebuild",)):
        result = run.run(*args, expect=None)
        assert "Traceback" not in result.err and result.code in (0, 1), (args, result)
    # The archive on the merged stream, after the merge, is about Jane; the views say so
    # now and after a rebuild alike.
    [jane] = [c for c in run.json("contacts") if c["id"] == "jane-doe"]
    assert jane["stage"] == "archived"
    assert run.json("due", "--all") == rebuilt(run, "due", "--all")
