"""Session 8, a week of real use (tests only): the record-meeting item seen from the
parts not yet reviewed with it: the notes folder (due.md, contact pages, meeting notes
before and after the meeting, ``done`` from a handle read in due.md), ``today`` and
``today --send`` through a real SMTP server, ``export ics`` and ``calendar push`` to a
real Radicale, ``stats`` after a meeting recorded by ``done``, and ``--as-of`` views.

Each test states what the docs lead a user to expect before it checks it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import icalendar
import pytest

from tests.conftest import InProcessCLI
from tests.test_calendar import PASSWORD, radicale, read_back  # noqa: F401 - (the fixture)
from tests.test_calendar import configure as configure_calendar
from tests.test_email import Inbox, inbox  # noqa: F401 - (the fixture)
from tests.test_email import configure as configure_mail

MEETING = "2026-11-05T15:00"  # Thursday, 45 minutes: to end at 15:45


def items(run: InProcessCLI, *args: str) -> list[dict[str, Any]]:
    return run.json("due", "--all", *args)  # type: ignore[no-any-return,unused-ignore]


def kinds(run: InProcessCLI, *args: str) -> list[str]:
    return [i["kind"] for i in items(run, *args)]


def handle_of(run: InProcessCLI, kind: str) -> str:
    return str(next(i["handle"] for i in items(run) if i["kind"] == kind))


def jane_scheduled(run: InProcessCLI) -> None:
    """Monday: Jane Doe added and her coffee booked for Thursday 15:00, 45 minutes."""
    run.now = "2026-11-02T09:00:00Z"
    run.run("add", "Jane Doe", "--email", "jane@example.com")
    run.run("schedule", "jane", "--at", MEETING, "--minutes", "45", "--where", "Blue Bottle")


def notes_folder(run: InProcessCLI) -> Path:
    folder = run.home / "notes"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def watch(run: InProcessCLI, folder: Path) -> tuple[str, str]:
    """``watch --once``; the text of due.md and of Jane's page."""
    run.run("watch", str(folder), "--once")
    views = folder / "_coffeechat"
    return (views / "due.md").read_text(), (views / "contacts" / "jane-doe.md").read_text()


def meeting_note(folder: Path, date: str, body: str = "We talked about platform teams.",
                 name: str = "jane.md") -> None:
    (folder / name).write_text(
        f"---\ntype: meeting\ncontact: Jane Doe\ndate: {date}\n"
        "takeaways:\n  - build one project end to end\n---\n" + body + "\n")


def held(run: InProcessCLI) -> list[dict[str, Any]]:
    return [e for e in run.json("log") if e["type"] == "meeting.held"]


def meetings_counted(run: InProcessCLI) -> int:
    return sum(w["meetings"] for w in run.json("stats")["activity"])


# -- the notes folder ----------------------------------------------------------------------------


def test_due_md_and_the_contact_page_carry_the_record_meeting_item_and_its_handle(
        run: InProcessCLI) -> None:
    # notes.md: due.md lists open follow-ups "with why each is due and its handle"; the
    # contact page lists them "with their handles". The user guide: due at the meeting's end.
    jane_scheduled(run)
    folder = notes_folder(run)
    due_md, page = watch(run, folder)
    handle = handle_of(run, "record-meeting")
    row = next(line for line in due_md.splitlines() if "record-meeting" in line)
    assert f"`{handle}`" in row and "2026-11-05 15:45" in row and "Jane Doe" in row
    assert "held? done or met if so, cancel if not" in row
    line = next(line for line in page.splitlines() if "record-meeting" in line)
    assert f"`{handle}`" in line and "2026-11-05 15:45" in line

    # Friday morning: the meeting has ended, nothing recorded: it is overdue in due.md.
    run.now = "2026-11-06T09:00:00Z"
    due_md, _ = watch(run, folder)
    overdue = due_md.split("## Upcoming")[0]
    assert f"`{handle}`" in overdue


