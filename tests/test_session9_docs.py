"""Session 9 docs check: what the docs say about this session's changes, run for real.

Each test takes a statement from the docs (file and line in its docstring) or a
command's ``--help`` and runs it as a user would, in process. A strict xfail is
a place where the docs and the program disagree, or where something a user
meets is not written where they would look.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest

from tests.conftest import InProcessCLI

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
ME = "me@example.com"


def doc(name: str) -> str:
    """A doc's text with its line breaks and runs of spaces made single spaces."""
    return " ".join((DOCS / name).read_text(encoding="utf-8").split())


def helptext(run: InProcessCLI, *command: str) -> str:
    return " ".join(run.run(*command, "--help").out.split())


def me(run: InProcessCLI) -> None:
    (run.home / "config.toml").write_text(f'[me]\nname = "Maya"\nemail = "{ME}"\n')


def put(tmp_path: Path, name: str, text: str, crlf: bool = True) -> str:
    path = tmp_path / name
    path.write_bytes((text.replace("\n", "\r\n") if crlf else text).encode("utf-8"))
    return str(path)


def invitation(*events: str, method: str = "REQUEST") -> str:
    """A calendar of these VEVENTs (their lines, each ending in a newline)."""
    body = "".join(f"BEGIN:VEVENT\n{e}END:VEVENT\n" for e in events)
    return (f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test mail//EN\nMETHOD:{method}\n"
            f"{body}END:VCALENDAR\n")


def exported(run: InProcessCLI) -> list[Any]:
    return list(icalendar.Calendar.from_ical(run.run("export", "ics").out).walk("VEVENT"))


def people(run: InProcessCLI) -> list[str]:
    return sorted(c["name"] for c in run.json("contacts"))


# -- schedule: a move keeps length and place ------------------------------------------------

def test_a_moved_meeting_keeps_its_length_and_place_as_the_guide_and_help_say(
        run: InProcessCLI) -> None:
    """user-guide.md:276-278, schedule --help: a meeting moved while still ahead keeps its
    length and place unless --minutes or --where are given again; --where '' drops it."""
    assert "keeps its length and place unless you give `--minutes` or `--where` again " \
           "(`--where ''` drops the place)" in doc("user-guide.md")
    assert "before it is over keeps its length and place unless --minutes or --where are given" in \
        helptext(run, "schedule")
    run.run("add", "Ada Byron")
    run.run("schedule", "ada", "--at", "2026-11-05T10:00Z", "--minutes", "60",
            "--where", "Café Central")
    moved = run.run("schedule", "ada", "--at", "2026-11-06T10:00Z")
    assert "Ada Byron's meeting on 2026-11-05 10:00 is now on 2026-11-06 10:00" in moved.err
    [event] = exported(run)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=60)
    assert str(event["LOCATION"]) == "Café Central"
    run.run("schedule", "ada", "--at", "2026-11-07T10:00Z", "--where", "")
    [event] = exported(run)
    assert "LOCATION" not in event
    assert "meeting at 2026-11-07 10:00, 60 min" in run.run("show", "ada").out
    run.run("schedule", "ada", "--at", "2026-11-08T10:00Z", "--minutes", "20")
    assert "meeting at 2026-11-08 10:00, 20 min" in run.run("show", "ada").out


def test_a_meeting_whose_time_passed_gives_way_to_a_new_one(run: InProcessCLI) -> None:
    """user-guide.md:278-279: one whose time has passed gives way to a new meeting (30
    minutes, no place: what it had is not carried over)."""
    run.run("add", "Ada Byron")
    run.run("schedule", "ada", "--at", "2026-11-05T10:00Z", "--minutes", "60",
            "--where", "Café Central")
    run.now = "2026-11-09T09:00:00Z"
    run.run("schedule", "ada", "--at", "2026-11-12T10:00Z")
    assert "meeting at 2026-11-12 10:00, 30 min " in run.run("show", "ada").out + " "
    # (a new meeting, under its own UID; the one that passed stays as it was)
    old, new = sorted(exported(run), key=lambda e: e.decoded("DTSTART"))
    assert "LOCATION" not in new and str(old["LOCATION"]) == "Café Central"
    assert str(old["UID"]) != str(new["UID"])


