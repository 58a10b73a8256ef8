"""`import ics` of a recurring invitation (RRULE, EXDATE, RDATE): the occurrence not yet
over is the meeting recorded, and importing again once it is over moves it on."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tests.conftest import CLI
from tests.test_calendar import DATA, configure, exported, utc

WEEKLY = DATA / "invite-google-weekly.ics"  # Tuesdays 10:00 New York since 2026-09-01,
#                                             but not 2026-12-08


def scheduled(run: CLI, tmp_path: Path, uid: str = "7fk2") -> datetime:
    """The time of the meeting recorded for the series whose UID begins with ``uid``: the
    one not held (an occurrence held stays in the export, beside the next)."""
    [event] = [e for e in exported(run, tmp_path).walk("VEVENT")
               if str(e["UID"]).startswith(uid) and not held(e)]
    return utc(event)


def held(event: Any) -> bool:
    """Whether an exported meeting was held: confirmed, and without a reminder any more."""
    return str(event.get("STATUS")) == "CONFIRMED" and not event.walk("VALARM")


def test_a_weekly_invitation_is_the_next_meeting_and_moves_on(run: CLI, tmp_path: Path
                                                               ) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"  # a Monday
    first = run.json("import", "ics", str(WEEKLY))
    assert first == {"scheduled": ["samira-haddad"], "cancelled": [],
                     "added": ["samira-haddad"], "unchanged": 0}
    # 10:00 in New York on Tuesday 1 December: EST by then, though the series began in EDT
    assert scheduled(run, tmp_path) == datetime(2026, 12, 1, 15, tzinfo=UTC)
    assert run.json("show", "samira-haddad")["stage"] == "scheduled"

    before = run.count()
    assert run.json("import", "ics", str(WEEKLY))["unchanged"] == 1  # the same week
    run.now = "2026-12-01T15:20:00Z"  # under way: still this one
    assert run.json("import", "ics", str(WEEKLY))["unchanged"] == 1
    assert run.count() == before

    run.run("met", "samira", "--notes", "portfolio review")
    run.now = "2026-12-02T09:00:00Z"
    again = run.json("import", "ics", str(WEEKLY))
    assert again["scheduled"] == ["samira-haddad"] and again["added"] == []
    # 8 December is excluded (EXDATE): the 15th
    assert scheduled(run, tmp_path) == datetime(2026, 12, 15, 15, tzinfo=UTC)
    dry = run.run("import", "ics", str(WEEKLY), "--dry-run").out
    assert "unchanged: already recorded at SEQUENCE 0, the occurrence at " \
           "2026-12-15T15:00:00Z" in dry


def test_a_series_that_has_ended_is_its_last_meeting(run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    text = WEEKLY.read_text().replace("RRULE:FREQ=WEEKLY;BYDAY=TU",
                                      "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20261021T035959Z")
    ended = tmp_path / "ended.ics"
    ended.write_text(text)
    run.run("import", "ics", str(ended))
    # the last Tuesday before UNTIL (23:59:59 on the 20th in New York): 20 October, EDT
    assert scheduled(run, tmp_path) == datetime(2026, 10, 20, 14, tzinfo=UTC)

    counted = tmp_path / "counted.ics"
    counted.write_text(WEEKLY.read_text().replace(
        "RRULE:FREQ=WEEKLY;BYDAY=TU", "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=3").replace(
        "UID:7fk2", "UID:8fk2"))
    run.json("import", "ics", str(counted))
    assert scheduled(run, tmp_path, "8fk2") == datetime(2026, 9, 15, 14, tzinfo=UTC)


def test_extra_dates_and_all_day_series(run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    extra = tmp_path / "extra.ics"
    extra.write_text(WEEKLY.read_text().replace(  # (two Tuesdays in September, and a Friday)
        "RRULE:FREQ=WEEKLY;BYDAY=TU\n", "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=2\n"
        "RDATE;TZID=America/New_York:20261204T090000\n"))
    run.run("import", "ics", str(extra))
    assert scheduled(run, tmp_path) == datetime(2026, 12, 4, 14, tzinfo=UTC)  # the RDATE

    monthly = tmp_path / "monthly.ics"
    monthly.write_text(WEEKLY.read_text()
                       .replace("DTSTART;TZID=America/New_York:20260901T100000",
                                "DTSTART;VALUE=DATE:20260115")
                       .replace("DTEND;TZID=America/New_York:20260901T103000",
                                "DTEND;VALUE=DATE:20260116")
                       .replace("RRULE:FREQ=WEEKLY;BYDAY=TU", "RRULE:FREQ=MONTHLY")
                       .replace("UID:7fk2", "UID:9fk2"))
    run.json("import", "ics", str(monthly))
    # all day on the 15th, exported as that day (no time, no zone)
    [event] = [e for e in exported(run, tmp_path).walk("VEVENT")
               if str(e["UID"]).startswith("9fk2")]
    assert event.decoded("DTSTART") == date(2026, 12, 15)


def test_a_bad_or_endless_series_is_a_one_line_error_and_records_nothing(
        run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    for rule, message in [
        ("RRULE:FREQ=FORTNIGHTLY", "RRULE: cannot read 'FREQ=FORTNIGHTLY'"),
        ("RRULE:FREQ=MINUTELY", "RRULE: FREQ=MINUTELY: a meeting repeating more often than "
                                "daily is not one coffeechat can track"),
        ("RRULE:FREQ=DAILY", "RRULE: more than 20,000 occurrences before today"),
        ("RRULE:FREQ=WEEKLY;UNTIL=2026X101T000000Z", "RRULE: UNTIL=2026X101T000000Z is not a time"),
    ]:
        bad = tmp_path / "bad.ics"
        text = WEEKLY.read_text().replace("RRULE:FREQ=WEEKLY;BYDAY=TU", rule)
        if rule == "RRULE:FREQ=DAILY":  # (every day since 1900: 46,000 days)
            text = text.replace("20260901T10", "19000901T10")
        bad.write_text(text)
        result = run.run("import", "ics", str(bad), expect=1)
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], result.err
        assert lines[0].endswith("nothing was imported") and "event 1" in lines[0]
    assert run.count() == 0


def test_a_meeting_moved_later_by_hand_stands_until_it_is_over(run: CLI, tmp_path: Path
                                                                ) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    run.run("import", "ics", str(WEEKLY))
    run.run("schedule", "samira", "--at", "2026-12-09T15:00:00Z")  # this week's, a week late
    run.now = "2026-12-02T09:00:00Z"  # the series' next (the 15th) is later, but not yet
    assert run.json("import", "ics", str(WEEKLY))["unchanged"] == 1
    assert scheduled(run, tmp_path) == datetime(2026, 12, 9, 15, tzinfo=UTC)
    run.now = "2026-12-10T09:00:00Z"  # the moved meeting is over (not held): the 15th
    assert run.json("import", "ics", str(WEEKLY))["scheduled"] == ["samira-haddad"]
    assert scheduled(run, tmp_path) == datetime(2026, 12, 15, 15, tzinfo=UTC)


def test_an_override_that_cannot_be_read_is_left_out(run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    text = WEEKLY.read_text()
    event = text[text.index("BEGIN:VEVENT"):text.index("END:VCALENDAR")]
    broken = event.replace("RRULE:FREQ=WEEKLY;BYDAY=TU\n", "RECURRENCE-ID:the first one\n")
    path = tmp_path / "broken.ics"
    path.write_text(text.replace("END:VCALENDAR", broken + "END:VCALENDAR"))
    run.run("import", "ics", str(path))
    assert scheduled(run, tmp_path) == datetime(2026, 12, 1, 15, tzinfo=UTC)


def variant(tmp_path: Path, name: str, *changes: tuple[str, str]) -> Path:
    """The weekly invitation with each (old, new) text replaced, written to a file."""
    text = WEEKLY.read_text()
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"{name}.ics"
    path.write_text(text)
    return path


def alone(tmp_path: Path, name: str, *changes: tuple[str, str]) -> Path:
    """A file holding only one occurrence of the weekly series (RECURRENCE-ID 1 December),
    as Outlook and Google send a change to one occurrence."""
    return variant(tmp_path, name, (
        "RRULE:FREQ=WEEKLY;BYDAY=TU\nEXDATE;TZID=America/New_York:20261208T100000\n",
        "RECURRENCE-ID;TZID=America/New_York:20261201T100000\n"),
        ("SEQUENCE:0", "SEQUENCE:1"), *changes)


def test_one_occurrence_moved_in_a_file_of_its_own(run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    run.run("import", "ics", str(WEEKLY))
    moved = alone(tmp_path, "moved",
                  ("DTSTART;TZID=America/New_York:20260901T100000",
                   "DTSTART;TZID=America/New_York:20261202T110000"),
                  ("DTEND;TZID=America/New_York:20260901T103000",
                   "DTEND;TZID=America/New_York:20261202T113000"))
    assert run.json("import", "ics", str(moved))["scheduled"] == ["samira-haddad"]
    assert scheduled(run, tmp_path) == datetime(2026, 12, 2, 16, tzinfo=UTC)  # Wednesday
    before = run.count()
    assert run.json("import", "ics", str(moved))["unchanged"] == 1  # the same file again
    assert run.count() == before
    run.now = "2026-12-03T09:00:00Z"  # the moved meeting is over: the series goes on
    assert run.json("import", "ics", str(WEEKLY))["scheduled"] == ["samira-haddad"]
    assert scheduled(run, tmp_path) == datetime(2026, 12, 15, 15, tzinfo=UTC)


def test_one_occurrence_called_off_in_a_file_of_its_own(run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    run.run("import", "ics", str(WEEKLY))
    off = alone(tmp_path, "off", ("METHOD:REQUEST", "METHOD:CANCEL"),
                ("STATUS:CONFIRMED", "STATUS:CANCELLED"))
    assert run.json("import", "ics", str(off))["cancelled"] == ["samira-haddad"]
    assert run.json("show", "samira")["stage"] != "scheduled"
    run.now = "2026-12-02T09:00:00Z"  # the series goes on (the 8th is excluded)
    assert run.json("import", "ics", str(WEEKLY))["scheduled"] == ["samira-haddad"]
    assert scheduled(run, tmp_path) == datetime(2026, 12, 15, 15, tzinfo=UTC)


def test_a_change_to_another_occurrence_or_an_unknown_series_records_nothing(
        run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    unknown = alone(tmp_path, "unknown", ("METHOD:REQUEST", "METHOD:CANCEL"))
    assert run.json("import", "ics", str(unknown)) == {
        "scheduled": [], "cancelled": [], "added": [], "unchanged": 1}
    run.run("import", "ics", str(WEEKLY))
    later = alone(tmp_path, "later", ("RECURRENCE-ID;TZID=America/New_York:20261201T100000",
                                      "RECURRENCE-ID;TZID=America/New_York:20261215T100000"))
    dry = run.run("import", "ics", str(later), "--dry-run").out
    assert "unchanged: it changes the occurrence at 2026-12-15T15:00:00Z, not a meeting " \
           "scheduled now (the meeting recorded is the one at 2026-12-01T15:00:00Z)" in dry
    assert scheduled(run, tmp_path) == datetime(2026, 12, 1, 15, tzinfo=UTC)
    assert run.count() == 2  # Samira, and her meeting


def test_a_series_with_every_occurrence_excluded_is_no_meeting(run: CLI, tmp_path: Path
                                                                ) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    two = variant(tmp_path, "two", ("RRULE:FREQ=WEEKLY;BYDAY=TU\n",
                                    "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=2\n"))
    run.run("import", "ics", str(two))  # 1 and 8 September: the last one is recorded
    assert scheduled(run, tmp_path) == datetime(2026, 9, 8, 14, tzinfo=UTC)
    none = variant(tmp_path, "none", ("RRULE:FREQ=WEEKLY;BYDAY=TU\n",
                                      "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=2\n"),
                   ("EXDATE;TZID=America/New_York:20261208T100000",
                    "EXDATE;TZID=America/New_York:20260901T100000,20260908T100000"))
    run.run("met", "samira")  # (so that nothing is scheduled: a new import then adds none)
    before = run.count()
    assert run.json("import", "ics", str(none))["unchanged"] == 1
    assert run.count() == before
    fresh = variant(tmp_path, "fresh", ("RRULE:FREQ=WEEKLY;BYDAY=TU\n",
                                        "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=2\n"),
                    ("EXDATE;TZID=America/New_York:20261208T100000",
                     "EXDATE;TZID=America/New_York:20260901T100000,20260908T100000"),
                    ("UID:7fk2", "UID:6fk2"), ("samira.haddad", "omar.haddad"),
                    ("Samira Haddad", "Omar Haddad"))
    assert run.json("import", "ics", str(fresh)) == {
        "scheduled": [], "cancelled": [], "added": [], "unchanged": 1}  # nobody added


def test_an_occurrence_moved_earlier_is_not_recorded_again_at_its_old_time(
        run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    run.run("import", "ics", str(WEEKLY))
    earlier = alone(tmp_path, "earlier",  # Tuesday's call moved to Monday 18:00 New York
                    ("DTSTART;TZID=America/New_York:20260901T100000",
                     "DTSTART;TZID=America/New_York:20261130T180000"),
                    ("DTEND;TZID=America/New_York:20260901T103000",
                     "DTEND;TZID=America/New_York:20261130T183000"))
    run.run("import", "ics", str(earlier))
    run.now = "2026-12-01T03:00:00Z"  # Monday's meeting over, Tuesday 10:00 still to come
    assert run.json("import", "ics", str(WEEKLY))["unchanged"] == 1
    assert scheduled(run, tmp_path) == datetime(2026, 11, 30, 23, tzinfo=UTC)
    run.now = "2026-12-02T09:00:00Z"  # then on to the next (the 8th is excluded)
    assert run.json("import", "ics", str(WEEKLY))["scheduled"] == ["samira-haddad"]
    assert scheduled(run, tmp_path) == datetime(2026, 12, 15, 15, tzinfo=UTC)


def test_a_weekly_call_asks_for_no_thank_you_a_one_off_invitation_does(run: CLI) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    run.run("import", "ics", str(WEEKLY))
    run.now = "2026-12-01T16:00:00Z"  # after Tuesday's call
    run.run("met", "samira")
    kinds = {(i["contact"], i["kind"]) for i in run.json("due", "--all")}
    assert ("samira-haddad", "thank-you") not in kinds
    assert run.json("stats")["follow_through"]["thanks"]["meetings"] == 0
    # The same person met outside the series: thanks are due as ever.
    run.now = "2026-12-05T16:00:00Z"
    run.run("met", "samira", "--notes", "lunch")
    kinds = {(i["contact"], i["kind"]) for i in run.json("due", "--all")}
    assert ("samira-haddad", "thank-you") in kinds
    assert run.json("stats")["follow_through"]["thanks"]["meetings"] == 1
    # A one-off invitation held: a thank-you is due.
    one_off = run.json("import", "ics", str(WEEKLY.parent / "invite-google.ics"))
    [contact] = one_off["scheduled"]
    run.now = "2026-12-03T16:00:00Z"
    run.run("met", contact)
    assert (contact, "thank-you") in {(i["contact"], i["kind"]) for i in run.json("due")}