def test_done_from_the_handle_in_due_md_records_the_meeting_and_the_views_follow(
        run: InProcessCLI) -> None:
    # The guide: `done HANDLE` on record-meeting records that it took place as scheduled,
    # at its time; the stage moves to met and a thank-you falls due 24 h later.
    jane_scheduled(run)
    folder = notes_folder(run)
    watch(run, folder)
    run.now = "2026-11-05T18:00:00Z"
    due_md, _ = watch(run, folder)
    row = next(line for line in due_md.splitlines() if "record-meeting" in line)
    handle = row.split("`")[1]  # as a user copies it from due.md
    run.run("done", handle)
    [event] = held(run)
    assert event["occurred_at"] == "2026-11-05T15:00:00Z"
    due_md, page = watch(run, folder)
    assert "record-meeting" not in due_md and "record-meeting" not in page.split("## Timeline")[0]
    assert "thank-you" in due_md and "2026-11-06 15:00" in due_md
    assert "- stage: met" in page
    assert "meeting.held" in page.split("## Timeline")[1]
    # The handle read from the (now stale) due.md is taken no more: one line, nothing recorded.
    again = run.run("done", handle, expect=None)
    assert again.code != 0 and len(again.err.strip().splitlines()) == 1
    assert len(held(run)) == 1


def test_a_meeting_note_saved_after_the_meeting_closes_the_item(run: InProcessCLI) -> None:
    # notes.md: a meeting note records meeting.held; events.md: a meeting.held clears the
    # scheduled meeting and its record-meeting item; the thank-you is due 24 h after it.
    jane_scheduled(run)
    folder = notes_folder(run)
    watch(run, folder)
    run.now = "2026-11-05T17:00:00Z"
    meeting_note(folder, "2026-11-05 15:00")
    due_md, page = watch(run, folder)
    assert "record-meeting" not in due_md and "prep" not in due_md
    assert "thank-you" in due_md
    assert "- stage: met" in page
    [event] = held(run)
    assert event["data"]["takeaways"] == ["build one project end to end"]
    assert kinds(run) == ["thank-you", "check-in"]
    # Reading the unchanged folder again records nothing.
    count = run.count()
    watch(run, folder)
    assert run.count() == count


def test_a_meeting_note_written_ahead_of_the_meeting(run: InProcessCLI) -> None:
    # The guide: `--on` may be in the future (recording ahead is allowed); a note dated at
    # the meeting's time is that meeting. Then the item goes, whatever day it is saved.
    jane_scheduled(run)
    folder = notes_folder(run)
    run.now = "2026-11-04T20:00:00Z"  # the evening before: questions prepared in the note
    meeting_note(folder, "2026-11-05 15:00", body="Questions: how did you move to SRE?")
    due_md, _ = watch(run, folder)
    assert "record-meeting" not in due_md
    [event] = held(run)
    assert event["occurred_at"] == "2026-11-05T15:00:00Z"
    # The thank-you waits for a day after the meeting, not after the note.
    thank = next(i for i in items(run) if i["kind"] == "thank-you")
    assert thank["due_at"] == "2026-11-06T15:00:00Z"


def test_a_note_of_an_earlier_coffee_leaves_thursdays_meeting_to_record(
        run: InProcessCLI) -> None:
    # events.md: a meeting held more than two days before the one scheduled is another
    # meeting: that one stays scheduled, with its items, and the stage stays scheduled.
    jane_scheduled(run)
    folder = notes_folder(run)
    run.now = "2026-11-02T12:00:00Z"
    meeting_note(folder, "2026-11-02 08:00", body="Bumped into her at the conference.",
                 name="conference.md")
    due_md, page = watch(run, folder)
    assert "record-meeting" in due_md and "- stage: scheduled" in page
    assert len(held(run)) == 1
    # Thursday's note, saved on Friday, is the scheduled meeting: the item goes then.
    run.now = "2026-11-06T09:00:00Z"
    meeting_note(folder, "2026-11-05 15:00")
    due_md, page = watch(run, folder)
    assert "record-meeting" not in due_md and "- stage: met" in page
    assert meetings_counted(run) == 2  # two real meetings


def test_notes_written_after_done_on_the_item_are_the_same_meeting(run: InProcessCLI) -> None:
    # The guide: `done HANDLE` records that the meeting took place; `met` records it with
    # notes. A user who ticked the item off from due.md on Thursday evening and writes the
    # notes on Friday has had one meeting: counted once, or told it is already recorded.
    jane_scheduled(run)
    folder = notes_folder(run)
    run.now = "2026-11-05T18:00:00Z"
    run.run("done", handle_of(run, "record-meeting"))
    run.now = "2026-11-06T09:00:00Z"
    meeting_note(folder, "2026-11-05 15:00")
    result = run.run("watch", str(folder), "--once", expect=None)
    assert meetings_counted(run) == 1 or result.code != 0 or "warning" in result.err
    assert run.json("stats")["follow_through"]["thanks"]["meetings"] == 1


