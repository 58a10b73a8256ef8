"""Review of recurring invitations in `import ics` (f4f72a5, core/recurrence.py): RFC 5545
corners, hostile rules, and re-imports over days around what the user records by hand.

The review found 14 bugs, all fixed since (among them, older than recurring
invitations: an invitation imported again after `undo` was taken for a repeat and
dropped); the tests guard them.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.conftest import CLI
from tests.test_calendar import configure, exported, utc
from tests.test_calendar_recurring import WEEKLY, held, variant

# WEEKLY: Tuesdays 10:00 New York from 2026-09-01 (EDT), without 2026-12-08; organiser Samira.
START = "DTSTART;TZID=America/New_York:20260901T100000"
END = "DTEND;TZID=America/New_York:20260901T103000"
RULE = "RRULE:FREQ=WEEKLY;BYDAY=TU"
EXDATE = "EXDATE;TZID=America/New_York:20261208T100000"
MONDAY = "2026-11-30T12:00:00Z"  # the day before Tuesday 1 December (10:00 EST = 15:00Z)


def with_rule(tmp_path: Path, name: str, *lines: str) -> Path:
    """The weekly invitation with its RRULE and EXDATE lines replaced by ``lines``."""
    return variant(tmp_path, name, (f"{RULE}\n{EXDATE}\n", "".join(f"{x}\n" for x in lines)))


def at(run: CLI, tmp_path: Path) -> datetime:
    """When the one meeting recorded (Samira's) is, as the calendar export says."""
    [event] = [e for e in exported(run, tmp_path).walk("VEVENT") if not held(e)]
    return utc(event)


def refused(run: CLI, path: Path) -> str:
    """The one line an import that must fail prints; nothing is recorded."""
    before = run.count()
    result = run.run("import", "ics", str(path), expect=1)
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err and str(path) in lines[0] and "event 1" in lines[0]
    assert lines[0].endswith("nothing was imported"), lines[0]
    assert run.count() == before
    return lines[0]


def on_monday(run: CLI) -> None:
    """You configured ([me] email), the clock on Monday 30 November."""
    configure(run)
    run.now = MONDAY


def tuesday(day: int, month: int = 12, hour: int = 15) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


# -- RFC 5545 corners ------------------------------------------------------------------------

@pytest.mark.parametrize(("lines", "expected"), [
    # an extra date given as a day beside a timed start: that day at the start's time
    (["RRULE:FREQ=WEEKLY;COUNT=2", "RDATE;VALUE=DATE:20261204"], tuesday(4)),
    # an excluded day given as a date, in UTC, or in another zone: the same occurrence
    ([RULE, "EXDATE;VALUE=DATE:20261201"], tuesday(8)),
    ([RULE, "EXDATE:20261201T150000Z"], tuesday(8)),
    ([RULE, "EXDATE;TZID=Europe/Berlin:20261201T160000"], tuesday(8)),
    # two rules: Tuesdays and Mondays; the Monday at 10:00 New York is still to come
    ([RULE, "RRULE:FREQ=WEEKLY;BYDAY=MO"], datetime(2026, 11, 30, 15, tzinfo=UTC)),
    # the last weekday of the month, the last day, the first Monday
    (["RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"], datetime(2026, 11, 30, 15,
                                                                      tzinfo=UTC)),
    (["RRULE:FREQ=MONTHLY;BYMONTHDAY=-1"], datetime(2026, 11, 30, 15, tzinfo=UTC)),
    (["RRULE:FREQ=MONTHLY;BYDAY=1MO"], datetime(2026, 12, 7, 15, tzinfo=UTC)),
    # an UNTIL before the start, or nothing left after EXDATE: the start itself
    (["RRULE:FREQ=WEEKLY;UNTIL=20250101T000000Z"], tuesday(1, 9, 14)),
    # UNTIL in floating form beside a zoned start: read in the start's wall time
    (["RRULE:FREQ=WEEKLY;UNTIL=20261110T100000"], tuesday(10, 11)),
])
def test_rfc_5545_corners_pick_the_right_occurrence(run: CLI, tmp_path: Path, lines: list[str],
                                                     expected: datetime) -> None:
    on_monday(run)
    run.run("import", "ics", str(with_rule(tmp_path, "corner", *lines)))
    assert at(run, tmp_path) == expected


def test_an_extra_date_given_as_a_period_is_its_start(run: CLI, tmp_path: Path) -> None:
    on_monday(run)
    path = with_rule(tmp_path, "period", "RRULE:FREQ=WEEKLY;COUNT=2",
                     "RDATE;VALUE=PERIOD:20261204T140000Z/PT30M")
    run.run("import", "ics", str(path))
    assert at(run, tmp_path) == datetime(2026, 12, 4, 14, tzinfo=UTC)


def test_until_as_a_date_keeps_the_meeting_on_that_day(run: CLI, tmp_path: Path) -> None:
    on_monday(run)
    run.run("import", "ics", str(with_rule(tmp_path, "until", "RRULE:FREQ=WEEKLY;UNTIL=20261110")))
    assert at(run, tmp_path) == tuesday(10, 11)


def test_a_series_of_extra_dates_starts_at_its_dtstart(run: CLI, tmp_path: Path) -> None:
    on_monday(run)
    path = variant(tmp_path, "rdates",
                   (START, "DTSTART;TZID=America/New_York:20261201T100000"),
                   (END, "DTEND;TZID=America/New_York:20261201T103000"),
                   (f"{RULE}\n{EXDATE}\n", "RDATE;TZID=America/New_York:20261210T100000\n"))
    run.run("import", "ics", str(path))
    assert at(run, tmp_path) == tuesday(1)


def test_a_floating_series_keeps_its_wall_time_across_daylight_saving(
        run: CLI, tmp_path: Path) -> None:
    """No zone: 10:00 wherever the computer is (Berlin: CEST in September, CET in December)."""
    on_monday(run)
    path = variant(tmp_path, "floating", (START, "DTSTART:20260901T100000"),
                   (END, "DTEND:20260901T103000"), (EXDATE + "\n", ""))
    run.run("import", "ics", str(path), TZ="Europe/Berlin")
    assert at(run, tmp_path) == tuesday(1, hour=9)  # 10:00 CET
    # an all-day series is a day wherever the computer is (exported as that day)
    allday = variant(tmp_path, "allday", (START, "DTSTART;VALUE=DATE:20260901"),
                     (END, "DTEND;VALUE=DATE:20260902"), (EXDATE + "\n", ""),
                     ("UID:7fk2", "UID:8fk2"))
    run.run("import", "ics", str(allday), TZ="Europe/Berlin")
    starts = {str(e["UID"])[:4]: e.decoded("DTSTART")
              for e in exported(run, tmp_path).walk("VEVENT")}
    assert starts["8fk2"] == date(2026, 12, 1)
    assert starts["7fk2"] == tuesday(1, hour=9)


def test_series_from_1900_and_up_to_2200(run: CLI, tmp_path: Path) -> None:
    on_monday(run)
    weekly = variant(tmp_path, "old", (START, "DTSTART:19000102T150000Z"),
                     (END, "DTEND:19000102T153000Z"), (EXDATE + "\n", ""))
    started = time.monotonic()
    run.run("import", "ics", str(weekly))
    assert time.monotonic() - started < 2  # (6,600 weeks walked)
    assert at(run, tmp_path) == tuesday(1)  # 2 January 1900 was a Tuesday

    late = tmp_path / "late"
    late.mkdir()
    run.now = "2200-06-01T00:00:00Z"
    yearly = variant(tmp_path, "yearly", (START, "DTSTART:21900101T150000Z"),
                     (END, "DTEND:21900101T153000Z"), (f"{RULE}\n", "RRULE:FREQ=YEARLY\n"),
                     (EXDATE + "\n", ""), ("UID:7fk2", "UID:9fk2"))
    # the next one (1 January 2201) is past the dates coffeechat keeps: the file is refused
    assert "2201-01-01 is outside the dates coffeechat keeps" in refused(run, yearly)


def test_an_occurrence_out_of_range_is_not_called_dtstart(run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.now = "2200-06-01T00:00:00Z"
    yearly = variant(tmp_path, "yearly", (START, "DTSTART:21900101T150000Z"),
                     (END, "DTEND:21900101T153000Z"), (f"{RULE}\n", "RRULE:FREQ=YEARLY\n"),
                     (EXDATE + "\n", ""))
    assert "DTSTART: 2201" not in refused(run, yearly)


# -- hostile rules ---------------------------------------------------------------------------

@pytest.mark.parametrize(("rule", "message"), [
    ("RRULE:FREQ=WEEKLY;BYDAY=0MO", "RRULE: cannot read"),
    ("RRULE:", "RRULE: cannot read"),
    ("RRULE:FREQ=DAILY;DTSTART=19000101T000000", "RRULE: cannot read"),
    ("RRULE:FREQ=SECONDLY;BYHOUR=25", "more often than daily"),
    ("RRULE:FREQ=HOURLY", "more often than daily"),
    ("RRULE:FREQ=WEEKLY\nRDATE:notadate", "RDATE"),
    ("RRULE:FREQ=WEEKLY\nEXDATE:notadate", "EXDATE"),
    ("RDATE:00010101T000000Z", "out of range"),
    ("RDATE:23000101T000000Z", "outside the dates coffeechat keeps"),
])
def test_a_bad_rule_or_date_is_one_line_and_records_nothing(run: CLI, tmp_path: Path,
                                                            rule: str, message: str) -> None:
    on_monday(run)
    assert message in refused(run, with_rule(tmp_path, "bad", rule))


def test_a_bad_second_event_imports_none_of_the_file(run: CLI, tmp_path: Path) -> None:
    on_monday(run)
    text = WEEKLY.read_text()
    event = text[text.index("BEGIN:VEVENT"):text.index("END:VCALENDAR")]
    second = event.replace("UID:7fk2", "UID:8fk2").replace(RULE, "RRULE:FREQ=MONTHLY;BYDAY=0MO")
    path = tmp_path / "two.ics"
    path.write_text(text.replace("END:VCALENDAR", second + "END:VCALENDAR"))
    result = run.run("import", "ics", str(path), expect=1)
    assert "event 2" in result.err and "RRULE" in result.err
    assert run.count() == 0


@pytest.mark.parametrize(("rule", "part"), [("RRULE:FREQ=WEEKLY;INTERVAL=0", "INTERVAL"),
                                            ("RRULE:FREQ=WEEKLY;WKST=XX", "WKST")])
def test_a_bad_part_of_a_rule_is_named(run: CLI, tmp_path: Path, rule: str, part: str) -> None:
    on_monday(run)
    line = refused(run, with_rule(tmp_path, "bad", rule))
    assert "RRULE" in line and part in line and "'FREQ'" not in line


def test_a_rule_that_never_matches_is_not_walked_for_seconds(run: CLI, tmp_path: Path) -> None:
    """(dateutil walks a rule that yields nothing to the year 9999, whatever its UNTIL:
    seconds for one line; the walk has a time limit)"""
    on_monday(run)
    path = with_rule(tmp_path, "never", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30")
    started = time.monotonic()
    assert "takes longer than 0.5 s to follow" in refused(run, path)
    assert time.monotonic() - started < 2


def test_a_huge_count_is_a_series_without_end(run: CLI, tmp_path: Path) -> None:
    on_monday(run)
    run.run("import", "ics", str(with_rule(tmp_path, "huge", "RRULE:FREQ=WEEKLY;"
                                                               "COUNT=999999999999999999999")))
    assert at(run, tmp_path) == tuesday(1)


def test_a_secondly_rule_filtered_to_once_a_day_is_refused_at_once(
        run: CLI, tmp_path: Path) -> None:
    """(dateutil visits every second of such a rule: 2.4 s per year before today)"""
    on_monday(run)
    path = variant(tmp_path, "secondly", (START, "DTSTART:20260501T150000Z"),
                   (END, "DTEND:20260501T153000Z"),
                   (RULE, "RRULE:FREQ=SECONDLY;BYHOUR=15;BYMINUTE=0;BYSECOND=0"))
    started = time.monotonic()
    assert "FREQ=SECONDLY: a meeting repeating more often than daily" in refused(run, path)
    assert time.monotonic() - started < 0.5


# -- re-imports over days --------------------------------------------------------------------

def weekly_then(run: CLI, *action: str) -> None:
    """The weekly series imported on Monday 30 November, then ``action`` done by hand."""
    on_monday(run)
    run.run("import", "ics", str(WEEKLY))
    run.run(*action)


@pytest.mark.parametrize("action", [["cancel", "samira", "--reason", "ill"],
                                    ["met", "samira", "--minutes", "50"],
                                    ["schedule", "samira", "--at", "2026-12-02T15:00:00Z"]],
                         ids=["cancel", "met-longer", "moved-by-hand"])
def test_a_series_moves_on_after_this_week_is_changed_by_hand(
        run: CLI, tmp_path: Path, action: list[str]) -> None:
    weekly_then(run, *action)
    run.now = "2026-12-03T09:00:00Z"
    assert run.json("import", "ics", str(WEEKLY))["scheduled"] == ["samira-haddad"]
    assert at(run, tmp_path) == tuesday(15)


def test_a_series_moved_on_can_be_cancelled_and_stays_cancelled(run: CLI, tmp_path: Path) -> None:
    weekly_then(run, "met", "samira")
    run.now = "2026-12-02T09:00:00Z"
    assert run.json("import", "ics", str(WEEKLY))["scheduled"] == ["samira-haddad"]
    cancel = variant(tmp_path, "cancel", ("METHOD:REQUEST", "METHOD:CANCEL"),
                     ("STATUS:CONFIRMED", "STATUS:CANCELLED"))
    assert run.json("import", "ics", str(cancel))["cancelled"] == ["samira-haddad"]
    [was, event] = sorted(exported(run, tmp_path).walk("VEVENT"), key=utc)  # (held: stays)
    assert held(was) and utc(was) == tuesday(1)
    assert str(event["STATUS"]) == "CANCELLED" and utc(event) == tuesday(15)
    # neither the old request nor the cancellation again changes anything, weeks later
    run.now = "2027-01-20T09:00:00Z"
    before = run.count()
    assert run.json("import", "ics", str(WEEKLY))["unchanged"] == 1
    assert run.json("import", "ics", str(cancel))["unchanged"] == 1
    assert run.count() == before
    assert run.json("show", "samira")["stage"] != "scheduled"


def test_a_higher_sequence_changes_the_rule_and_an_older_one_is_ignored(
        run: CLI, tmp_path: Path) -> None:
    on_monday(run)
    run.run("import", "ics", str(WEEKLY))
    thursdays = variant(tmp_path, "thursdays", (RULE, "RRULE:FREQ=WEEKLY;BYDAY=TH"),
                        ("SEQUENCE:0", "SEQUENCE:1"))
    assert run.json("import", "ics", str(thursdays))["scheduled"] == ["samira-haddad"]
    assert at(run, tmp_path) == tuesday(3)  # Thursday 3 December
    assert run.json("import", "ics", str(WEEKLY))["unchanged"] == 1
    run.now = "2026-12-04T09:00:00Z"  # the Thursday is over (not held): on to the next
    assert run.json("import", "ics", str(WEEKLY))["unchanged"] == 1
    assert run.json("import", "ics", str(thursdays))["scheduled"] == ["samira-haddad"]
    assert at(run, tmp_path) == tuesday(10)


def test_our_own_export_of_a_series_records_nothing(run: CLI, tmp_path: Path) -> None:
    weekly_then(run, "met", "samira")
    run.now = "2026-12-09T09:00:00Z"
    run.run("import", "ics", str(WEEKLY))
    assert at(run, tmp_path) == tuesday(15)
    own = tmp_path / "own.ics"
    run.run("export", "ics", "--out", str(own))
    before = run.count()
    for moment in ("2026-12-09T09:00:00Z", "2026-12-20T09:00:00Z"):
        run.now = moment
        assert run.json("import", "ics", str(own))["scheduled"] == []
    assert run.count() == before


def override(tmp_path: Path, name: str, *lines: str) -> Path:
    """The weekly series with a second VEVENT changing its 1 December occurrence."""
    text = WEEKLY.read_text()
    event = text[text.index("BEGIN:VEVENT"):text.index("END:VCALENDAR")]
    changed = event.replace(f"{RULE}\n{EXDATE}\n",
                            "RECURRENCE-ID;TZID=America/New_York:20261201T100000\n")
    for line in lines:
        key = line.split(":")[0].split(";")[0]
        changed = "\n".join(line if x.split(":")[0].split(";")[0] == key else x
                            for x in changed.split("\n"))
    path = tmp_path / f"{name}.ics"
    path.write_text(text.replace("END:VCALENDAR", changed + "END:VCALENDAR"))
    return path


def test_an_override_moving_the_next_occurrence_is_followed(run: CLI, tmp_path: Path) -> None:
    on_monday(run)
    moved = override(tmp_path, "moved", "DTSTART;TZID=America/New_York:20261202T110000",
                     "DTEND;TZID=America/New_York:20261202T113000", "SEQUENCE:1")
    run.run("import", "ics", str(moved))
    assert at(run, tmp_path) == tuesday(2, hour=16)


def test_an_override_cancelling_the_next_occurrence_is_followed(run: CLI, tmp_path: Path) -> None:
    on_monday(run)
    off = override(tmp_path, "off", "STATUS:CANCELLED", "SEQUENCE:1")
    run.run("import", "ics", str(off))
    assert at(run, tmp_path) == tuesday(15)  # (the 8th is excluded)


def test_an_undone_import_can_be_imported_again(run: CLI, tmp_path: Path) -> None:
    on_monday(run)
    run.run("import", "ics", str(WEEKLY))
    run.run("undo")
    assert run.json("import", "ics", str(WEEKLY))["scheduled"] == ["samira-haddad-2"]
    assert at(run, tmp_path) == tuesday(1)


def test_a_series_in_outlooks_own_zone_definition(run: CLI, tmp_path: Path) -> None:
    """Outlook names its VTIMEZONE 'Customized Time Zone': the series follows its rules."""
    on_monday(run)
    text = WEEKLY.read_text().replace("America/New_York", "Customized Time Zone")
    path = tmp_path / "outlook.ics"
    path.write_text(text.replace("X-LIC-LOCATION:Customized Time Zone\n", ""))
    run.run("import", "ics", str(path))
    assert at(run, tmp_path) == tuesday(1)  # 10:00 at -05:00 by the file's own rules
    run.run("met", "samira")
    run.now = "2026-12-02T09:00:00Z"
    run.run("import", "ics", str(path))
    assert at(run, tmp_path) == tuesday(15)  # its EXDATE in that zone is honoured