def test_the_warning_for_a_passed_meeting_does_not_call_it_a_move(run: InProcessCLI) -> None:
    run.run("add", "Ada Byron")
    run.run("schedule", "ada", "--at", "2026-11-05T10:00Z", "--where", "Café Central")
    run.now = "2026-11-09T09:00:00Z"
    replaced = run.run("schedule", "ada", "--at", "2026-11-12T10:00Z")
    assert "is now on" not in replaced.err
    assert "never recorded as held or cancelled, gives way to a new one on 2026-11-12" \
        in replaced.err


# -- reconnect and today after a skipped or snoozed check-in ---------------------------------

def test_a_skipped_check_in_leaves_reconnect_and_today_by_name(run: InProcessCLI) -> None:
    """user-guide.md:708-710 and reconnect --help: someone whose check-in you skipped or
    snoozed is left out (there and in today) until it is due again."""
    assert "Someone whose check-in you skipped or snoozed is left out until it is due " \
           "again" in helptext(run, "reconnect")
    run.now = "2026-09-01T10:00:00Z"
    for name in ("Ann Lee", "Bo Kim"):
        run.run("add", name)
        run.run("met", name.split()[0].lower())
        run.run("thank", name.split()[0].lower())
    run.now = "2026-12-15T10:00:00Z"
    assert "Ann Lee" in run.run("reconnect").out and "Ann Lee" in run.run("today").out
    handles = {i["contact"]: i["handle"] for i in run.json("due", "--all")
               if i["kind"] == "check-in"}
    run.run("skip", handles["ann-lee"])
    run.run("snooze", handles["bo-kim"], "2026-12-20")
    for command in ("reconnect", "today"):
        shown = run.run(command).out
        assert "Ann Lee" not in shown and "Bo Kim" not in shown, (command, shown)
    run.now = "2026-12-21T10:00:00Z"  # the snooze is over: Bo is back, Ann is not yet
    shown = run.run("reconnect").out
    assert "Bo Kim" in shown and "Ann Lee" not in shown


# -- stats: check-ins judged as things stood then -------------------------------------------

def test_stats_counts_no_check_in_while_a_contact_was_archived(run: InProcessCLI) -> None:
    """user-guide.md:939-941: none falls due while the contact was archived; and a cadence
    set later does not change a gap before it."""
    assert "none falls due while the contact was archived or not at a check-in stage" \
        in doc("user-guide.md")
    run.now = "2026-06-01T10:00:00Z"
    run.run("add", "Ann Lee")
    run.run("met", "ann")
    run.run("archive", "ann")
    run.now = "2026-12-15T10:00:00Z"
    checkins = run.json("stats")["follow_through"]["checkins"]
    assert checkins["fell_due"] == 0 and checkins["still_due"] == 0
    # Cadence set today, long after a 90-day gap ran out: that gap stays as it was.
    other = InProcessCLI(run.home.parent / "other")
    other.home.mkdir()
    other.now = "2026-06-01T10:00:00Z"
    other.run("add", "Bo Kim")
    other.run("met", "bo")
    other.now = "2026-08-01T10:00:00Z"  # 61 days on: inside the default 90-day gap
    other.run("checkin", "bo")
    other.now = "2026-08-02T10:00:00Z"
    before = other.json("stats", "--until", "2026-08-01T23:00:00Z")["follow_through"]
    other.run("cadence", "bo", "14")
    after = other.json("stats", "--until", "2026-08-01T23:00:00Z")["follow_through"]
    assert before["checkins"]["fell_due"] == after["checkins"]["fell_due"] == 0


# -- watch --views DIR leaves the user's own files -------------------------------------------