def test_watch_once_after_each_step_of_the_week_equals_what_due_says(run: InProcessCLI) -> None:
    # notes.md: due.md lists the open follow-ups; every step of the week shows up there.
    jane_scheduled(run)
    folder = notes_folder(run)
    steps: list[tuple[str, tuple[str, ...]]] = [
        ("2026-11-03T09:00:00Z", ()),
        ("2026-11-04T16:00:00Z", ("done", "prep")),
        ("2026-11-05T16:00:00Z", ("done", "record-meeting")),
        ("2026-11-06T10:00:00Z", ("thank", "jane")),
    ]
    for now, step in steps:
        run.now = now
        if step[:1] == ("done",):
            run.run("done", handle_of(run, step[1]))
        elif step:
            run.run(*step)
        due_md, page = watch(run, folder)
        for item in items(run):
            assert f"`{item['handle']}`" in due_md and f"`{item['handle']}`" in page
        assert due_md.count("| `") == len(items(run))
    assert kinds(run) == ["check-in"]


# -- today and today --send ----------------------------------------------------------------------


def test_today_lists_the_overdue_record_meeting_item_with_its_handle(run: InProcessCLI) -> None:
    # The guide: today shows overdue follow-ups with their handle; the meeting ended at 15:45.
    jane_scheduled(run)
    run.now = "2026-11-05T14:00:00Z"  # the day of the meeting: due later today
    today = run.json("today")
    assert [i["kind"] for i in today["due_today"]] == ["record-meeting"]
    assert len(today["meetings"]) == 1 and "Blue Bottle" in run.run("today").out
    run.now = "2026-11-06T08:00:00Z"
    handle = handle_of(run, "record-meeting")
    today = run.json("today")
    assert [i["kind"] for i in today["overdue"]] == ["record-meeting"]
    text = run.run("today").out
    line = next(line for line in text.splitlines() if "record-meeting" in line)
    assert f"[{handle}]" in line and "Jane Doe" in line and "2026-11-05 15:45" in line


def test_the_digest_mail_carries_the_item_and_done_clears_it_the_next_day(
        run: InProcessCLI, inbox: tuple[Inbox, int]) -> None:  # noqa: F811
    # The guide: today --send sends the same digest by email once a local day.
    box, port = inbox
    jane_scheduled(run)
    configure_mail(run, port)
    run.now = "2026-11-06T07:00:00Z"
    handle = handle_of(run, "record-meeting")
    run.run("today", "--send")
    [(_, rcpts, message)] = box.messages
    assert rcpts == ["maya@example.com"]
    body = message.get_content().replace("\r\n", "\n")
    assert f"[{handle}]" in body and "record-meeting" in body and "Jane Doe" in body
    assert body.strip() == run.run("today").out.strip()  # the same digest

    run.run("done", handle)  # read in the mail, done at the desk
    run.now = "2026-11-07T07:00:00Z"
    run.run("today", "--send")
    assert len(box.messages) == 2
    body = box.messages[1][2].get_content()
    assert "record-meeting" not in body and "thank-you" in body
    # The digest records only digest.sent: the meeting was recorded once.
    assert len(held(run)) == 1 and meetings_counted(run) == 1


# -- export ics and calendar push ----------------------------------------------------------------


