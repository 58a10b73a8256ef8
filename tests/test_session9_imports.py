"""Session 9 review: imports and exports with files shaped as real exporters write them.

LinkedIn's Connections.csv (notes preamble, BOM, CRLF, quoted commas, missing
emails, a date in another locale's form, a row with no name), vCards from
Google, Apple and Outlook that meet the LinkedIn people, invitations from
Outlook/Exchange (Windows zone names, VTIMEZONE, METHOD:CANCEL, a room among
the attendees) and Google Calendar (a weekly series with EXDATE and a
cancelled occurrence), an all-day invitation, coffeechat's own ``export
jsonl``/``import jsonl``, a 10,000-row file and an import killed half way.
Every file here is invented for these tests.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import icalendar

from tests.conftest import CLI, InProcessCLI

ME = "me@example.com"

CONNECTIONS = (
    "\ufeffNotes:\r\n"
    '"When exporting your connection data, you may notice that some of the email '
    'addresses are missing. You will only see email addresses for connections who have '
    'allowed their connections to see or download their email address."\r\n'
    "\r\n"
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\r\n"
    "Asha,Verma,https://www.linkedin.com/in/asha-verma-12ab,,\"Northwind, Ltd.\","
    "Staff Engineer,14 Mar 2024\r\n"
    "Tomasz,Kowalczyk,https://www.linkedin.com/in/tkowalczyk,tomasz.k@example.org,"
    "Fabrikam,\"Head of Data, EMEA\",03 Jan 2025\r\n"
    "Léa,Dubois,https://www.linkedin.com/in/lea-dubois,,Contoso,PM,30/02/2024\r\n"
    ",,https://www.linkedin.com/in/someone-private,,,,01 Feb 2025\r\n"
)

# Google (3.0, escaped colon in a grouped URL), Apple (3.0, X-ABDATE anniversary, capitals
# in the email), Outlook (2.1).
VCARDS = """BEGIN:VCARD
VERSION:3.0
FN:Asha Verma
N:Verma;Asha;;;
EMAIL;TYPE=INTERNET;TYPE=HOME:asha.v@example.net
TEL;TYPE=CELL:+44 7700 900123
item1.URL:https\\://www.linkedin.com/in/asha-verma-12ab/
item1.X-ABLabel:LinkedIn
ORG:Northwind Ltd.
TITLE:Staff Engineer
BDAY:1990-07-14
CATEGORIES:myContacts
END:VCARD
BEGIN:VCARD
VERSION:3.0
PRODID:-//Apple Inc.//iPhone OS 17.0//EN
N:Kowalczyk;Tomasz;;;
FN:Tomasz Kowalczyk
ORG:Fabrikam;
EMAIL;type=INTERNET;type=WORK;type=pref:TOMASZ.K@EXAMPLE.ORG
item2.X-ABDATE;type=pref:2019-06-01
item2.X-ABLabel:_$!<Anniversary>!$_
BDAY;VALUE=date:--03-22
END:VCARD
BEGIN:VCARD
VERSION:2.1
N;CHARSET=utf-8:Nakamura;Kenji
FN;CHARSET=utf-8:Kenji Nakamura
ORG:Tailspin Toys
EMAIL;PREF;INTERNET:kenji@tailspin.example
TEL;WORK;VOICE:+81 3 5555 0100
X-MS-OL-DEFAULT-POSTAL-ADDRESS:0
REV:20261020T101010Z
END:VCARD
""".replace("\n", "\r\n")

OUTLOOK = """BEGIN:VCALENDAR
METHOD:REQUEST
PRODID:Microsoft Exchange Server 2010
VERSION:2.0
BEGIN:VTIMEZONE
TZID:Pacific Standard Time
BEGIN:STANDARD
DTSTART:16010101T020000
TZOFFSETFROM:-0700
TZOFFSETTO:-0800
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:-0800
TZOFFSETTO:-0700
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
ORGANIZER;CN=Priya Raman:MAILTO:Priya.Raman@Contoso.example
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=me@example.com:mailto:me@example.com
DESCRIPTION;LANGUAGE=en-US:Quick catch-up\\n
UID:040000008200E00074C5B7101A82E0080000000050C1A7D2C5B5DA01000000000000000010000000A1B2C3D4
SUMMARY;LANGUAGE=en-US:Coffee with Priya
DTSTART;TZID=Pacific Standard Time:20261110T163000
DTEND;TZID=Pacific Standard Time:20261110T171500
CLASS:PUBLIC
PRIORITY:5
DTSTAMP:20261101T120000Z
TRANSP:OPAQUE
STATUS:CONFIRMED
SEQUENCE:0
LOCATION;LANGUAGE=en-US:Blue Bottle, Market St
END:VEVENT
END:VCALENDAR
"""

GOOGLE_SERIES = """BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:REQUEST
BEGIN:VTIMEZONE
TZID:Europe/London
X-LIC-LOCATION:Europe/London
BEGIN:DAYLIGHT
TZOFFSETFROM:+0000
TZOFFSETTO:+0100
TZNAME:BST
DTSTART:19700329T010000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0100
TZOFFSETTO:+0000
TZNAME:GMT
DTSTART:19701025T020000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
DTSTART;TZID=Europe/London:20261005T083000
DTEND;TZID=Europe/London:20261005T090000
RRULE:FREQ=WEEKLY;BYDAY=MO
EXDATE;TZID=Europe/London:20261102T083000
DTSTAMP:20261001T101010Z
ORGANIZER;CN=Oliver Brooks:mailto:oliver.brooks@example.co.uk
UID:7kq2abc9d0e1f2g3h4i5j6@google.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Oliver Brooks;
 X-NUM-GUESTS=0:mailto:oliver.brooks@example.co.uk
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;
 CN=ME@EXAMPLE.COM;X-NUM-GUESTS=0:MAILTO:ME@EXAMPLE.COM