def test_views_leave_a_file_of_the_users_own_with_the_documented_warning(
        run: InProcessCLI, tmp_path: Path) -> None:
    """notes.md:208-214: in a folder named with --views, a file of your own where a view
    would go is left as it is with one warning; move it away and the view is written."""
    written = doc("notes.md")
    assert "(`coffeechat: warning: views: not writing due.md: a file coffeechat did not " \
           "write is there ...`)" in written
    notes, mine = tmp_path / "notes", tmp_path / "mine"
    notes.mkdir()
    mine.mkdir()
    (notes / "jane.md").write_text("---\ntype: contact\ncontact: Jane Doe\n---\n")
    (mine / "due.md").write_text("- [ ] water the plants\n")
    result = run.run("watch", str(notes), "--once", "--views", str(mine))
    warnings = [line for line in result.err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and warnings[0].startswith(
        "coffeechat: warning: views: not writing due.md: a file coffeechat did not write "
        "is there"), result.err
    assert (mine / "due.md").read_text() == "- [ ] water the plants\n"
    (mine / "due.md").unlink()
    run.run("watch", str(notes), "--once", "--views", str(mine))
    assert (mine / "due.md").read_text().startswith("<!-- written by coffeechat")


# -- notes: YAML anchors ---------------------------------------------------------------------

@pytest.mark.parametrize("front", [
    '"contact": Jane Doe\ntype: meeting\ndate: 2026-11-01\ntakeaways:\n  - &a one\n  - *a',
    "'contact': Jane Doe\ntype: meeting\ndate: 2026-11-01\ntakeaways:\n  - &a one\n  - *a",
    "base: &b {contact: Jane Doe, type: meeting}\n<<: *b\ndate: 2026-11-01",
])
def test_a_note_with_yaml_anchors_is_refused_naming_the_line(
        run: InProcessCLI, tmp_path: Path, front: str) -> None:
    """notes.md:107-109: no YAML anchors or aliases in a note's front matter; the error
    names the line (a note being any front matter with a `contact` key, notes.md:19,
    however the key is written)."""
    run.now = "2026-11-02T09:00:00Z"
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "jane.md").write_text("---\ntype: contact\ncontact: Jane Doe\n---\n")
    (notes / "m.md").write_text(f"---\n{front}\n---\nbody\n")
    result = run.run("watch", str(notes), "--once", expect=1)
    [line] = [x for x in result.err.splitlines() if "m.md" in x]
    assert "YAML anchors" in line and "m.md:" in line and line.split("m.md:")[1][0].isdigit()
    assert not [e for e in run.json("log") if e["type"] == "meeting.held"]


# -- payloads with NaN or infinity -------------------------------------------------------------

GAUGE = '''\
"""A test plugin recording a measured value, which may be missing."""
import math

import click

from coffeechat import hookimpl
from coffeechat.events import Payload


class Gauge(Payload):
    type_name = "gauge.read"
    touch = False
    level: float | None = None


@hookimpl
def register_event_types(register):
    register(Gauge.type_name, Gauge)


@click.command("gauge")
@click.argument("contact")
@click.argument("level")
@click.pass_obj
def gauge(app, contact, level):
    for event in app.recorder().record(contact, Gauge(level=float(level))):
        click.echo(event.id)


@hookimpl
def register_commands(cli):
    cli.add_command(gauge)
'''


def test_a_payload_holding_nan_or_infinity_is_refused_naming_the_field(
        run: InProcessCLI, tmp_path: Path) -> None:
    """guarantees.md:35-37: the payload holds no NaN or infinity (stored, it would come back
    as null); bad input gets one line naming it, and nothing is written."""
    assert "holds no NaN or infinity" in doc("guarantees.md")
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "gauge.py").write_text(GAUGE)
    plugin = ("--plugins-dir", str(folder))
    run.run("add", "Jane Doe")
    run.run(*plugin, "gauge", "jane", "2.5", COFFEECHAT_LOAD_PLUGINS="gauge")
    for value in ("nan", "inf", "-inf"):
        refused = run.run(*plugin, "gauge", "jane", "--", value, expect=1,
                          COFFEECHAT_LOAD_PLUGINS="gauge")
        [line] = refused.err.splitlines()
        assert line.startswith("coffeechat: error: ") and "level" in line and "NaN" in line
    assert [e["data"]["level"] for e in run.json("log") if e["type"] == "gauge.read"] == [2.5]


# -- import ics -------------------------------------------------------------------------------