def todos(run: InProcessCLI, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "cc.ics"
    run.run("export", "ics", "--out", str(out))
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    return {str(t["SUMMARY"]).split(":")[0]: t for t in cal.walk("VTODO")}


def test_export_ics_has_a_record_meeting_todo_due_at_the_end(run: InProcessCLI,
                                                              tmp_path: Path) -> None:
    # calendar.md: each open follow-up is a VTODO whose DUE is when it falls due, reason as
    # description; UIDs never change. The record-meeting item falls due at 15:45.
    jane_scheduled(run)
    first = todos(run, tmp_path)["record-meeting"]
    assert first.decoded("DUE").isoformat() == "2026-11-05T15:45:00+00:00"
    assert "Jane Doe" in str(first["SUMMARY"])
    assert "held?" in str(first["DESCRIPTION"])
    run.now = "2026-11-06T09:00:00Z"  # overdue now: the same object
    again = todos(run, tmp_path)["record-meeting"]
    assert str(again["UID"]) == str(first["UID"])
    assert str(again["STATUS"]) == "NEEDS-ACTION"
    run.run("done", handle_of(run, "record-meeting"))
    assert "record-meeting" not in todos(run, tmp_path)
    assert "thank-you" in todos(run, tmp_path)
    # The meeting, held, stays in the file at its time.
    out = tmp_path / "cc.ics"
    [event] = icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert event.decoded("DTSTART").isoformat() == "2026-11-05T15:00:00+00:00"


def test_export_ics_after_met_has_no_record_meeting_todo(run: InProcessCLI,
                                                           tmp_path: Path) -> None:
    jane_scheduled(run)
    run.now = "2026-11-05T17:00:00Z"
    run.run("met", "jane", "--notes", "good chat")
    assert set(todos(run, tmp_path)) == {"thank-you", "check-in"} or \
        "record-meeting" not in todos(run, tmp_path)


@pytest.mark.slow  # a real CalDAV server
def test_calendar_push_twice_then_done_marks_the_todo_completed(
        run: InProcessCLI, radicale: str) -> None:  # noqa: F811
    # calendar.md: pushing again overwrites instead of adding copies; a to-do pushed earlier
    # whose follow-up has since closed is marked COMPLETED there.
    jane_scheduled(run)
    configure_calendar(run, url=radicale, username="maya")
    env = {"COFFEECHAT_CALDAV_PASSWORD": PASSWORD}
    run.now = "2026-11-06T09:00:00Z"
    first = run.json("calendar", "push", **env)
    second = run.json("calendar", "push", **env)
    assert first["todos"] == second["todos"] >= 1
    events, todo_list = read_back(radicale)
    assert len(events) == 1
    record = [t for t in todo_list if str(t["SUMMARY"]).startswith("record-meeting")]
    assert len(record) == 1 and str(record[0]["STATUS"]) == "NEEDS-ACTION"
    uid = str(record[0]["UID"])
    assert len({str(t["UID"]) for t in todo_list}) == len(todo_list)

    run.run("done", handle_of(run, "record-meeting"))
    third = run.json("calendar", "push", **env)
    assert third["completed"] >= 1
    _, todo_list = read_back(radicale)
    status = {str(t["UID"]): str(t["STATUS"]) for t in todo_list}
    assert status[uid] == "COMPLETED"
    assert any(str(t["SUMMARY"]).startswith("thank-you") for t in todo_list)
    assert run.json("calendar", "push", **env)["completed"] == 0  # told once


# -- stats, report and --as-of -------------------------------------------------------------------


def test_stats_and_report_count_a_meeting_recorded_by_done_once(run: InProcessCLI,
                                                                 tmp_path: Path) -> None:
    # The guide: done records the meeting.held; stats counts meetings held; report shows
    # the figures of stats for the same options.
    jane_scheduled(run)
    run.now = "2026-11-06T09:00:00Z"
    run.run("done", handle_of(run, "record-meeting"))
    stats = run.json("stats")
    funnel = {f["step"]: f["count"] for f in stats["funnel"]}
    assert funnel["scheduled"] == 1 and funnel["met"] == 1
    assert meetings_counted(run) == 1
    assert stats["follow_through"]["thanks"]["meetings"] == 1
    assert "record-meeting" not in kinds(run)
    assert meetings_counted(run) == 1
    out = tmp_path / "report.html"
    run.run("report", "--out", str(out))
    html = out.read_text()
    assert "Jane Doe" in html and "record-meeting" not in html


def test_as_of_views_show_the_week_as_it_was(run: InProcessCLI) -> None:
    # The guide: --as-of shows the state as recorded by DATE, judged at DATE.
    jane_scheduled(run)
    run.now = "2026-11-06T09:00:00Z"
    run.run("done", handle_of(run, "record-meeting"))
    run.now = "2026-11-08T09:00:00Z"
    # Thursday noon: the meeting ahead, its item due at 15:45, nothing held.
    assert "record-meeting" in kinds(run, "--as-of", "2026-11-05T12:00")
    assert run.json("show", "jane", "--as-of", "2026-11-05T12:00")["stage"] == "scheduled"
    # Thursday's end: the item overdue, not yet done (done was recorded on Friday).
    thursday = run.json("today", "--as-of", "2026-11-05")
    assert [i["kind"] for i in thursday["overdue"]] == ["record-meeting"]
    # Friday's end: recorded; the thank-you open.
    assert kinds(run, "--as-of", "2026-11-06") == ["thank-you", "check-in"]
    assert run.json("show", "jane", "--as-of", "2026-11-06")["stage"] == "met"
    stats_thursday = run.json("stats", "--as-of", "2026-11-05")
    assert sum(w["meetings"] for w in stats_thursday["activity"]) == 0
