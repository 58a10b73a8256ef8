"""Calendars: `export ics`, `import ics` (Google and Outlook invitations), and
`calendar push` to a real CalDAV server (Radicale) on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import caldav
import icalendar
import pytest

from tests.conftest import CLI
from tests.test_email import free_port

DATA = Path(__file__).parent / "data"
PASSWORD = "cal-Pa55word"


def configure(cli: CLI, **calendar: str) -> None:
    lines = ["[me]", 'name = "Maya López"', 'email = "maya@example.com"']
    if calendar:
        lines.append("[calendar]")
        lines += [f'{key} = "{value}"' for key, value in calendar.items()]
    (cli.home / "config.toml").write_text("\n".join(lines) + "\n")


def exported(cli: CLI, tmp_path: Path) -> Any:
    out = tmp_path / "coffeechat.ics"
    cli.run("export", "ics", "--out", str(out))
    return icalendar.Calendar.from_ical(out.read_bytes())


def meetings(cal: Any) -> dict[str, Any]:
    """The exported VEVENTs by contact id."""
    return {str(e["X-COFFEECHAT-CONTACT"]): e for e in cal.walk("VEVENT")}


def utc(event: Any, name: str = "DTSTART") -> datetime:
    return event.decoded(name).astimezone(UTC)


def test_export_is_icalendar_with_stable_uids_and_round_trips(run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.run("add", "Priya Raman", "--email", "priya@example.com")
    run.run("add", "Omar Haddad")
    run.run("schedule", "priya", "--at", "2026-11-10T15:00:00Z", "--minutes", "25",
            "--where", "Blue Bottle, Market St")
    run.run("ask", "omar", "--via", "linkedin")

    cal = exported(run, tmp_path)
    [event] = cal.walk("VEVENT")
    assert utc(event) == datetime(2026, 11, 10, 15, tzinfo=UTC)
    assert utc(event, "DTEND") == datetime(2026, 11, 10, 15, 25, tzinfo=UTC)
    assert str(event["LOCATION"]) == "Blue Bottle, Market St"
    assert "Priya Raman" in str(event["SUMMARY"])
    assert str(event["ORGANIZER"]) == "mailto:maya@example.com"
    assert str(event["ATTENDEE"]) == "mailto:priya@example.com"
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(minutes=15)
    todos = {str(t["X-COFFEECHAT-CONTACT"]): t for t in cal.walk("VTODO")}
    assert set(todos) == {"priya-raman", "omar-haddad"}  # the prep sheet, and the nudge
    nudge = todos["omar-haddad"]
    assert str(nudge["STATUS"]) == "NEEDS-ACTION"
    assert utc(nudge, "DUE") > datetime(2026, 11, 2, 9, tzinfo=UTC)

    # A second export names everything the same; a reschedule keeps the UID, raises SEQUENCE.
    again = exported(run, tmp_path)
    assert {str(c["UID"]) for c in again.walk() if "UID" in c} == \
        {str(c["UID"]) for c in cal.walk() if "UID" in c}
    run.run("schedule", "priya", "--at", "2026-11-12T16:00:00Z")
    moved = meetings(exported(run, tmp_path))["priya-raman"]
    assert str(moved["UID"]) == str(event["UID"])
    assert int(moved["SEQUENCE"]) == int(event["SEQUENCE"]) + 1
    assert utc(moved) == datetime(2026, 11, 12, 16, tzinfo=UTC)

    # Importing our own export records nothing: the meetings are already there.
    before = run.count()
    result = run.json("import", "ics", str(tmp_path / "coffeechat.ics"))
    assert result["scheduled"] == [] and result["added"] == [] and result["unchanged"] == 1
    assert run.count() == before
    assert len(meetings(exported(run, tmp_path))) == 1


def test_export_to_stdout_and_cancelled_meetings(run: CLI) -> None:
    configure(run)
    run.run("add", "Priya Raman")
    run.run("schedule", "priya", "--at", "2026-11-10T15:00:00Z")
    run.run("cancel", "priya", "--reason", "she is travelling")
    cal = icalendar.Calendar.from_ical(run.run("export", "ics").out)
    [event] = cal.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1
    assert event.walk("VALARM") == []  # no reminder for a meeting that will not happen


def test_google_and_outlook_invitations_import_at_the_right_times(run: CLI, tmp_path: Path
                                                                  ) -> None:
    configure(run)
    run.run("add", "Priya Raman", "--email", "Priya.Raman@gmail.com")
    google = run.json("import", "ics", str(DATA / "invite-google.ics"))
    assert google == {"scheduled": ["priya-raman"], "cancelled": [], "added": [],
                      "unchanged": 0}
    outlook = run.json("import", "ics", str(DATA / "invite-outlook.ics"))
    assert outlook["added"] == ["daniel-okafor"]  # the organiser was unknown
    bare = run.json("import", "ics", str(DATA / "invite-outlook-no-vtimezone.ics"))
    assert bare["added"] == ["lena-fischer"]

    found = meetings(exported(run, tmp_path))
    # 10:00 in New York (EST) / 14:00 Pacific Standard Time / 09:00 W. Europe Standard Time
    assert utc(found["priya-raman"]) == datetime(2026, 12, 3, 15, tzinfo=UTC)
    assert utc(found["priya-raman"], "DTEND") == datetime(2026, 12, 3, 15, 25, tzinfo=UTC)
    assert utc(found["daniel-okafor"]) == datetime(2026, 12, 8, 22, tzinfo=UTC)
    assert str(found["daniel-okafor"]["LOCATION"]) == "Microsoft Teams Meeting"
    assert utc(found["lena-fischer"]) == datetime(2026, 12, 10, 8, tzinfo=UTC)
    # The invitation's own UID is kept, so a later update finds the meeting.
    assert str(found["daniel-okafor"]["UID"]).startswith("040000008200E00074C5B7101A82E008")

    daniel = run.json("show", "daniel-okafor")
    assert daniel["email"] == "dokafor@contoso.com" and daniel["stage"] == "scheduled"
    assert daniel["next_due_kind"] == "prep"
    people = run.json("contacts")
    assert sorted(c["id"] for c in people) == ["daniel-okafor", "lena-fischer", "priya-raman"]
    assert all(c.get("email") != "maya@example.com" for c in people)  # you are never a contact

    before = run.count()
    for name in ("invite-google", "invite-outlook", "invite-outlook-no-vtimezone"):
        again = run.json("import", "ics", str(DATA / f"{name}.ics"))
        assert again["scheduled"] == [] and again["added"] == [] and again["unchanged"] == 1
    assert run.count() == before


def test_sequence_reschedules_and_cancels_and_an_older_one_never_wins(run: CLI,
                                                                       tmp_path: Path) -> None:
    configure(run)
    # A cancellation of a meeting never seen records nothing (and adds nobody).
    early = run.json("import", "ics", str(DATA / "invite-outlook-cancel.ics"))
    assert early["cancelled"] == [] and early["added"] == [] and run.count() == 0
    run.run("import", "ics", str(DATA / "invite-outlook.ics"))
    moved = run.json("import", "ics", str(DATA / "invite-outlook-moved.ics"))
    assert moved["scheduled"] == ["daniel-okafor"] and moved["added"] == []
    event = meetings(exported(run, tmp_path))["daniel-okafor"]
    assert utc(event) == datetime(2026, 12, 9, 17, tzinfo=UTC)
    assert utc(event, "DTEND") == datetime(2026, 12, 9, 17, 45, tzinfo=UTC)
    assert int(event["SEQUENCE"]) == 1

    before = run.count()
    stale = run.json("import", "ics", str(DATA / "invite-outlook.ics"))  # SEQUENCE 0 again
    assert stale["scheduled"] == [] and stale["unchanged"] == 1
    assert run.count() == before
    assert utc(meetings(exported(run, tmp_path))["daniel-okafor"]) == \
        datetime(2026, 12, 9, 17, tzinfo=UTC)

    cancel = run.json("import", "ics", str(DATA / "invite-outlook-cancel.ics"))
    assert cancel["cancelled"] == ["daniel-okafor"]
    event = meetings(exported(run, tmp_path))["daniel-okafor"]
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 2
    assert run.json("show", "daniel-okafor")["stage"] != "scheduled"
    before = run.count()
    for name in ("invite-outlook-moved", "invite-outlook-cancel"):
        late = run.json("import", "ics", str(DATA / f"{name}.ics"))
        assert late["scheduled"] == [] and late["cancelled"] == []
    assert run.count() == before


def test_a_merged_contacts_meeting_is_exported_and_updated_under_who_stays(
        run: CLI, tmp_path: Path) -> None:
    configure(run)
    run.run("add", "Daniel Okafor")
    run.run("import", "ics", str(DATA / "invite-outlook.ics"))  # adds daniel-okafor-2
    run.run("merge", "daniel-okafor", "daniel-okafor-2")
    [event] = meetings(exported(run, tmp_path)).values()
    assert str(event["X-COFFEECHAT-CONTACT"]) == "daniel-okafor"
    moved = run.json("import", "ics", str(DATA / "invite-outlook-moved.ics"))
    assert moved["scheduled"] == ["daniel-okafor"] and moved["added"] == []
    [event] = meetings(exported(run, tmp_path)).values()
    assert utc(event) == datetime(2026, 12, 9, 17, tzinfo=UTC)


def test_an_import_is_one_batch_that_undo_takes_back(run: CLI) -> None:
    configure(run)
    run.run("import", "ics", str(DATA / "invite-outlook.ics"))
    run.run("undo")  # the last command: the whole import
    assert run.json("contacts") == []


@pytest.mark.parametrize("content, message", [
    ("this is not a calendar\n", "not an iCalendar file"),
    ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:no start\r\n"
     "END:VEVENT\r\nEND:VCALENDAR\r\n", "event 1"),
    ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261201T100000Z\r\n"
     "ORGANIZER:mailto:not an address\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "ORGANIZER"),
])
def test_a_bad_calendar_file_is_a_one_line_error_and_records_nothing(
        run: CLI, tmp_path: Path, content: str, message: str) -> None:
    configure(run)
    run.run("add", "Priya Raman")
    before = run.count()
    bad = tmp_path / "bad.ics"
    bad.write_text(content)
    result = run.run("import", "ics", str(bad), expect=1)
    assert str(bad) in result.err and message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert run.count() == before
    missing = run.run("import", "ics", str(tmp_path / "nowhere.ics"), expect=1)
    assert "nowhere.ics" in missing.err


# -- CalDAV push, against Radicale ---------------------------------------------------------

@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[str]:
    """A Radicale server with one user (maya) and her calendar; yields the calendar's URL."""
    users = tmp_path / "users"
    users.write_text(f"maya:{PASSWORD}\n")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}",
         "--storage-filesystem-folder", str(tmp_path / "collections"),
         "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(users),
         "--auth-htpasswd-encryption", "plain", "--logging-level", "warning",
         # (its 1 s pause after a refused login, which clients provoke first, for speed)
         "--auth-delay", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(base, timeout=1)
            break
        except urllib.error.HTTPError:
            break  # it answers
        except OSError:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "radicale did not start"
            time.sleep(0.1)
    client = caldav.DAVClient(url=base, username="maya", password=PASSWORD)
    client.principal().make_calendar(name="coffeechat", cal_id="coffeechat")
    yield f"{base}maya/coffeechat/"
    server.terminate()
    server.wait(timeout=10)