def test_a_room_is_never_the_contact_and_information_only_attendees_come_last(
        run: InProcessCLI, tmp_path: Path) -> None:
    """calendar.md:86-88: a room or other resource is never the contact; NON-PARTICIPANT
    attendees come after those taking part."""
    me(run)
    text = invitation(f"""UID:room-a@example.org
ORGANIZER;CN=Maya:mailto:{ME}
ATTENDEE;CUTYPE=ROOM;CN=Room 2:mailto:room2@example.org
ATTENDEE;ROLE=NON-PARTICIPANT;CN=Pat Info:mailto:pat@example.org
ATTENDEE;ROLE=REQ-PARTICIPANT;CN=Kim Park:mailto:kim@example.org
DTSTART:20261112T140000Z
DTEND:20261112T143000Z
DTSTAMP:20261101T120000Z
""")
    result = run.json("import", "ics", put(tmp_path, "a.ics", text))
    assert result["scheduled"] == ["kim-park"] and people(run) == ["Kim Park"]
    only_room = invitation(f"""UID:room-b@example.org
ORGANIZER;CN=Maya:mailto:{ME}
ATTENDEE;CUTYPE=RESOURCE;CN=Projector:mailto:projector@example.org
DTSTART:20261113T140000Z
DTEND:20261113T143000Z
DTSTAMP:20261101T120000Z
""")
    run.run("import", "ics", put(tmp_path, "b.ics", only_room))
    assert people(run) == ["Kim Park"]


def test_an_exchange_last_first_name_and_the_lookalike_warning(
        run: InProcessCLI, tmp_path: Path) -> None:
    """calendar.md:89-92: Exchange's "Kowalczyk, Tomasz" names Tomasz Kowalczyk; someone
    added with the name of a known contact is warned of, with the merge."""
    me(run)
    run.run("add", "Tomasz Kowalczyk", "--email", "tomasz@home.example")
    text = invitation(f"""UID:lf-1@example.org
ORGANIZER;CN="Kowalczyk, Tomasz":mailto:tk@work.example
ATTENDEE;CN=Maya:mailto:{ME}
DTSTART:20261112T140000Z
DTEND:20261112T143000Z
DTSTAMP:20261101T120000Z
""")
    result = run.run("import", "ics", put(tmp_path, "lf.ics", text))
    assert people(run) == ["Tomasz Kowalczyk", "Tomasz Kowalczyk"]
    [warning] = [x for x in result.err.splitlines() if "looks like" in x]
    assert "coffeechat merge tomasz-kowalczyk tomasz-kowalczyk-2" in warning


def test_several_calendars_in_one_file_each_with_its_method(run: InProcessCLI,
                                                            tmp_path: Path) -> None:
    """calendar.md:119-120: a file may hold several calendars one after another (cat a.ics
    b.ics): each is read with its own METHOD."""
    me(run)
    event = f"""UID:two-1@example.org
ORGANIZER;CN=Kim Park:mailto:kim@example.org
ATTENDEE;CN=Maya:mailto:{ME}
DTSTART:20261112T140000Z
DTEND:20261112T143000Z
DTSTAMP:20261101T120000Z
SEQUENCE:{{}}
"""
    other = event.replace("two-1", "two-2").replace("Kim Park", "Lou Reed").replace(
        "kim@", "lou@")
    first = invitation(event.format(0)) + invitation(other.format(0))
    assert sorted(run.json("import", "ics", put(tmp_path, "a.ics", first))["scheduled"]) == \
        ["kim-park", "lou-reed"]
    both = invitation(event.format(1), method="CANCEL") + invitation(other.format(0))
    again = run.json("import", "ics", put(tmp_path, "b.ics", both))
    assert again["cancelled"] == ["kim-park"] and again["unchanged"] == 1


def test_a_vcard_given_to_import_ics_is_refused_in_one_line(run: InProcessCLI,
                                                             tmp_path: Path) -> None:
    card = put(tmp_path, "people.ics", "BEGIN:VCARD\nVERSION:3.0\nFN:Ann Lee\nEND:VCARD\n")
    refused = run.run("import", "ics", card, expect=1)
    [line] = refused.err.splitlines()
    assert line.startswith("coffeechat: error: ") and "VCARD" in line
    assert run.json("contacts") == []