CREATED:20261001T101000Z
LOCATION:https://meet.google.com/abc-defg-hij
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Weekly mentoring
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/London:20261109T083000
DTEND;TZID=Europe/London:20261109T090000
DTSTAMP:20261001T101010Z
ORGANIZER;CN=Oliver Brooks:mailto:oliver.brooks@example.co.uk
UID:7kq2abc9d0e1f2g3h4i5j6@google.com
RECURRENCE-ID;TZID=Europe/London:20261109T083000
SEQUENCE:1
STATUS:CANCELLED
SUMMARY:Weekly mentoring
END:VEVENT
END:VCALENDAR
"""


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def exchange(*events: str) -> str:
    """An invitation file as Exchange writes one, holding these VEVENTs (their lines)."""
    body = "".join(f"BEGIN:VEVENT\n{event}END:VEVENT\n" for event in events)
    return crlf("BEGIN:VCALENDAR\nMETHOD:REQUEST\nPRODID:Microsoft Exchange Server 2010\n"
                f"VERSION:2.0\n{body}END:VCALENDAR\n")


def configure(run: CLI) -> None:
    (run.home / "config.toml").write_text(f'[me]\nname = "Maya"\nemail = "{ME}"\n')


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def names(run: CLI, **env: str) -> dict[str, dict[str, object]]:
    return {c["name"]: c for c in run.json("contacts", **env)}


# -- people ---------------------------------------------------------------------------------

def test_connections_csv_bad_rows_are_named_by_line_and_stop_the_import(
        run: InProcessCLI, tmp_path: Path) -> None:
    path = write(tmp_path, "Connections.csv", CONNECTIONS)
    refused = run.run("import", "linkedin", path, expect=1)
    assert "row 7: cannot read Connected On '30/02/2024'" in refused.err
    assert "1 more bad rows" in refused.err and "nothing was imported" in refused.err
    assert run.json("contacts") == []

    done = run.run("import", "linkedin", "--skip-bad", path)
    assert "2 added, 0 updated, 0 unchanged" in done.out
    assert "skipped row 7: cannot read Connected On '30/02/2024'" in done.err
    assert "skipped row 8: no first or last name" in done.err
    people = names(run)
    assert sorted(people) == ["Asha Verma", "Tomasz Kowalczyk"]
    assert people["Asha Verma"]["company"] == "Northwind, Ltd."  # (the quoted comma)
    shown = run.run("show", "tomasz-kowalczyk").out
    assert "Head of Data, EMEA" in shown and "connected on 03 Jan 2025" in shown

    again = run.run("import", "linkedin", "--skip-bad", path)
    assert "0 added, 0 updated, 2 unchanged" in again.out
    assert "batch" not in again.out  # nothing recorded, so nothing to undo


def test_vcards_from_three_address_books_meet_the_linkedin_people(
        run: InProcessCLI, tmp_path: Path) -> None:
    run.run("import", "linkedin", "--skip-bad", write(tmp_path, "c.csv", CONNECTIONS))
    before = run.count()
    cards = write(tmp_path, "contacts.vcf", VCARDS)
    dry = run.run("import", "vcard", "--dry-run", cards)
    assert "1 would be added, 2 would be updated, 0 unchanged" in dry.out
    assert "update asha-verma: email, phone, birthday" in dry.out
    assert "add kenji-nakamura (Kenji Nakamura)" in dry.out
    assert run.count() == before  # the dry run told the truth and recorded nothing

    assert "1 added, 2 updated, 0 unchanged" in run.run("import", "vcard", cards).out
    people = names(run)
    assert sorted(people) == ["Asha Verma", "Kenji Nakamura", "Tomasz Kowalczyk"]
    # Asha: matched by her LinkedIn URL (escaped colon, trailing slash); the name the user
    # first had for her company stays.
    asha = run.run("show", "asha-verma").out
    assert "asha.v@example.net" in asha and "+44 7700 900123" in asha
    assert "Northwind, Ltd." in asha and "birthday: Jul 14, 1990" in asha
    # Tomasz: matched by email whatever its case; Apple's anniversary label read.
    tomasz = run.run("show", "tomasz-kowalczyk").out
    assert "anniversary: Jun 1, 2019" in tomasz and "birthday: Mar 22" in tomasz
    assert "+81 3 5555 0100" in run.run("show", "kenji-nakamura").out

    assert "0 added, 0 updated, 3 unchanged" in run.run("import", "vcard", cards).out


def test_a_newer_connections_csv_with_one_person_edited_updates_only_them(
        run: InProcessCLI, tmp_path: Path) -> None:
    run.run("import", "linkedin", "--skip-bad", write(tmp_path, "c.csv", CONNECTIONS))
    edited = CONNECTIONS.replace("Fabrikam,\"Head of Data, EMEA\"", "Litware,CTO")
    report = run.run("import", "linkedin", "--skip-bad", write(tmp_path, "c2.csv", edited))
    assert "0 added, 1 updated, 1 unchanged" in report.out
    people = names(run)
    assert people["Tomasz Kowalczyk"]["company"] == "Litware"
    assert people["Asha Verma"]["company"] == "Northwind, Ltd."
    assert "CTO" in run.run("show", "tomasz-kowalczyk").out


# -- invitations ----------------------------------------------------------------------------

def test_an_outlook_invitation_in_a_windows_zone_lands_on_its_day_in_two_zones(
        run: InProcessCLI, tmp_path: Path) -> None:
    configure(run)
    invite = write(tmp_path, "invite.ics", crlf(OUTLOOK))
    first = run.run("import", "ics", invite)
    assert "1 scheduled, 0 cancelled, 0 unchanged; 1 new contacts" in first.out
    assert list(names(run)) == ["Priya Raman"]  # the organiser, not me (mailto in capitals)
    assert "0 scheduled, 0 cancelled, 1 unchanged" in run.run("import", "ics", invite).out

    run.now = "2026-11-10T09:00:00Z"  # 01:00 in Los Angeles, 17:00 in Singapore
    west = run.run("today", TZ="America/Los_Angeles").out
    assert "2026-11-10 16:30  Priya Raman (45 min, Blue Bottle, Market St)" in west
    east = run.run("today", TZ="Asia/Singapore").out
    assert "2026-11-11 08:30  Priya Raman (45 min, Blue Bottle, Market St)" in east

    cancel = crlf(OUTLOOK.replace("METHOD:REQUEST", "METHOD:CANCEL")
                  .replace("STATUS:CONFIRMED", "STATUS:CANCELLED")
                  .replace("SUMMARY;LANGUAGE=en-US:", "SUMMARY;LANGUAGE=en-US:Canceled: "))
    cancelled = write(tmp_path, "cancel.ics", cancel)  # (Outlook does not always raise SEQUENCE)
    assert "0 scheduled, 1 cancelled" in run.run("import", "ics", cancelled).out
    assert "0 scheduled, 0 cancelled, 1 unchanged" in run.run("import", "ics", cancelled).out
    # The original request read again does not bring the meeting back.
    assert "0 scheduled, 0 cancelled, 1 unchanged" in run.run("import", "ics", invite).out
    assert run.json("today", TZ="America/Los_Angeles")["meetings"] == []


def test_a_google_weekly_series_skips_its_exdate_and_cancelled_week(
        run: InProcessCLI, tmp_path: Path) -> None:
    configure(run)
    series = write(tmp_path, "invite.ics", crlf(GOOGLE_SERIES))
    report = run.run("import", "ics", series)
    assert "1 scheduled, 0 cancelled, 0 unchanged; 1 new contacts" in report.out
    assert list(names(run)) == ["Oliver Brooks"]  # not ME@EXAMPLE.COM
    # 2 Nov is an EXDATE (and over), 9 Nov is called off: 16 Nov, 08:30 London (GMT).
    meeting = run.run("show", "oliver-brooks").out
    assert "meeting on 2026-11-16 08:30" in meeting
    berlin = run.run("show", "oliver-brooks", TZ="Europe/Berlin").out
    assert "meeting on 2026-11-16 09:30" in berlin
    assert "1 unchanged" in run.run("import", "ics", series).out


def test_a_windows_zone_without_its_vtimezone_and_an_unknown_one_warned(
        run: InProcessCLI, tmp_path: Path) -> None:
    configure(run)
    text = exchange("""ORGANIZER;CN=Jonas Schmidt:mailto:jonas.schmidt@example.de