def read_back(url: str) -> tuple[list[Any], list[Any]]:
    """The VEVENTs and VTODOs on the server, as a CalDAV client sees them."""
    client = caldav.DAVClient(url=url, username="maya", password=PASSWORD)
    calendar = client.calendar(url=url)
    events = [c for obj in calendar.events() for c in obj.icalendar_instance.walk("VEVENT")]
    todos = [c for obj in calendar.todos(include_completed=True)
             for c in obj.icalendar_instance.walk("VTODO")]
    return events, todos


@pytest.mark.slow  # a real CalDAV server
def test_calendar_push_to_caldav_and_again_without_copies(run: CLI, radicale: str) -> None:
    configure(run, url=radicale, username="maya")
    run.run("add", "Priya Raman", "--email", "priya@example.com")
    run.run("add", "Omar Haddad")
    run.run("schedule", "priya", "--at", "2026-11-10T15:00:00Z", "--where", "Zoom")
    run.run("ask", "omar")
    env = {"COFFEECHAT_CALDAV_PASSWORD": PASSWORD}

    pushed = run.json("calendar", "push", **env)
    assert pushed["events"] == 1 and pushed["todos"] >= 1
    events, todos = read_back(radicale)
    assert [utc(e) for e in events] == [datetime(2026, 11, 10, 15, tzinfo=UTC)]
    assert "Priya Raman" in str(events[0]["SUMMARY"])
    assert "omar-haddad" in {str(t["X-COFFEECHAT-CONTACT"]) for t in todos}
    assert len(todos) == pushed["todos"]

    # Again, and after a reschedule: the same objects, updated, never copied.
    run.run("calendar", "push", **env)
    run.run("schedule", "priya", "--at", "2026-11-11T17:30:00Z")
    run.run("calendar", "push", **env)
    events, todos_after = read_back(radicale)
    assert [utc(e) for e in events] == [datetime(2026, 11, 11, 17, 30, tzinfo=UTC)]
    assert len({str(t["UID"]) for t in todos_after}) == len(todos_after)

    # Omar answers: the nudge on the calendar is marked done, not left to nag.
    nudge_uids = {str(t["UID"]) for t in todos_after
                  if str(t["X-COFFEECHAT-CONTACT"]) == "omar-haddad"}
    run.run("answer", "omar", "accepted")
    assert run.json("calendar", "push", **env)["completed"] == len(nudge_uids) == 1
    _, todos_last = read_back(radicale)
    assert {str(t["STATUS"]) for t in todos_last if str(t["UID"]) in nudge_uids} == \
        {"COMPLETED"}


