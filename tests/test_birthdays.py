"""Birthdays and important dates (issue 11, part 5): typed, imported, due once a year,
closable by handle, in the calendar export, and refused when they are not days."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import apsw
import icalendar
import pytest

from coffeechat.important_dates import upcoming
from coffeechat.store import open_store
from tests.conftest import InProcessCLI
from tests.test_total_fold import plant


def birthdays(run: InProcessCLI, *args: str) -> list[dict[str, Any]]:
    return [i for i in run.json("due", *args) if i["kind"] == "birthday"]


def profile(run: InProcessCLI, contact: str) -> dict[str, Any]:
    [found] = [c for c in run.json("contacts") if c["id"] == contact]
    return found


# -- typed in ---------------------------------------------------------------------------------

def test_add_and_edit_set_change_and_remove_birthday_and_dates(run: InProcessCLI) -> None:
    run.ids("add", "Jane Doe", "--birthday", "1985-11-12",
            "--date", "work anniversary=2019-03-01", "--date", "met at PyCon=05-20")
    jane = profile(run, "jane-doe")
    assert (jane["birthday"], jane["dates"]) == (
        "1985-11-12", {"work anniversary": "2019-03-01", "met at PyCon": "05-20"})
    shown = run.run("show", "jane").out
    assert "birthday: Nov 12, 1985 (turns 41 on 2026-11-12)" in shown
    assert "work anniversary: Mar 1, 2019 (8 years on 2027-03-01)" in shown
    assert "met at PyCon: May 20 (next on 2027-05-20)" in shown
    run.ids("edit", "jane", "--date", "met at PyCon=", "--date", "started at Acme=2024-06-03")
    assert profile(run, "jane-doe")["dates"] == {"work anniversary": "2019-03-01",
                                                 "started at Acme": "2024-06-03"}
    run.ids("edit", "jane", "--birthday", "--11-12")  # vCard's year-less form works too
    assert profile(run, "jane-doe")["birthday"] == "11-12"
    run.ids("edit", "jane", "--birthday", "")
    assert profile(run, "jane-doe")["birthday"] is None
    assert "cleared the birthday" in run.run("log").out


@pytest.mark.parametrize(("args", "message"), [
    (["--birthday", "02-30"], "--birthday: '02-30' is not a day of the calendar"),
    (["--birthday", "2023-02-29"], "--birthday: '2023-02-29' is not a day of the calendar"),
    (["--birthday", "1850-04-12"], "--birthday: '1850-04-12' is outside the dates"),
    (["--birthday", "next week"], "--birthday: cannot read 'next week' as a date"),
    (["--date", "anniversary"], "--date: give LABEL=DATE"),
    (["--date", "anniversary=13-01"], "--date anniversary: '13-01' is not a day"),
    (["--date", "Birthday=04-12"], "--date: set the birthday with --birthday"),
    (["--date", "anniversary="], "--date: give a date for 'anniversary'"),
])
def test_bad_dates_are_refused_and_nothing_is_recorded(run: InProcessCLI, args: list[str],
                                                       message: str) -> None:
    run.ids("add", "Bob Smith")
    before = run.count()
    result = run.run("add", "Jane Doe", *args, expect=1)
    assert message in result.err and len(result.err.strip().splitlines()) == 1
    result = run.run("edit", "bob", *args, expect=1) if "--date: give a date" not in message \
        else None
    assert run.count() == before
    if result is not None:
        assert result.err.count("\n") == 1


def test_a_leap_day_birthday_is_a_day_with_or_without_a_leap_year(run: InProcessCLI) -> None:
    run.ids("add", "Leap Person", "--birthday", "2000-02-29")
    run.ids("add", "Leap Yearless", "--birthday", "02-29")
    run.now = "2027-02-25T08:00:00Z"  # 2027 has no February 29: the 28th stands in
    items = birthdays(run, "--within", "0")
    assert [(i["name"], i["date"], i["reason"]) for i in items] == [
        ("Leap Person", "2027-02-28", "Leap Person turns 27 on Feb 28"),
        ("Leap Yearless", "2027-02-28", "Leap Yearless has a birthday on Feb 28")]


# -- due, done, skip, snooze ----------------------------------------------------------------

def test_a_birthday_is_due_days_ahead_then_next_year(run: InProcessCLI) -> None:
    # Added long ago: the item is for the next birthday, never one years overdue.
    run.ids("add", "Jane Doe", "--birthday", "1985-11-12", "--on", "2020-01-01")
    assert birthdays(run, "--within", "0") == []
    [soon] = birthdays(run)  # due within 7 days (Nov 9, three days before the 12th)
    assert (soon["due_at"], soon["overdue"], soon["date"]) == (
        "2026-11-09T00:00:00Z", False, "2026-11-12")
    assert soon["reason"] == "Jane Doe turns 41 on Nov 12"
    run.now = "2026-11-09T08:00:00Z"
    [due] = birthdays(run, "--within", "0")
    # due from three days ahead, but not overdue: the birthday has not passed
    assert not due["overdue"] and due["handle"] == soon["handle"]
    [line] = [li for li in run.run("due").out.splitlines() if "Jane Doe turns 41" in li]
    assert line.split()[3:5] == ["due", "birthday"]  # HANDLE, DUE (2 columns), WHEN, KIND
    today = run.json("today")
    assert [i["kind"] for i in today["due_today"]] == ["birthday"]
    assert "birthday" not in [i["kind"] for i in today["overdue"]]
    assert f"[{due['handle']}] birthday due 2026-11-09 00:00 (due): Jane Doe turns 41" \
        in run.run("show", "jane").out
    run.now = "2026-11-13T08:00:00Z"  # the day has passed: next year's
    [later] = birthdays(run, "--all")
    assert (later["due_at"], later["reason"], later["handle"]) == (
        "2027-11-09T00:00:00Z", "Jane Doe turns 42 on Nov 12", soon["handle"])
    # --as-of judges at that moment
    [then] = birthdays(run, "--all", "--as-of", "2026-11-10")
    assert (then["date"], then["overdue"]) == ("2026-11-12", False)


def test_done_skip_and_snooze_close_or_move_one_year(run: InProcessCLI) -> None:
    run.ids("add", "Jane Doe", "--birthday", "11-12")
    run.now = "2026-11-10T08:00:00Z"
    [item] = birthdays(run, "--within", "0")
    [done] = run.ids("done", item["handle"])
    event = run.json("show", "jane")["timeline"][-1]
    assert (event["type"], event["data"]) == ("followup.done",
                                              {"kind": "birthday", "event": "2026-11-12"})
    [nxt] = birthdays(run, "--all")
    assert (nxt["date"], nxt["handle"]) == ("2027-11-12", item["handle"])
    run.ids("undo", done)
    assert birthdays(run, "--within", "0") == [item]
    [skipped] = run.ids("skip", item["handle"])
    assert birthdays(run, "--within", "0") == []
    run.ids("undo", skipped)
    run.ids("snooze", item["handle"], "2026-11-14T09:00")  # a belated wish, after the day
    run.now = "2026-11-13T08:00:00Z"
    assert birthdays(run, "--within", "0") == []
    run.now = "2026-11-14T10:00:00Z"
    [late] = birthdays(run, "--within", "0")
    assert (late["date"], late["due_at"], late["overdue"]) == (
        "2026-11-12", "2026-11-14T09:00:00Z", True)
    run.now = "2026-11-15T10:00:00Z"
    assert birthdays(run, "--all")[0]["date"] == "2027-11-12"


def test_birthday_days_and_rules_birthdays_false(run: InProcessCLI) -> None:
    run.ids("add", "Jane Doe", "--birthday", "11-12")
    (run.home / "config.toml").write_text("[followups]\nbirthday_days = 10\n")
    [item] = birthdays(run, "--within", "0")
    assert item["due_at"] == "2026-11-02T00:00:00Z"
    (run.home / "config.toml").write_text("[rules]\nbirthdays = false\n")
    assert birthdays(run, "--all") == []
    assert "birthday: Nov 12 (next on 2026-11-12)" in run.run("show", "jane").out
    run.run("done", item["handle"], expect=1)
    (run.home / "config.toml").write_text("[rules]\nbirthdays = 3\n")
    assert "rules.birthdays" in run.run("due", expect=1).err


def test_an_archived_contact_has_no_birthday_item(run: InProcessCLI) -> None:
    run.ids("add", "Jane Doe", "--birthday", "11-05")
    assert birthdays(run)
    run.ids("archive", "jane")
    assert birthdays(run, "--all") == []


def test_upcoming_lists_birthdays_and_dates_for_today(run: InProcessCLI) -> None:
    run.ids("add", "Jane Doe", "--birthday", "1985-11-05", "--date", "work anniversary=11-03")
    run.ids("add", "Al Able", "--date", "started at Acme=2016-11-05", "--date", "x=12-24")
    run.run("contacts")  # (the projections catch up)
    store = open_store(run.db)
    try:
        found = upcoming(store.conn, "main", "2026-11-02T09:00:00Z", 7)
    finally:
        store.close()
    assert found == [
        {"contact": "jane-doe", "name": "Jane Doe", "label": "work anniversary",
         "date": "2026-11-03", "years": None},
        {"contact": "al-able", "name": "Al Able", "label": "started at Acme",
         "date": "2026-11-05", "years": 10},
        {"contact": "jane-doe", "name": "Jane Doe", "label": "birthday",
         "date": "2026-11-05", "years": 41}]


# -- imports ------------------------------------------------------------------------------

VCARD = """BEGIN:VCARD
VERSION:3.0
FN:Jane Doe
EMAIL:jane@example.com
BDAY:19851112
item1.X-ABDATE:2019-03-01
item1.X-ABLabel:_$!<Anniversary>!$_
item2.X-ABDATE:2020-06-15
item2.X-ABLabel:started at Acme
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Bob Smith
BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-12
END:VCARD
BEGIN:VCARD
VERSION:4.0
FN:Carla Diaz
BDAY:--0229
ANNIVERSARY:20100612
END:VCARD
BEGIN:VCARD
VERSION:3.0
FN:Dan Eng
BDAY:--12-24
END:VCARD
"""

GOOGLE = """Name,Given Name,Family Name,Birthday,Event 1 - Label,Event 1 - Value
Erin Fox,Erin,Fox,1990-07-04,Anniversary,2015-09-19
Gus Hill,Gus,Hill, --04-12,,
"""


def dates_of(run: InProcessCLI) -> dict[str, tuple[str | None, dict[str, str]]]:
    return {c["name"]: (c["birthday"], c["dates"]) for c in run.json("contacts")}


def test_vcard_and_google_bring_birthdays_and_dates(run: InProcessCLI, tmp_path: Path) -> None:
    (tmp_path / "c.vcf").write_text(VCARD)
    (tmp_path / "g.csv").write_text(GOOGLE)
    run.run("import", "vcard", str(tmp_path / "c.vcf"))
    run.run("import", "google", str(tmp_path / "g.csv"))
    assert dates_of(run) == {
        "Jane Doe": ("1985-11-12", {"anniversary": "2019-03-01",
                                    "started at Acme": "2020-06-15"}),
        "Bob Smith": ("04-12", {}),  # Apple's 1604: no year
        "Carla Diaz": ("02-29", {"anniversary": "2010-06-12"}),
        "Dan Eng": ("12-24", {}),
        "Erin Fox": ("1990-07-04", {"Anniversary": "2015-09-19"}),
        "Gus Hill": ("04-12", {}),
    }
    before = run.count()
    again = run.json("import", "vcard", str(tmp_path / "c.vcf"))
    assert (again["added"], again["updated"], again["unchanged"]) == ([], [], 4)
    assert run.json("import", "google", str(tmp_path / "g.csv"))["unchanged"] == 2
    assert run.count() == before
    # The same dates under another label case, or without the year: nothing new.
    (tmp_path / "g2.csv").write_text(
        "Name,E-mail 1 - Value,Birthday,Event 1 - Label,Event 1 - Value\n"
        "Jane Doe,jane@example.com, --11-12,Anniversary,2019-03-01\n")
    assert run.json("import", "google", str(tmp_path / "g2.csv"))["unchanged"] == 1
    assert run.count() == before


def test_a_bad_date_in_an_import_is_a_bad_row(run: InProcessCLI, tmp_path: Path) -> None:
    path = tmp_path / "bad.vcf"
    path.write_text(VCARD + "BEGIN:VCARD\nVERSION:3.0\nFN:Zed Bad\nBDAY:1985-02-30\n"
                    "END:VCARD\n")
    result = run.run("import", "vcard", str(path), expect=1)
    assert "birthday: '1985-02-30' is not a day of the calendar; nothing was imported" \
        in result.err
    assert run.count() == 0
    run.run("import", "vcard", str(path), "--skip-bad")
    assert "Zed Bad" not in dates_of(run) and "Jane Doe" in dates_of(run)
    (tmp_path / "bad.csv").write_text("Name,Birthday\nYan Bad,someday\n")
    assert "birthday: cannot read 'someday' as a date" in run.run(
        "import", "google", str(tmp_path / "bad.csv"), expect=1).err


def test_a_contact_note_gives_a_birthday(run: InProcessCLI, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "jane.md").write_text("---\ncontact: Jane Doe\ntype: contact\n"
                                   "birthday: 1985-11-12\n---\n")
    (notes / "bad.md").write_text("---\ncontact: Bad Day\ntype: contact\n"
                                  "birthday: 02-30\n---\n")
    result = run.run("watch", str(notes), "--once", expect=1)  # (a bad note: exit 1)
    assert "bad.md:4: birthday: '02-30' is not a day of the calendar" in result.err
    assert dates_of(run) == {"Jane Doe": ("1985-11-12", {})}


# -- the calendar -------------------------------------------------------------------------

def test_export_ics_has_yearly_all_day_events_with_a_reminder(run: InProcessCLI) -> None:
    run.ids("add", "Jane Doe", "--birthday", "1985-11-12", "--date", "work anniversary=2019-03-01")
    run.ids("add", "Leap Yearless", "--birthday", "02-29")
    text = run.run("export", "ics").out
    cal = icalendar.Calendar.from_ical(text)
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {"Jane Doe's birthday", "Jane Doe: work anniversary",
                           "Leap Yearless's birthday"}
    jane = events["Jane Doe's birthday"]
    assert jane.decoded("DTSTART").isoformat() == "1985-11-12"  # a date: all day
    assert "VALUE=DATE" in jane.to_ical().decode()
    assert jane["RRULE"]["FREQ"] == ["YEARLY"]
    [alarm] = jane.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY" and alarm.decoded("TRIGGER").days == -3
    leap = events["Leap Yearless's birthday"]
    assert leap.decoded("DTSTART").isoformat() == "2000-02-29"
    assert (leap["RRULE"]["BYMONTH"], leap["RRULE"]["BYMONTHDAY"]) == ([2], [-1])
    uids = sorted(str(e["UID"]) for e in events.values())
    assert uids == sorted(str(e["UID"]) for e in icalendar.Calendar.from_ical(
        run.run("export", "ics").out).walk("VEVENT"))  # the same every time
    assert "birthday-jane-doe@coffeechat" in uids


def test_importing_our_own_export_records_nothing(run: InProcessCLI, tmp_path: Path) -> None:
    run.ids("add", "Jane Doe", "--birthday", "1985-11-12", "--email", "jane@example.com")
    path = tmp_path / "out.ics"
    run.run("export", "ics", "--out", str(path))
    before = run.count()
    run.run("import", "ics", str(path))
    assert run.count() == before


# -- the fold is total --------------------------------------------------------------------

def test_bad_dates_planted_or_merged_in_break_nothing(run: InProcessCLI,
                                                      tmp_path: Path) -> None:
    run.ids("add", "Jane Doe", "--birthday", "11-12")
    plant(run.db, [
        ("bad-birthday", "contact.updated", "2026-11-02T10:00:00Z", '{"birthday":"02-30"}', 1,
         None),
        ("bad-dates", "contact.updated", "2026-11-02T10:00:00Z",
         '{"dates":{"x":"1850-01-01","=":"01-01"}}', 1, None),
        ("bad-added", "contact.added", "2026-11-02T10:00:00Z",
         '{"name":"Odd","birthday":42,"dates":[1]}', 1, "contact:odd"),
    ])
    for args in (["contacts"], ["show", "jane"], ["due", "--all"], ["export", "ics"],
                 ["rebuild"]):
        assert "Traceback" not in run.run(*args).err
    assert profile(run, "jane-doe")["birthday"] == "11-12"
    # A jsonl line with an impossible birthday is refused, nothing recorded.
    line = {"id": "01a22ac0-f0f3-7000-ba26-6fdd786c4f0c", "stream": "contact:zed",
            "type": "contact.added", "schema": 1, "occurred_at": "2026-11-02T09:00:00Z",
            "recorded_at": "2026-11-02T09:00:00Z", "source": "cli",
            "data": {"name": "Zed", "birthday": "2023-02-29"}}
    (tmp_path / "in.jsonl").write_text(json.dumps(line) + "\n")
    before = run.count()
    result = run.run("import", "jsonl", str(tmp_path / "in.jsonl"), expect=1)
    assert "birthday" in result.err and len(result.err.strip().splitlines()) == 1
    assert run.count() == before
    conn = apsw.Connection(str(run.db))
    try:
        assert conn.execute("SELECT count(*) FROM contacts WHERE id = 'zed'").get == 0
    finally:
        conn.close()


def test_the_window_of_due_runs_across_new_year(run: InProcessCLI) -> None:
    run.ids("add", "Jan Second", "--birthday", "1990-01-02")
    run.ids("add", "Far Away", "--birthday", "06-01")
    run.now = "2026-12-28T12:00:00Z"
    [item] = birthdays(run)
    assert (item["name"], item["due_at"], item["reason"]) == (
        "Jan Second", "2026-12-30T00:00:00Z", "Jan Second turns 37 on Jan 2")
    assert [i["name"] for i in birthdays(run, "--within", "400")] == ["Jan Second",
                                                                      "Far Away"]