ATTENDEE;ROLE=REQ-PARTICIPANT;CN=Maya:mailto:me@example.com
UID:wz-1
DTSTART;TZID=W. Europe Standard Time:20261112T140000
DTEND;TZID=W. Europe Standard Time:20261112T143000
DTSTAMP:20261101T120000Z
SEQUENCE:0
""", """ORGANIZER;CN=Lin Wei:mailto:lin.wei@example.cn
UID:wz-2
DTSTART;TZID="(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi":20261113T100000
DTEND;TZID="(UTC+08:00) Beijing, Chongqing, Hong Kong, Urumqi":20261113T110000
DTSTAMP:20261101T120000Z
SEQUENCE:0
""")
    report = run.run("import", "ics", write(tmp_path, "wz.ics", text))
    assert "2 scheduled" in report.out
    assert "event 2 (line 14): unknown time zone '(UTC+08:00) Beijing" in report.err
    assert "read at the UTC offset its name gives" in report.err
    assert "meeting on 2026-11-12 13:00" in run.run("show", "jonas-schmidt").out
    # (10:00 at UTC+08:00, as its name says: 02:00 UTC)
    assert "meeting on 2026-11-13 02:00" in run.run("show", "lin-wei").out


def test_a_meeting_room_among_the_attendees_is_not_the_contact(
        run: InProcessCLI, tmp_path: Path) -> None:
    configure(run)
    text = exchange("""ORGANIZER;CN=Maya:mailto:me@example.com