@pytest.mark.slow  # a real CalDAV server
def test_calendar_push_errors_say_what_to_fix(run: CLI, radicale: str) -> None:
    run.run("add", "Priya Raman")
    run.run("schedule", "priya", "--at", "2026-11-10T15:00:00Z")
    configure(run)  # no url
    assert "[calendar] url" in run.run("calendar", "push", expect=1).err

    configure(run, url=radicale, username="maya")
    wrong = run.run("calendar", "push", expect=1, COFFEECHAT_CALDAV_PASSWORD="not-it")
    assert radicale in wrong.err and "not-it" not in wrong.err + wrong.out
    assert len(wrong.err.strip().splitlines()) == 1
    assert read_back(radicale) == ([], [])

    assert "refused maya" in wrong.err and "COFFEECHAT_CALDAV_PASSWORD" in wrong.err

    configure(run, url=radicale.replace("/coffeechat/", "/elsewhere/"), username="maya")
    missing = run.run("calendar", "push", expect=1, COFFEECHAT_CALDAV_PASSWORD=PASSWORD)
    assert "there is no calendar at" in missing.err and "/elsewhere/" in missing.err

    configure(run, url=f"http://127.0.0.1:{free_port()}/maya/coffeechat/", username="maya")
    away = run.run("calendar", "push", expect=1, COFFEECHAT_CALDAV_PASSWORD=PASSWORD)
    assert "127.0.0.1" in away.err and len(away.err.strip().splitlines()) == 1