def test_calendar_doc_says_a_vcard_is_refused_by_import_ics() -> None:
    text = (DOCS / "calendar.md").read_text(encoding="utf-8")
    section = text.split("\n## import ics")[1].split("\n## ")[0]
    assert "vCard" in section or "VCARD" in section


def test_an_outlook_display_zone_is_read_at_its_offset_and_the_warning_says_so(
        run: InProcessCLI, tmp_path: Path) -> None:
    """calendar.md:76-81: a TZID named as Outlook shows zones is taken at the offset its
    name gives (without daylight saving), and the warning says so."""
    me(run)
    zone = '"(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi"'
    text = invitation(f"""UID:zone-1@example.org
ORGANIZER;CN=Lin Wei:mailto:lin@example.cn
ATTENDEE;CN=Maya:mailto:{ME}
DTSTART;TZID={zone}:20261113T100000
DTEND;TZID={zone}:20261113T103000
DTSTAMP:20261101T120000Z
""")
    result = run.run("import", "ics", put(tmp_path, "z.ics", text), TZ="America/New_York")
    assert "meeting on 2026-11-13 02:00" in run.run("show", "lin-wei", TZ="UTC").out
    [warning] = result.err.splitlines()
    assert "(UTC+08:00) Beijing" in warning and "offset" in warning \
        and "daylight saving" in warning


# -- export ics ---------------------------------------------------------------------------------

OUTLOOK_UID = "040000008200E00074C5B7101A82E00800000000F0E1D2C3B4A59687000000000000000010"


def test_export_ics_names_no_organiser_for_an_invitation_and_keeps_its_uid(
        run: InProcessCLI, tmp_path: Path) -> None:
    """calendar.md:18-20 and 59-63: no ORGANIZER for a meeting from someone's invitation
    (one scheduled by hand names me); the invitation's UID as it came, Outlook's
    without '@' included."""
    me(run)
    text = invitation(f"""UID:{OUTLOOK_UID}
ORGANIZER;CN=Kim Park:mailto:kim@example.org
ATTENDEE;CN=Maya:mailto:{ME}
DTSTART:20261112T140000Z
DTEND:20261112T143000Z
DTSTAMP:20261101T120000Z
""")
    run.run("import", "ics", put(tmp_path, "o.ics", text))
    run.run("add", "Ada Byron")
    run.run("schedule", "ada", "--at", "2026-11-20T10:00Z")
    events = {str(e["SUMMARY"]): e for e in exported(run)}
    assert set(events) == {"Coffee chat with Kim Park", "Coffee chat with Ada Byron"}
    kim, ada = events["Coffee chat with Kim Park"], events["Coffee chat with Ada Byron"]
    assert "ORGANIZER" not in kim and str(kim["UID"]) == OUTLOOK_UID
    assert str(ada["ORGANIZER"]) == f"mailto:{ME}"


# -- import vcard and linkedin ---------------------------------------------------------------

def test_vcard_tel_uris_apple_social_profile_and_broken_line_numbers(
        run: InProcessCLI, tmp_path: Path) -> None:
    """imports.md:44-49: tel: URIs read as the number, ;ext= as "ext. 102"; Apple's
    X-SOCIALPROFILE;type=linkedin finds the LinkedIn connection again; a broken line is
    named by its line in the file."""
    run.run("import", "linkedin", put(tmp_path, "c.csv",
            "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
            "Rui,Costa,https://www.linkedin.com/in/rui-costa,,Initech,Analyst,02 Feb 2022\n"))
    cards = put(tmp_path, "all.vcf",
                "BEGIN:VCARD\nVERSION:4.0\nFN:Omar Said\n"
                "TEL;VALUE=uri;TYPE=work:tel:+34-600-000-111;ext=102\nEND:VCARD\n"
                "BEGIN:VCARD\nVERSION:3.0\nN:Costa;Rui;;;\nFN:Rui Costa\n"
                "X-SOCIALPROFILE;type=linkedin:https://www.linkedin.com/in/rui-costa\n"
                "EMAIL:rui@example.pt\nEND:VCARD\n")
    run.run("import", "vcard", cards)
    omar = run.run("show", "omar-said").out
    assert "+34-600-000-111 ext. 102" in omar and "tel:" not in omar
    assert people(run) == ["Omar Said", "Rui Costa"]
    assert "rui@example.pt" in run.run("show", "rui-costa").out
    broken = put(tmp_path, "b.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:A B\nEND:VCARD\n"
                 "BEGIN:VCARD\nVERSION:3.0\nFN:C D\nno colon on this line\nEND:VCARD\n")
    refused = run.run("import", "vcard", broken, expect=1)
    assert "b.vcf: line 8:" in refused.err