ATTENDEE;CUTYPE=RESOURCE;ROLE=NON-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Conf Room 4B:
 mailto:room4b@contoso.example
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;RSVP=TRUE;CN=Grace Hopper:
 mailto:grace@example.org
UID:room-1
DTSTART:20261112T140000Z
DTEND:20261112T143000Z
DTSTAMP:20261101T120000Z
LOCATION:Conf Room 4B
SEQUENCE:0
""")
    run.run("import", "ics", write(tmp_path, "room.ics", text))
    assert list(names(run)) == ["Grace Hopper"]
    # Someone there for information only comes after those taking part.
    cc = text.replace("UID:room-1", "UID:room-2").replace(
        "ATTENDEE;CUTYPE=RESOURCE;ROLE=NON-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Conf Room 4B:\r\n"
        " mailto:room4b@contoso.example",
        "ATTENDEE;ROLE=NON-PARTICIPANT;CN=Ann Assistant:mailto:ann@contoso.example").replace(
        "grace@example.org", "linus@example.org").replace("CN=Grace Hopper", "CN=Linus T")
    run.run("import", "ics", write(tmp_path, "cc.ics", cc))
    assert sorted(names(run)) == ["Grace Hopper", "Linus T"]


def test_an_all_day_invitation_stays_on_its_day_in_another_zone(
        run: InProcessCLI, tmp_path: Path) -> None:
    configure(run)
    text = crlf("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Apple Inc.//macOS 14.0//EN
BEGIN:VEVENT
UID:A1B2-allday-offsite
DTSTART;VALUE=DATE:20261120
DTEND;VALUE=DATE:20261121
SUMMARY:Offsite with Rafael
ORGANIZER;CN="Rafael Souza":mailto:rafael@example.com.br
ATTENDEE;CN="Maya";PARTSTAT=ACCEPTED:mailto:me@example.com
DTSTAMP:20261101T000000Z
END:VEVENT
END:VCALENDAR
""")
    run.run("import", "ics", write(tmp_path, "offsite.ics", text), TZ="Europe/London")
    assert "meeting on 2026-11-20" in run.run("show", "rafael-souza",
                                              TZ="America/New_York").out
    # Its day in every zone from Honolulu to Auckland's summer, shown as a day.
    for zone in ("Pacific/Honolulu", "America/New_York", "Asia/Tokyo", "Pacific/Auckland"):
        shown = run.run("show", "rafael-souza", TZ=zone).out
        assert "meeting on 2026-11-20 (all day)" in shown, (zone, shown)
        run.now = "2026-11-20T08:00:00Z"  # (20 November somewhere in each: today or tomorrow)
        [meeting] = run.json("today", TZ=zone)["meetings"]
        assert meeting["all_day"] and meeting["at"].startswith("2026-11-20"), zone
    run.now = "2026-11-21T11:00:00Z"  # (Sunday 22 November, 00:00, in Auckland: the offsite
    # was on Friday, neither today nor tomorrow there)
    assert run.json("today", TZ="Pacific/Auckland")["meetings"] == []
    run.now = "2026-11-19T23:00:00Z"  # (Friday 20 November in Tokyo)
    assert "2026-11-20 all day  Rafael Souza" in run.run("today", TZ="Asia/Tokyo").out
    # export ics gives it back as a day, and importing that again changes nothing.
    ics = run.run("export", "ics").out
    [event] = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert event.decoded("DTSTART") == date(2026, 11, 20) == \
        event.decoded("DTEND") - timedelta(days=1)
    again = run.json("import", "ics", write(tmp_path, "ours.ics", ics), TZ="Asia/Tokyo")
    assert again["unchanged"] == 1 and again["scheduled"] == []


# -- every view after, and the round trip ---------------------------------------------------

def imported_network(run: InProcessCLI, tmp_path: Path) -> None:
    configure(run)
    run.run("import", "linkedin", "--skip-bad", write(tmp_path, "c.csv", CONNECTIONS))
    run.run("import", "vcard", write(tmp_path, "c.vcf", VCARDS))
    run.run("import", "ics", write(tmp_path, "o.ics", crlf(OUTLOOK)))
    run.run("import", "ics", write(tmp_path, "g.ics", crlf(GOOGLE_SERIES)))


def test_every_view_works_after_the_imports(run: InProcessCLI, tmp_path: Path) -> None:
    imported_network(run, tmp_path)
    assert len(run.json("contacts")) == 5
    for args in (("due",), ("today",), ("stats",), ("contacts",), ("show", "priya-raman"),
                 ("show", "oliver-brooks"), ("show", "kenji-nakamura")):
        for zone in ("UTC", "Pacific/Auckland"):
            run.run(*args, TZ=zone)
            run.json(*args, TZ=zone)
    assert "added            5" in run.run("stats").out
    ics = run.run("export", "ics").out
    calendar = icalendar.Calendar.from_ical(ics)
    starts = {str(e["UID"]): e.decoded("DTSTART") for e in calendar.walk("VEVENT")
              if "RRULE" not in e}
    assert starts["7kq2abc9d0e1f2g3h4i5j6@google.com"].isoformat() == "2026-11-16T08:30:00+00:00"
    # Exporting the calendar and importing it again records nothing.
    before = run.count()
    again = run.run("import", "ics", write(tmp_path, "ours.ics", ics))
    assert "0 scheduled, 0 cancelled" in again.out and "0 new contacts" in again.out
    assert run.count() == before


def test_export_jsonl_into_a_new_store_then_again_adds_nothing(
        run: InProcessCLI, tmp_path: Path) -> None:
    imported_network(run, tmp_path)
    out = tmp_path / "all.jsonl"
    run.run("export", "jsonl", "--out", str(out))
    count = len(out.read_text().splitlines())
    views = [run.json("contacts"), run.json("due"), run.json("stats")]

    other = InProcessCLI(tmp_path / "other")
    other.home.mkdir()
    dry = other.run("import", "jsonl", "--dry-run", str(out))
    assert other.json("contacts") == []
    assert str(count) in dry.out
    assert f"added {count}, 0 were already here" in other.run("import", "jsonl", str(out)).out
    assert f"added 0, {count} were already here" in other.run("import", "jsonl", str(out)).out
    assert [other.json("contacts"), other.json("due"), other.json("stats")] == views


# -- 10,000 rows, and an import killed half way -----------------------------------------------

def big_connections(path: Path, rows: int = 10_000) -> None:
    lines = ["Notes:", '"Some email addresses are missing."', "",
             "First Name,Last Name,URL,Email Address,Company,Position,Connected On"]
    for i in range(rows):
        email = f"person{i}@example.com" if i % 3 == 0 else ""
        month = ("Jan", "Feb", "Mar", "Apr")[i % 4]
        lines.append(f'Person,Number{i},https://www.linkedin.com/in/p-{i},{email},'
                     f'"Company {i % 97}, Inc.",Engineer,{1 + i % 28:02d} {month} 2023')
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())