def test_linkedin_dates_with_slashes_month_first_unless_one_is_only_day_first(
        run: InProcessCLI, tmp_path: Path) -> None:
    """imports.md:35-38: `03/12/2024` is 12 March; once one date of the file can only be
    day first (`29/02/2024`) every date of that file is read day first."""
    head = "First Name,Last Name,Connected On\n"
    run.run("import", "linkedin", put(tmp_path, "us.csv", head + "Ann,Lee,03/12/2024\n"))
    run.run("import", "linkedin", put(tmp_path, "eu.csv",
                                      head + "Bo,Kim,03/12/2024\nCy,Dias,29/02/2024\n"))
    added = {c["name"]: c["added_at"][:10] for c in run.json("contacts")}
    assert added == {"Ann Lee": "2024-03-12", "Bo Kim": "2024-12-03", "Cy Dias": "2024-02-29"}
    assert "2024-12-03 00:00  contact.added" in run.run("show", "bo-kim").out


def test_how_met_names_a_slash_date_as_it_was_read(run: InProcessCLI, tmp_path: Path) -> None:
    head = "First Name,Last Name,Connected On\n"
    run.run("import", "linkedin", put(tmp_path, "us.csv", head + "Ann,Lee,03/12/2024\n"))
    assert "how met: LinkedIn, connected on 12 Mar 2024" in run.run("show", "ann-lee").out


# -- timeouts -----------------------------------------------------------------------------------

def test_the_timeout_settings_are_described_in_the_same_words_everywhere() -> None:
    """email.md:68, calendar.md:177-179 and 195, configuration.md:217-218: the timeout
    bounds the whole exchange (email) and each whole request (calendar)."""
    assert "seconds: for each answer, and for the whole exchange" in doc("email.md")
    assert "after `[calendar] timeout` seconds (30) per request" in doc("calendar.md")
    assert "`timeout` (default 30 seconds) for each request to the server" in \
        doc("configuration.md")


# -- the report ---------------------------------------------------------------------------------

def test_the_report_isolates_each_name_from_the_text_beside_it(
        run: InProcessCLI, tmp_path: Path) -> None:
    """A right-to-left name does not reorder the dates and counts beside it: each name in
    the report is its own <bdi> (not in the docs: nothing a user has to do)."""
    run.run("add", "נועה כהן", "--company", "Acme")
    run.run("ask", "נועה")
    out = tmp_path / "r.html"
    run.run("report", "--out", str(out))
    assert "<bdi>נועה כהן</bdi>" in out.read_text(encoding="utf-8")


# -- the CLI contract ---------------------------------------------------------------------------

def test_the_contract_commands_and_shapes_still_hold(run: InProcessCLI) -> None:
    """../shared/CLI.md: schedule CONTACT --at --minutes --where; reconnect --json gives
    contact objects with "warmth" and "days_past_ideal"; today --json's keys."""
    for option in ("--at", "--minutes", "--where", "--on", "--json"):
        assert option in helptext(run, "schedule")
    run.now = "2026-06-01T10:00:00Z"
    run.run("add", "Ann Lee")
    run.run("met", "ann")
    run.run("schedule", "ann", "--at", "2026-06-03T10:00Z", "--minutes", "30",
            "--where", "Café")
    run.now = "2026-12-15T10:00:00Z"
    [row] = run.json("reconnect")
    assert row["id"] == "ann-lee" and {"warmth", "days_past_ideal", "name"} <= set(row)
    assert {"overdue", "due_today", "meetings", "birthdays", "reconnect"} <= \
        set(run.json("today"))