def test_ten_thousand_connections_killed_half_way_then_imported_whole(
        cli: CLI, tmp_path: Path) -> None:
    big = tmp_path / "Connections.csv"
    big_connections(big)
    process = subprocess.Popen([sys.executable, "-m", "coffeechat", "import", "linkedin",
                                str(big)], env=cli.env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    time.sleep(0.7)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    partly = cli.json("contacts")
    assert len(partly) in (0, 10_000)  # one transaction: all or nothing

    started = time.monotonic()
    retried = cli.run("import", "linkedin", str(big))
    took = time.monotonic() - started
    if partly:
        assert "0 added, 0 updated, 10000 unchanged" in retried.out
    else:
        assert "10000 added, 0 updated, 0 unchanged" in retried.out
    assert took < 15, f"10,000 rows took {took:.1f} s"
    people = cli.json("contacts")
    assert len(people) == 10_000 and len({p["id"] for p in people}) == 10_000
    assert "0 added, 0 updated, 10000 unchanged" in cli.run("import", "linkedin",
                                                            str(big)).out
    assert json.loads(cli.run("stats", "--json").out)


# -- more shapes: Google CSV, iCloud/vCard 4, an Outlook series and one moved occurrence -----

GOOGLE_CSV = (
    "First Name,Middle Name,Last Name,Phonetic First Name,Phonetic Middle Name,"
    "Phonetic Last Name,Name Prefix,Name Suffix,Nickname,File As,Organization Name,"
    "Organization Title,Organization Department,Birthday,Notes,Photo,Labels,"
    "E-mail 1 - Label,E-mail 1 - Value,E-mail 2 - Label,E-mail 2 - Value,"
    "Phone 1 - Label,Phone 1 - Value,Website 1 - Label,Website 1 - Value\n"
    "Tomasz,,Kowalczyk,,,,,,,,Fabrikam,,,--03-22,,,* myContacts ::: Mentors,* Work,"
    "TOMASZ.K@example.org,Home,tk@home.example,Mobile,+48 600 100 200,Profile,"
    "https://linkedin.com/in/tkowalczyk\n"
    "Nia,,Okoro,,,,,,,,,,,1988-11-05,\"Met at PyCon\n\"\"lightning talk\"\"\",,* myContacts,"
    "* Home,nia@example.ng,,,,,,\n"
)


def test_a_google_contacts_csv_meets_the_linkedin_people(run: InProcessCLI,
                                                        tmp_path: Path) -> None:
    run.run("import", "linkedin", "--skip-bad", write(tmp_path, "c.csv", CONNECTIONS))
    google = write(tmp_path, "contacts.csv", GOOGLE_CSV)
    report = run.run("import", "google", google)
    assert "1 added, 1 updated, 0 unchanged" in report.out  # (a note spanning two lines)
    people = names(run)
    assert sorted(people) == ["Asha Verma", "Nia Okoro", "Tomasz Kowalczyk"]
    tomasz = run.run("show", "tomasz-kowalczyk").out
    assert "tomasz.k@example.org" in tomasz and "+48 600 100 200" in tomasz
    assert "birthday: Mar 22" in tomasz
    assert "birthday: Nov 5, 1988" in run.run("show", "nia-okoro").out
    assert "0 added, 0 updated, 2 unchanged" in run.run("import", "google", google).out


SERIES = """BEGIN:VCALENDAR
METHOD:REQUEST
PRODID:Microsoft Exchange Server 2010
VERSION:2.0
BEGIN:VTIMEZONE
TZID:Eastern Standard Time
BEGIN:STANDARD
DTSTART:16010101T020000
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
ORGANIZER;CN=Dana Whitfield:mailto:dana.whitfield@fabrikam.example
ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Maya:mailto:me@example.com
{rule}UID:040000008200E00074C5B7101A82E00800000000D0F1SERIES
{start}
DTSTAMP:20261001T120000Z
SEQUENCE:{sequence}
LOCATION:Microsoft Teams Meeting
END:VEVENT
END:VCALENDAR
"""


def test_an_outlook_fortnightly_series_and_one_occurrence_moved_in_its_own_file(
        run: InProcessCLI, tmp_path: Path) -> None:
    configure(run)
    series = write(tmp_path, "series.ics", crlf(SERIES.format(
        rule="RRULE:FREQ=WEEKLY;UNTIL=20261231T150000Z;INTERVAL=2;BYDAY=TH;WKST=SU\n"
             "EXDATE;TZID=Eastern Standard Time:20261029T100000\n",
        start="DTSTART;TZID=Eastern Standard Time:20261015T100000\n"
              "DTEND;TZID=Eastern Standard Time:20261015T103000", sequence=0)))
    moved = write(tmp_path, "moved.ics", crlf(SERIES.format(
        rule="", start="RECURRENCE-ID;TZID=Eastern Standard Time:20261112T100000\n"
                       "DTSTART;TZID=Eastern Standard Time:20261113T150000\n"
                       "DTEND;TZID=Eastern Standard Time:20261113T153000", sequence=1)))
    run.run("import", "ics", series)
    # 15 Oct is over and 29 Oct excluded: 12 Nov, 10:00 in New York (EST by then).
    assert "meeting on 2026-11-12 10:00" in run.run("show", "dana-whitfield",
                                                    TZ="America/New_York").out
    dry = run.run("import", "ics", "--dry-run", moved)
    assert "move the meeting with dana-whitfield from 2026-11-12T15:00:00Z to " \
           "2026-11-13T20:00:00Z" in dry.out
    run.run("import", "ics", moved)
    assert "meeting on 2026-11-13 15:00" in run.run("show", "dana-whitfield",
                                                    TZ="America/New_York").out
    assert "1 unchanged" in run.run("import", "ics", moved).out
    assert "1 unchanged" in run.run("import", "ics", series).out  # the move stands
    run.now = "2026-11-20T09:00:00Z"  # the moved one is over: the series moves on
    assert "1 scheduled" in run.run("import", "ics", series).out
    assert "meeting on 2026-11-26 10:00" in run.run("show", "dana-whitfield",
                                                    TZ="America/New_York").out


def icloud_cards(tmp_path: Path) -> str:
    import base64

    photo = "PHOTO;ENCODING=b;TYPE=JPEG:" + base64.b64encode(bytes(range(256)) * 12).decode()
    folded = [photo[:75]] + [" " + photo[i:i + 74] for i in range(75, len(photo), 74)]
    lines = ["BEGIN:VCARD", "VERSION:3.0", "PRODID:-//Apple Inc.//macOS 14.0//EN",
             "N:Okafor;Chidi;;;", "FN:Chidi Okafor", "ORG:Globex;Research",
             "EMAIL;type=INTERNET;type=WORK;type=pref:chidi@globex.example", *folded,
             "item1.X-SOCIALPROFILE;type=linkedin:https://www.linkedin.com/in/chidi-okafor",
             "NOTE:Met at the\\, uh\\, conference\\nsecond line", "END:VCARD",
             "BEGIN:VCARD", "VERSION:4.0", "KIND:individual", "FN:Sofía Álvarez",
             "N:Álvarez;Sofía;;;", "EMAIL;TYPE=work;PREF=1:sofia@example.es",
             "EMAIL;TYPE=home;PREF=2:sofi@example.es",
             "TEL;VALUE=uri;TYPE=cell:tel:+34-600-000-111", "BDAY:--0704",
             "ANNIVERSARY:20150620", "URL;TYPE=linkedin:https://es.linkedin.com/in/sofia-alvarez",
             "END:VCARD"]
    return write(tmp_path, "icloud.vcf", "\r\n".join(lines) + "\r\n")


def test_an_apple_card_with_a_photo_and_a_vcard_4_card(run: InProcessCLI,
                                                       tmp_path: Path) -> None:
    cards = icloud_cards(tmp_path)
    assert "2 added, 0 updated, 0 unchanged" in run.run("import", "vcard", cards).out
    chidi = run.run("show", "chidi-okafor").out
    assert "Globex · chidi@globex.example" in chidi and "PHOTO" not in chidi
    sofia = run.run("show", "sofia-alvarez").out
    assert "sofia@example.es" in sofia and "birthday: Jul 4" in sofia
    assert "anniversary: Jun 20, 2015" in sofia
    assert "0 added, 0 updated, 2 unchanged" in run.run("import", "vcard", cards).out


def test_a_vcard_4_phone_uri_is_shown_as_a_number(run: InProcessCLI, tmp_path: Path) -> None:
    run.run("import", "vcard", icloud_cards(tmp_path))
    sofia = run.run("show", "sofia-alvarez").out
    assert "+34-600-000-111" in sofia and "tel:" not in sofia
    card = ("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Omar Said\r\n"
            "TEL;VALUE=uri;TYPE=work:tel:+1-555-0100;ext=102\r\nEND:VCARD\r\n")
    run.run("import", "vcard", write(tmp_path, "ext.vcf", card))
    assert "+1-555-0100 ext. 102" in run.run("show", "omar-said").out


def test_apple_linkedin_profile_finds_the_linkedin_connection(run: InProcessCLI,
                                                              tmp_path: Path) -> None:
    run.run("import", "linkedin", write(tmp_path, "c.csv",
            "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
            "Chidi,Okafor,https://www.linkedin.com/in/chidi-okafor,,Initech,Analyst,"
            "02 Feb 2022\n"))
    run.run("import", "vcard", icloud_cards(tmp_path))
    assert [p["name"] for p in run.json("contacts")].count("Chidi Okafor") == 1


def test_a_broken_vcard_line_is_named_where_it_is(run: InProcessCLI, tmp_path: Path) -> None:
    good = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Byron\r\nEND:VCARD\r\n"
    broken = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Carl Dorn\r\nthis line is broken\r\nEND:VCARD\r\n"
    refused = run.run("import", "vcard", write(tmp_path, "b.vcf", good * 3 + broken), expect=1)
    assert "b.vcf: line 16: cannot read the vCard" in refused.err


def test_a_jsonl_export_saved_with_crlf_line_ends_still_imports(
        run: InProcessCLI, tmp_path: Path) -> None:
    imported_network(run, tmp_path)
    out = tmp_path / "all.jsonl"
    run.run("export", "jsonl", "--out", str(out))
    lines = out.read_bytes().splitlines()
    windows = tmp_path / "windows.jsonl"
    windows.write_bytes(b"\r\n".join(lines) + b"\r\n")
    other = InProcessCLI(tmp_path / "other")
    other.home.mkdir()
    assert f"added {len(lines)}, 0 were already here" in other.run(
        "import", "jsonl", str(windows)).out
    assert other.json("contacts") == run.json("contacts")


def test_an_outlook_invitation_is_exported_under_its_own_uid(
        run: InProcessCLI, tmp_path: Path) -> None:
    configure(run)
    run.run("import", "ics", write(tmp_path, "invite.ics", crlf(OUTLOOK)))
    calendar = icalendar.Calendar.from_ical(run.run("export", "ics").out)
    uids = [str(e["UID"]) for e in calendar.walk("VEVENT")]
    assert uids == ["040000008200E00074C5B7101A82E0080000000050C1A7D2C5B5DA01000000000000000010"
                    "000000A1B2C3D4"]


def test_a_connections_file_saved_day_first_is_read_day_first(
        run: InProcessCLI, tmp_path: Path) -> None:
    """A copy saved in a day-first locale (29/02/2024): every date of the file is read day
    first once one can only be, so 03/04/2024 is 3 April, not 4 March."""
    path = write(tmp_path, "c.csv", "First Name,Last Name,URL,Email Address,Company,Position,"
                 "Connected On\nAna,Lima,,,,,29/02/2024\nBea,Sousa,,,,,03/04/2024\n")
    run.run("import", "linkedin", path)
    added = {c["name"]: c["added_at"][:10] for c in run.json("contacts", TZ="UTC")}
    assert added == {"Ana Lima": "2024-02-29", "Bea Sousa": "2024-04-03"}
    # (month first when nothing says otherwise, as LinkedIn's US copies write them)
    other = InProcessCLI(tmp_path / "other")
    other.home.mkdir()
    other.run("import", "linkedin", write(tmp_path, "d.csv", "First Name,Last Name,"
              "Connected On\nCy,Dias,03/04/2024\n"))
    assert [c["added_at"][:10] for c in other.json("contacts", TZ="UTC")] == ["2024-03-04"]


def test_an_invitation_from_someone_known_under_another_address_says_so(
        run: InProcessCLI, tmp_path: Path) -> None:
    """Exchange names the organiser "Kowalczyk, Tomasz" and writes from a work address the
    LinkedIn import did not have: he is added as Tomasz Kowalczyk, with a warning naming the
    contact he looks like and the merge that makes them one."""
    configure(run)
    run.run("import", "linkedin", write(tmp_path, "c.csv", "First Name,Last Name,URL,"
            "Email Address,Company,Position,Connected On\nTomasz,Kowalczyk,"
            "https://www.linkedin.com/in/tkowalczyk,tomasz.k@example.org,Fabrikam,Head,"
            "03 Jan 2025\n"))
    invite = exchange(f"""UID:040000008200E00074C5B7101A82E00800000000AABBCCDD
ORGANIZER;CN="Kowalczyk, Tomasz":mailto:tkowalczyk@fabrikam.example
ATTENDEE;CN=Maya;ROLE=REQ-PARTICIPANT:mailto:{ME}
DTSTART:20261112T140000Z
DTEND:20261112T143000Z
DTSTAMP:20261101T120000Z
SEQUENCE:0
""")
    result = run.run("import", "ics", write(tmp_path, "i.ics", invite))
    assert [c["name"] for c in run.json("contacts")] == ["Tomasz Kowalczyk"] * 2
    assert "warning: Tomasz Kowalczyk looks like Tomasz Kowalczyk (tomasz-kowalczyk), " \
           "same name; if they are one person: coffeechat merge tomasz-kowalczyk " \
           "tomasz-kowalczyk-2" in result.err


def test_export_ics_does_not_name_me_the_organiser_of_an_invitation(
        run: InProcessCLI, tmp_path: Path) -> None:
    """A meeting from someone else's invitation is exported without an ORGANIZER (the
    organiser is theirs, and a calendar app that took me for it could send updates in my
    name); one I scheduled by hand names me."""
    configure(run)
    run.run("import", "ics", write(tmp_path, "invite.ics", crlf(OUTLOOK)))
    run.run("add", "Ada Byron")
    run.run("schedule", "ada", "--at", "2026-11-20T10:00Z")
    calendar = icalendar.Calendar.from_ical(run.run("export", "ics").out)
    organisers = {str(e["SUMMARY"]): str(e.get("ORGANIZER", "")) for e in calendar.walk("VEVENT")}
    assert organisers.pop("Coffee chat with Ada Byron") == f"mailto:{ME}"
    assert list(organisers.values()) == [""]


def test_two_invitations_saved_into_one_file_import_as_two(
        run: InProcessCLI, tmp_path: Path) -> None:
    """Two .ics files joined (cat a.ics b.ics): each calendar read, each with its METHOD."""
    configure(run)
    request = crlf(OUTLOOK)
    cancel = request.replace("METHOD:REQUEST", "METHOD:CANCEL").replace(
        "SEQUENCE:0", "SEQUENCE:1")
    other = request.replace("A1B2C3D4", "E5F6A7B8").replace("Priya", "Omar").replace(
        "20261110T163000", "20261112T090000").replace("20261110T171500", "20261112T093000")
    result = run.json("import", "ics", write(tmp_path, "both.ics", other + request))
    assert sorted(result["scheduled"]) == ["omar-raman", "priya-raman"]
    again = run.json("import", "ics", write(tmp_path, "cancel.ics", cancel + other))
    assert again["cancelled"] == ["priya-raman"] and again["unchanged"] == 1
    vcard = write(tmp_path, "card.ics", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\n")
    refused = run.run("import", "ics", vcard, expect=1)
    assert "not an iCalendar file (a VCARD, not a VCALENDAR)" in refused.err
