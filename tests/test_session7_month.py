"""Session 7 review: a demanding networker's month, checked day by day.

Maya lives in New York (``TZ=America/New_York``) and networks hard from
Monday 19 October to Monday 16 November 2026, across the end of daylight
saving time (Sunday 1 November, 02:00 EDT becomes 01:00 EST). Twenty
contacts: six added by hand, a mentor (Samira) who arrives with a weekly
call imported from her Google invitation (a series, re-imported as the weeks
go by), a referral chain three deep (Priya -> Nate -> Olga -> Paul), a
LinkedIn export imported midway, one person who never answers (Tom), a
"yes" never turned into a time (Marco), a meeting rescheduled twice (Lena),
one cancelled (Bo), late and on-time thank-yous, a portfolio link promised
"by Friday", meeting notes written in a notes folder instead of the CLI, an
email ask and thank-you sent through a real SMTP server (aiosmtpd), and an
``undo`` of a command given for the wrong person.

Each day the expectation is written from the docs (user-guide.md,
calendar.md, notes.md) before the commands run: which follow-ups are open,
for whom, due when (in UTC, as JSON gives them; the comments say the local
time), and the handle that closes them. At the end the views are compared
with each other: ``due``, ``today``, ``show``, ``contacts``, ``export ics``,
``stats``, ``report`` and the notes folder's ``due.md``.

The tests marked xfail below the month are the bugs this review found, each
reduced to the fewest steps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import InProcessCLI, Result
from tests.test_email import Inbox, configure, inbox  # noqa: F401

DATA = Path(__file__).parent / "data"
WEEKLY = DATA / "invite-google-weekly.ics"  # Samira, Tuesdays 10:00 New York, from 2026-09-01

# Ten new people and one already known (Marco, same profile URL, new position).
CONNECTIONS = """\ufeffNotes:
"When exporting your connection data, you may notice that some of the email addresses are missing."

First Name,Last Name,URL,Email Address,Company,Position,Connected On
Marco,Rossi,https://www.linkedin.com/in/marco-rossi,,Globex,Director of Product,02 Feb 2021
Quinn,Adams,https://www.linkedin.com/in/quinn-adams,,Acme,Recruiter,05 May 2022
Rosa,Diaz,https://www.linkedin.com/in/rosa-diaz,rosa@example.org,Nakatomi,Data Scientist,11 Jun 2023
Sven,Berg,https://www.linkedin.com/in/sven-berg,,Stark,SRE,01 Jul 2020
Tara,Nolan,https://www.linkedin.com/in/tara-nolan,,Cyberdyne,Designer,09 Sep 2019
Uma,Rao,https://www.linkedin.com/in/uma-rao,,Soylent,Engineering Manager,14 Feb 2024
Victor,Hugo,https://www.linkedin.com/in/victor-hugo,,Tyrell,Staff Engineer,30 Mar 2024
Wen,Li,https://www.linkedin.com/in/wen-li,,Oscorp,PM,21 Apr 2022
Xavier,Ortiz,https://www.linkedin.com/in/xavier-ortiz,,Aperture,QA Lead,17 Aug 2021
Yara,Kim,https://www.linkedin.com/in/yara-kim,,Gringotts,Analyst,03 Oct 2025
Zed,Park,https://www.linkedin.com/in/zed-park,,Initrode,Founder,12 Dec 2024
"""


class NewYorkCLI(InProcessCLI):
    """The in-process CLI with the user's zone: New York."""

    def env(self, **extra: str) -> dict[str, str]:
        return super().env(**{"TZ": "America/New_York", **extra})


@pytest.fixture
def maya(home: Path) -> NewYorkCLI:
    return NewYorkCLI(home)


def due(run: InProcessCLI, *args: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = run.json("due", "--all", *args)
    return items


def open_items(run: InProcessCLI) -> dict[tuple[str, str], str]:
    """(name, kind) -> due_at of every open follow-up (one per pair in this story)."""
    items = due(run)
    pairs = [(i["name"], i["kind"]) for i in items]
    assert len(pairs) == len(set(pairs)), pairs
    return {(i["name"], i["kind"]): i["due_at"] for i in items}


def handle(run: InProcessCLI, name: str, kind: str) -> str:
    [item] = [i for i in due(run) if i["name"] == name and i["kind"] == kind]
    return str(item["handle"])


def check(run: InProcessCLI, expected: dict[tuple[str, str], str | None]) -> None:
    """The open follow-ups are exactly these; a due time of None is not checked."""
    seen = open_items(run)
    assert set(seen) == set(expected), (sorted(set(seen) - set(expected)),
                                        sorted(set(expected) - set(seen)))
    for pair, when in expected.items():
        if when is not None:
            assert seen[pair] == when, (pair, seen[pair], when)


def stages(run: InProcessCLI) -> dict[str, str]:
    return {c["name"]: c["stage"] for c in run.json("contacts")}


def today(run: InProcessCLI) -> dict[str, Any]:
    document: dict[str, Any] = run.json("today")
    return document


def today_pairs(run: InProcessCLI, section: str) -> set[tuple[str, str]]:
    return {(i["name"], i["kind"]) for i in today(run)[section]}


def meeting_lines(text: str) -> list[str]:
    """The meetings `today` prints, as 'YYYY-MM-DD HH:MM  Name'."""
    return re.findall(r"^  (\d{4}-\d\d-\d\d \d\d:\d\d  [^(\n]+?) \(", text, re.M)


def ics_events(text: str) -> list[dict[str, str]]:
    """Each VEVENT / VTODO of an iCalendar text as {property: value}, unfolded."""
    text = re.sub(r"\r?\n[ \t]", "", text)
    objects: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in text.splitlines():
        if line in ("BEGIN:VEVENT", "BEGIN:VTODO"):
            current = {"KIND": line[6:]}
        elif line in ("END:VEVENT", "END:VTODO") and current is not None:
            objects.append(current)
            current = None
        elif current is not None and ":" in line and "BEGIN:VALARM" not in line:
            name, _, value = line.partition(":")
            current.setdefault(name.split(";")[0], value)
    return objects


def write_note(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def watch(run: InProcessCLI, notes: Path) -> Result:
    return run.run("watch", str(notes), "--once")


@pytest.fixture
def smtp(inbox: tuple[Inbox, int]) -> Iterator[tuple[Inbox, int]]:  # noqa: F811
    yield inbox


def test_a_month_of_networking_day_by_day(maya: NewYorkCLI, smtp: tuple[Inbox, int],
                                          tmp_path: Path) -> None:
    run = maya
    box, port = smtp
    configure(run, port)  # [me] Maya López <maya@example.com>, SMTP on loopback
    notes = tmp_path / "notes"
    notes.mkdir(mode=0o700)

    # ---- Mon Oct 19, 09:00 EDT: six people by hand, the mentor's weekly call, five asks.
    run.now = "2026-10-19T13:00:00Z"
    run.ids("add", "Priya Shah", "--company", "Stripe", "--email", "priya@stripe.example")
    run.ids("add", "Marco Rossi", "--company", "Globex",
            "--linkedin", "https://www.linkedin.com/in/marco-rossi")
    run.ids("add", "Lena Vogel", "--company", "Initech", "--email", "lena@initech.example")
    run.ids("add", "Tom Reed", "--company", "Hooli")
    run.ids("add", "Kira Ito", "--company", "Umbrella")
    run.ids("add", "Bo Chen", "--company", "Wayne")
    imported = run.json("import", "ics", str(WEEKLY))
    assert len(imported["scheduled"]) == 1 and len(imported["added"]) == 1
    for who, via in [("priya", "email"), ("marco", "linkedin"), ("lena", "email"),
                     ("tom", "linkedin"), ("bo", "email")]:
        run.ids("ask", who, "--via", via)
    # Expected: a nudge 7 days after each ask; a reach-out 7 days after Kira was added;
    # the first weekly call not over yet is Tue Oct 20 10:00 EDT (14:00Z), prep 24 h before.
    week1 = "2026-10-26T13:00:00Z"
    check(run, {("Priya Shah", "nudge"): week1, ("Marco Rossi", "nudge"): week1,
                ("Lena Vogel", "nudge"): week1, ("Tom Reed", "nudge"): week1,
                ("Bo Chen", "nudge"): week1, ("Kira Ito", "reach-out"): week1,
                ("Samira Haddad", "prep"): "2026-10-19T14:00:00Z",
                # (and once the call is over, whether it was held: 10:30 EDT)
                ("Samira Haddad", "record-meeting"): "2026-10-20T14:30:00Z"})
    text = run.run("today").out
    assert "Your day: 2026-10-19" in text
    assert meeting_lines(text) == ["2026-10-20 10:00  Samira Haddad"]
    assert today_pairs(run, "due_today") == {("Samira Haddad", "prep")}
    assert stages(run)["Samira Haddad"] == "scheduled"

    # ---- Tue Oct 20, 11:00 EDT: the first weekly call happened; two yeses.
    run.now = "2026-10-20T15:00:00Z"
    run.ids("met", "samira", "--on", "2026-10-20T10:00",
            "--takeaway", "Ship small things and write them up")
    # (an occurrence of a recurring invitation asks for no thank-you; Maya sends one anyway)
    assert ("Samira Haddad", "thank-you") not in open_items(run)
    run.ids("thank", "samira", "--via", "email")  # within the hour: on time
    run.ids("answer", "marco", "accepted")  # ... and then no time is ever agreed
    run.ids("answer", "lena", "accepted")
    run.ids("schedule", "lena", "--at", "2026-10-22T12:00", "--where", "Initech lobby")
    check(run, {("Priya Shah", "nudge"): week1, ("Tom Reed", "nudge"): week1,
                ("Bo Chen", "nudge"): week1, ("Kira Ito", "reach-out"): week1,
                ("Marco Rossi", "schedule"): "2026-10-22T15:00:00Z",
                ("Lena Vogel", "prep"): "2026-10-21T16:00:00Z",
                # 90 days after the thank-you (11:00 EDT), counted in days of the
                # calendar: 11:00 EST on Jan 18, not 24 h x 90 (that would be 10:00).
                ("Samira Haddad", "check-in"): "2027-01-18T16:00:00Z",
                ("Lena Vogel", "record-meeting"): "2026-10-22T16:30:00Z"})
    assert stages(run)["Marco Rossi"] == "accepted"
    assert stages(run)["Samira Haddad"] == "met"

    # ---- Wed Oct 21, 09:00 EDT: Lena moves the meeting (once); Priya says yes with a time;
    # the series file is imported again now that Tuesday's call is over.
    run.now = "2026-10-21T13:00:00Z"
    lena_prep = handle(run, "Lena Vogel", "prep")
    run.ids("schedule", "lena", "--at", "2026-10-23T12:00", "--where", "Initech lobby")
    run.ids("answer", "priya", "accepted")
    run.ids("schedule", "priya", "--at", "2026-10-26T15:00", "--where", "Stripe cafe")
    again = run.json("import", "ics", str(WEEKLY))
    assert len(again["scheduled"]) == 1 and again["added"] == []
    items = open_items(run)
    assert items[("Lena Vogel", "prep")] == "2026-10-22T16:00:00Z"
    assert items[("Priya Shah", "prep")] == "2026-10-25T19:00:00Z"
    assert items[("Samira Haddad", "prep")] == "2026-10-26T14:00:00Z"  # Tue Oct 27 10:00 EDT
    assert ("Priya Shah", "nudge") not in items

    # ---- Thu Oct 22, 09:00 EDT: Lena moves it again; Bo is put in the diary.
    run.now = "2026-10-22T13:00:00Z"
    run.ids("schedule", "lena", "--at", "2026-10-27T16:00", "--where", "video call")
    run.ids("schedule", "bo", "--at", "2026-10-28T09:30")
    items = open_items(run)
    assert items[("Lena Vogel", "prep")] == "2026-10-26T20:00:00Z"
    assert items[("Bo Chen", "prep")] == "2026-10-27T13:30:00Z"
    assert ("Bo Chen", "nudge") not in items
    # Marco's "yes" is due for times today at 11:00 EDT: `today` lists it as due today.
    assert ("Marco Rossi", "schedule") in today_pairs(run, "due_today")
    lena = run.json("show", "lena")
    scheduled = [e for e in lena["timeline"] if e["type"] == "meeting.scheduled"]
    assert [e["data"]["at"] for e in scheduled] == [
        "2026-10-22T16:00:00Z", "2026-10-23T16:00:00Z", "2026-10-27T20:00:00Z"]
    calendar = [o for o in ics_events(run.run("export", "ics").out)
                if o["KIND"] == "VEVENT" and o["SUMMARY"].endswith("Lena Vogel")]
    assert [(o["DTSTART"], o["SEQUENCE"]) for o in calendar] == [("20261027T200000Z", "2")]
    del lena_prep

    # ---- Fri Oct 23, 09:00 EDT: the "yes" without a time is overdue; Kira can wait.
    run.now = "2026-10-23T13:00:00Z"
    assert ("Marco Rossi", "schedule") in today_pairs(run, "overdue")
    run.ids("snooze", handle(run, "Kira Ito", "reach-out"), "2026-10-30")
    # A date with no time means the end of that day, local: 23:59:59 EDT.
    assert open_items(run)[("Kira Ito", "reach-out")] == "2026-10-31T03:59:59Z"

    # ---- Mon Oct 26, 09:30 EDT: the week's nudges. Tom gets his one nudge; Priya's prep
    # was done at the weekend; Bo cancels.
    run.now = "2026-10-26T13:30:00Z"
    overdue = today_pairs(run, "overdue")
    assert {("Tom Reed", "nudge"), ("Kira Ito", "reach-out")} <= overdue | {
        ("Kira Ito", "reach-out")}
    assert ("Kira Ito", "reach-out") not in overdue  # snoozed to Friday
    assert ("Priya Shah", "prep") in overdue
    run.ids("ask", "tom", "--via", "linkedin")  # the one nudge
    run.ids("done", handle(run, "Priya Shah", "prep"))
    run.ids("cancel", "bo", "--reason", "he has to travel")
    items = open_items(run)
    # 7 days of the calendar: 09:30 EST, across the change of clocks
    assert items[("Tom Reed", "unanswered")] == "2026-11-02T14:30:00Z"
    assert ("Tom Reed", "nudge") not in items and ("Priya Shah", "prep") not in items
    assert ("Bo Chen", "prep") not in items and ("Bo Chen", "nudge") not in items
    assert stages(run)["Bo Chen"] == "asked"  # back to before the meeting was scheduled
    # ... and something prompts a new time: rebook within schedule_days (Wed 09:30 EDT)
    assert items[("Bo Chen", "schedule")] == "2026-10-28T13:30:00Z"
    # Priya at 15:00 EDT; recorded at 16:30 with a referral and a promise due "friday".
    run.now = "2026-10-26T20:30:00Z"
    met = run.json("met", "priya", "--on", "2026-10-26T15:00",
                   "--takeaway", "Payments teams love on-call stories",
                   "--referral", "Nate Cole",
                   "--commitment", "Send my portfolio link", "--due", "friday")["recorded"]
    portfolio = next(r["id"] for r in met if r["type"] == "commitment.made")
    items = open_items(run)
    assert items[("Priya Shah", "thank-you")] == "2026-10-27T19:00:00Z"
    assert items[("Priya Shah", "commitment")] == "2026-10-31T03:59:59Z"  # Fri 23:59:59 EDT
    assert items[("Nate Cole", "referral-outreach")] == "2026-11-02T20:00:00Z"  # 15:00 EST
    [item] = [i for i in due(run) if i["kind"] == "commitment"]
    assert item["commitment"] == portfolio and item["reason"] == "promised: Send my portfolio link"

    # ---- Tue Oct 27: the second weekly call (recorded at 11:00 EDT); Lena at 16:00, written
    # up as a note in the notes folder at 17:00 instead of with `met`.
    run.now = "2026-10-27T15:00:00Z"
    assert meeting_lines(run.run("today").out) == ["2026-10-27 10:00  Samira Haddad",
                                                   "2026-10-27 16:00  Lena Vogel"]
    run.ids("met", "samira", "--on", "2026-10-27T10:00")
    run.now = "2026-10-27T21:00:00Z"
    write_note(notes, "meetings/2026-10-27 lena.md", """\
---
type: meeting
contact: Lena Vogel
date: 2026-10-27 16:00
takeaways:
  - Initech hires platform people in January
commitments:
  - text: introduce her to my design lead
    due: 2026-11-06
---
A video call; she was generous with her time.
""")
    watch(run, notes)
    items = open_items(run)
    assert ("Lena Vogel", "prep") not in items
    assert items[("Lena Vogel", "thank-you")] == "2026-10-28T20:00:00Z"
    assert items[("Lena Vogel", "commitment")] == "2026-11-07T04:59:59Z"  # Nov 6 23:59:59 EST
    assert items[("Priya Shah", "thank-you")] == "2026-10-27T19:00:00Z"  # 2 h overdue
    assert stages(run)["Lena Vogel"] == "met"
    due_md = (notes / "_coffeechat" / "due.md").read_text()
    assert "Lena Vogel" in due_md and "introduce her to my design lead" in due_md

    # ---- Wed Oct 28, 09:00 EDT: a late thank-you, one on time from the notes folder; the
    # weekly thank-you to the mentor is skipped; the series is imported again.
    run.now = "2026-10-28T13:00:00Z"
    run.ids("thank", "priya", "--via", "email")  # 18 h late
    write_note(notes, "meetings/2026-10-28 thanks lena.md", """\
---
type: thanks
contact: Lena Vogel
date: 2026-10-28 08:30
channel: email
---
Thanked her for the call and the January tip.
""")
    watch(run, notes)
    assert ("Samira Haddad", "thank-you") not in open_items(run)  # (a weekly call)
    assert run.json("import", "ics", str(WEEKLY))["scheduled"]
    items = open_items(run)
    for who in ("Priya Shah", "Lena Vogel", "Samira Haddad"):
        assert (who, "thank-you") not in items
    assert items[("Samira Haddad", "prep")] == "2026-11-02T15:00:00Z"  # Tue Nov 3 10:00 EST

    # ---- Fri Oct 30, 09:00 EDT: the portfolio is due today (23:59 local, which is already
    # Saturday in UTC) and so is Kira's snoozed reach-out: both "due today", not later.
    run.now = "2026-10-30T13:00:00Z"
    assert {("Priya Shah", "commitment"), ("Kira Ito", "reach-out")} <= today_pairs(
        run, "due_today")
    run.ids("ask", "kira", "--via", "linkedin")
    # 22:00 EDT (02:00Z on Saturday): the link goes out, still on Friday where Maya is.
    run.now = "2026-10-31T02:00:00Z"
    run.ids("done", handle(run, "Priya Shah", "commitment"))
    assert ("Priya Shah", "commitment") not in open_items(run)

    # ---- Sat Oct 31, 10:00 EDT: a one-off coffee with Samira, recorded with `met` at noon.
    # The thank-you is due 24 real hours later: Sunday 09:00 EST, the clocks went back.
    run.now = "2026-10-31T16:00:00Z"
    run.ids("met", "samira", "--on", "2026-10-31T10:00", "--notes", "coffee at Grumpy")
    assert open_items(run)[("Samira Haddad", "thank-you")] == "2026-11-01T14:00:00Z"
    assert "2026-11-01 09:00" in run.run("due").out

    # The coffee is not Tuesday's weekly call held early (that is days away): the call and
    # its prep stay (test_a_one_off_coffee_does_not_swallow_the_next_weekly_call, alone).
    assert open_items(run)[("Samira Haddad", "prep")] == "2026-11-02T15:00:00Z"

    # ---- Sun Nov 1, 08:30 EST: thanked on time.
    run.now = "2026-11-01T13:30:00Z"
    run.ids("thank", "samira", "--via", "email")

    # ---- Mon Nov 2, 09:00 EST: Tom's nudge went unanswered; write to Nate, by email.
    run.now = "2026-11-02T14:00:00Z"
    assert stages(run)["Tom Reed"] == "asked"  # unanswered from 09:30 EST
    run.now = "2026-11-02T15:00:00Z"
    assert stages(run)["Tom Reed"] == "unanswered"
    assert ("Tom Reed", "unanswered") in today_pairs(run, "overdue")
    assert ("Nate Cole", "referral-outreach") in today_pairs(run, "due_today")
    run.ids("edit", "nate", "--email", "nate@acme.example", "--company", "Acme")
    sent = run.run("ask", "nate", "--send")
    assert sent.out.startswith(f"sent: 127.0.0.1:{port} accepted")
    [(_, rcpts, message)] = box.messages
    assert rcpts == ["nate@acme.example"] and message["To"] == "Nate Cole <nate@acme.example>"
    items = open_items(run)
    assert ("Nate Cole", "referral-outreach") not in items
    assert items[("Nate Cole", "nudge")] == "2026-11-09T15:00:00Z"

    # ---- Tue Nov 3, 09:00 EST: Nate says yes. The weekly call happens at 10:00 (it is not
    # in `today`: see above); recorded after it, then the series moves on to Nov 10, still
    # 10:00 on the wall clock after the change of clocks (15:00Z).
    run.now = "2026-11-03T14:00:00Z"
    run.ids("answer", "nate", "accepted")
    run.ids("schedule", "nate", "--at", "2026-11-05T12:00", "--where", "Acme HQ")
    run.now = "2026-11-03T16:00:00Z"
    run.ids("met", "samira", "--on", "2026-11-03T10:00")
    assert ("Samira Haddad", "thank-you") not in open_items(run)  # (a weekly call)
    assert run.json("import", "ics", str(WEEKLY))["scheduled"]
    assert open_items(run)[("Samira Haddad", "prep")] == "2026-11-09T15:00:00Z"

    # ---- Wed Nov 4: the LinkedIn export. Marco is known (same profile): updated, and his
    # open "send some times" item stays, with its handle. The ten new people are an
    # address book: no reach-out for them.
    run.now = "2026-11-04T14:00:00Z"
    marco = handle(run, "Marco Rossi", "schedule")
    csv = tmp_path / "Connections.csv"
    csv.write_text(CONNECTIONS)
    report = run.json("import", "linkedin", str(csv))
    assert len(report["added"]) == 10 and report["updated"] == ["marco-rossi"]
    assert handle(run, "Marco Rossi", "schedule") == marco
    assert not [i for i in due(run) if i["name"] in ("Quinn Adams", "Rosa Diaz", "Yara Kim")]
    assert len(run.json("contacts")) == 18

    # ---- Thu Nov 5: Nate at noon EST; he introduces Olga. The thank-you goes by email.
    run.now = "2026-11-05T18:00:00Z"
    run.ids("met", "nate", "--on", "2026-11-05T12:00", "--referral", "Olga Petrova")
    run.now = "2026-11-05T20:00:00Z"
    assert run.run("thank", "nate", "--send").out.startswith("sent: ")
    assert len(box.messages) == 2
    items = open_items(run)
    assert ("Nate Cole", "thank-you") not in items
    assert items[("Olga Petrova", "referral-outreach")] == "2026-11-12T17:00:00Z"

    # ---- Fri Nov 6: Olga introduces Paul (the chain is three deep). Contact twenty.
    run.now = "2026-11-06T14:00:00Z"
    run.ids("ask", "olga", "--via", "email")
    run.ids("add", "Paul Grant", "--referred-by", "olga", "--company", "Acme")
    assert len(run.json("contacts")) == 20
    tree = run.run("referrals", "priya").out
    assert ["Priya Shah" in tree, "Nate Cole" in tree, "Olga Petrova" in tree,
            "Paul Grant" in tree] == [True] * 4

    # ---- Mon Nov 9: `met tom` typed instead of `met tim` (no Tim: wrong person); undone.
    run.now = "2026-11-09T14:00:00Z"
    before = (open_items(run), stages(run))
    run.ids("met", "tom", "--notes", "oops")
    assert stages(run)["Tom Reed"] == "met"
    run.ids("undo")
    assert (open_items(run), stages(run)) == before
    assert stages(run)["Tom Reed"] == "unanswered"
    # Lena's promise is done three days late.
    run.ids("done", handle(run, "Lena Vogel", "commitment"))

    # ---- Tue Nov 10: the weekly call, recorded after it; the series moves on to Nov 17.
    run.now = "2026-11-10T16:00:00Z"
    run.ids("met", "samira", "--on", "2026-11-10T10:00")
    assert ("Samira Haddad", "thank-you") not in open_items(run)  # (a weekly call)
    assert run.json("import", "ics", str(WEEKLY))["scheduled"]

    # ---- Mon Nov 16, 09:00 EST: the month in review. Expected, from the docs, event by
    # event (check-ins: 90 calendar days after the last touch, at its wall-clock time):
    run.now = "2026-11-16T14:00:00Z"
    expected: dict[tuple[str, str], str | None] = {
        ("Marco Rossi", "schedule"): "2026-10-22T15:00:00Z",  # the yes, never a time
        ("Bo Chen", "schedule"): "2026-10-28T13:30:00Z",  # cancelled, never rebooked
        ("Tom Reed", "unanswered"): "2026-11-02T14:30:00Z",
        ("Kira Ito", "nudge"): "2026-11-06T14:00:00Z",  # asked Fri Oct 30 09:00 EDT
        ("Olga Petrova", "nudge"): "2026-11-13T14:00:00Z",
        ("Paul Grant", "referral-outreach"): "2026-11-13T14:00:00Z",
        ("Samira Haddad", "prep"): "2026-11-16T15:00:00Z",  # Tue Nov 17 10:00 EST
        ("Samira Haddad", "record-meeting"): "2026-11-17T15:30:00Z",  # once it is over
        ("Priya Shah", "check-in"): "2027-01-29T03:00:00Z",  # the link, Fri 22:00 EDT
        ("Lena Vogel", "check-in"): "2027-02-07T14:00:00Z",  # her promise kept, Nov 9
        ("Nate Cole", "check-in"): "2027-02-03T20:00:00Z",  # thanked Nov 5 15:00 EST
    }  # (no check-in for Samira: her next call is scheduled, so her stage is `scheduled`)
    check(run, expected)
    items = due(run)
    assert stages(run) == {
        "Priya Shah": "met", "Marco Rossi": "accepted", "Lena Vogel": "met",
        "Tom Reed": "unanswered", "Kira Ito": "asked", "Bo Chen": "asked",
        "Samira Haddad": "scheduled", "Nate Cole": "met", "Olga Petrova": "asked",
        "Paul Grant": "prospect", **{n: "prospect" for n in (
            "Quinn Adams", "Rosa Diaz", "Sven Berg", "Tara Nolan", "Uma Rao", "Victor Hugo",
            "Wen Li", "Xavier Ortiz", "Yara Kim", "Zed Park")}}

    # `today` and `due` agree: the same items, the same handles, split at the local day.
    day = today(run)
    end_of_day = "2026-11-17T04:59:59Z"
    assert [i["handle"] for i in day["overdue"]] == [
        i["handle"] for i in items if i["overdue"]]
    assert [i["handle"] for i in day["due_today"]] == [
        i["handle"] for i in items if not i["overdue"] and i["due_at"] <= end_of_day]
    assert [(m["name"], m["at"]) for m in day["meetings"]] == [
        ("Samira Haddad", "2026-11-17T15:00:00Z")]
    assert meeting_lines(run.run("today").out) == ["2026-11-17 10:00  Samira Haddad"]

    # `contacts` names each person's earliest open item; `show` lists the same items.
    by_contact: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_contact.setdefault(item["contact"], []).append(item)
    for person in run.json("contacts"):
        mine = by_contact.get(person["id"], [])
        first = mine[0] if mine else None
        assert (person["next_due_kind"], person["next_due_at"]) == (
            (first["kind"], first["due_at"]) if first else (None, None)), person["id"]
        shown = run.json("show", person["id"])
        assert [(f["handle"], f["due_at"]) for f in shown["followups"]] == [
            (i["handle"], i["due_at"]) for i in mine], person["id"]

    # `export ics`: one to-do per open item, due when `due` says; the meetings as `show`.
    calendar = ics_events(run.run("export", "ics").out)
    todos = sorted((o["X-COFFEECHAT-CONTACT"], o["DUE"]) for o in calendar
                   if o["KIND"] == "VTODO")
    assert todos == sorted((i["contact"], i["due_at"].replace("-", "").replace(":", ""))
                           for i in items)
    events = {(o["X-COFFEECHAT-CONTACT"], o["DTSTART"], o["STATUS"]) for o in calendar
              if o["KIND"] == "VEVENT"}
    assert ("samira-haddad", "20261117T150000Z", "CONFIRMED") in events
    assert ("bo-chen", "20261028T133000Z", "CANCELLED") in events
    assert ("lena-vogel", "20261027T200000Z", "CONFIRMED") in events  # the notes' meeting
    assert ("priya-shah", "20261026T190000Z", "CONFIRMED") in events
    assert ("nate-cole", "20261105T170000Z", "CONFIRMED") in events
    assert not [e for e in events if e[0] == "tom-reed"]  # the undone `met`

    # The notes folder's due.md: the same items (due times in local time, as `due` prints).
    watch(run, notes)
    # (and the same handles: due.md gives each item's)
    rows = re.findall(r"^\| `(\w+)` \| (\d{4}-\d\d-\d\d \d\d:\d\d) \| ([a-z-]+) \| "
                      r"\[([^\]]+)\]", (notes / "_coffeechat" / "due.md").read_text(), re.M)
    by_handle = {i["handle"]: i for i in items}
    table = [line.split() for line in run.run("due", "--all").out.splitlines()[1:]]
    assert sorted(rows) == sorted((cells[0], f"{cells[1]} {cells[2]}",
                                   by_handle[cells[0]]["kind"], by_handle[cells[0]]["name"])
                                  for cells in table)

    # `stats`: what happened this month, as the story tells it.
    stats = run.json("stats")
    funnel = {step["step"]: step["count"] for step in stats["funnel"]}
    # (Bo counts as answered and accepted: he agreed to a time, cancelled later.)
    assert funnel == {"added": 20, "asked": 8, "answered": 5, "accepted": 5,
                      "scheduled": 5, "met": 4, "thanked_on_time": 3, "referrals": 3,
                      "referrals_met": 1}
    thanks = stats["follow_through"]["thanks"]
    # (the four weekly calls ask for no thanks: Priya, Lena, Nate and the coffee count)
    assert (thanks["meetings"], thanks["on_time"], thanks["late"]) == (4, 3, 1)
    promises = stats["follow_through"]["commitments"]
    assert (promises["made"], promises["kept_on_time"], promises["kept_late"],
            promises["open"]) == (2, 1, 1, 0)
    [priya] = [r for r in stats["referrals"] if r["contact"] == "priya-shah"]
    assert (priya["introductions"], priya["met"], priya["depth"]) == (1, 1, 3)

    # The report: one page naming everyone with an open item, and no trace of Tom's meeting.
    out = tmp_path / "report.html"
    run.run("report", "--out", str(out))
    page = out.read_text()
    for name in {i["name"] for i in items}:
        assert name in page
    assert (out.stat().st_mode & 0o777) == 0o600


# ---- The bugs the month ran into, each alone. -------------------------------------------

SERIES_UID = "7fk2m0qz3r9c1h5t8wbn4x6d2e@google.com"


def mentor_with_weekly_call(run: NewYorkCLI, now: str) -> None:
    """Samira's weekly invitation imported at NOW (New York), as on the month's first day."""
    (run.home / "config.toml").write_text('[me]\nname = "Maya"\nemail = "maya@example.com"\n')
    run.now = now
    run.json("import", "ics", str(WEEKLY))


@pytest.mark.xfail(strict=True, reason="`schedule` of a one-off coffee with a contact whose "
                   "weekly call came from an invitation replaces the call: Tuesday's call "
                   "leaves `today`, and importing the series again changes nothing")
def test_a_one_off_schedule_keeps_the_weekly_call(maya: NewYorkCLI) -> None:
    mentor_with_weekly_call(maya, "2026-10-19T13:00:00Z")  # Mon 09:00 EDT; call Tue 10:00
    maya.ids("schedule", "samira", "--at", "2026-10-23T08:00", "--where", "Cafe Grumpy")
    maya.json("import", "ics", str(WEEKLY))
    maya.now = "2026-10-20T12:00:00Z"  # Tue 08:00 EDT
    assert meeting_lines(maya.run("today").out) == ["2026-10-20 10:00  Samira Haddad"]


@pytest.mark.xfail(strict=True, reason="export ics puts a one-off coffee under the UID of "
                   "the Google series it replaced: a calendar app holding the series turns "
                   "the whole weekly series into this one coffee")
def test_a_one_off_coffee_is_not_exported_as_the_series(maya: NewYorkCLI) -> None:
    mentor_with_weekly_call(maya, "2026-10-19T13:00:00Z")
    maya.ids("schedule", "samira", "--at", "2026-10-23T08:00", "--where", "Cafe Grumpy")
    [coffee] = [o for o in ics_events(maya.run("export", "ics").out)
                if o["KIND"] == "VEVENT" and o.get("LOCATION") == "Cafe Grumpy"]
    assert coffee["DTSTART"] == "20261023T120000Z"
    assert coffee["UID"] != SERIES_UID


def test_a_held_weekly_call_stays_in_the_calendar(maya: NewYorkCLI) -> None:
    mentor_with_weekly_call(maya, "2026-10-19T13:00:00Z")
    maya.now = "2026-10-20T15:00:00Z"
    maya.ids("met", "samira", "--on", "2026-10-20T10:00")
    before = {o["DTSTART"] for o in ics_events(maya.run("export", "ics").out)
              if o["KIND"] == "VEVENT"}
    assert before == {"20261020T140000Z"}
    maya.now = "2026-10-21T13:00:00Z"
    maya.json("import", "ics", str(WEEKLY))  # the next call, Tue Oct 27
    after = {o["DTSTART"] for o in ics_events(maya.run("export", "ics").out)
             if o["KIND"] == "VEVENT"}
    assert after == {"20261020T140000Z", "20261027T140000Z"}


def test_a_one_off_coffee_does_not_swallow_the_next_weekly_call(maya: NewYorkCLI) -> None:
    mentor_with_weekly_call(maya, "2026-10-28T13:00:00Z")  # the next call: Tue Nov 3 10:00 EST
    maya.now = "2026-10-31T16:00:00Z"
    maya.ids("met", "samira", "--on", "2026-10-31T10:00", "--notes", "coffee at Grumpy")
    maya.now = "2026-11-01T13:30:00Z"
    maya.json("import", "ics", str(WEEKLY))
    maya.now = "2026-11-03T14:00:00Z"  # Tue 09:00 EST
    assert meeting_lines(maya.run("today").out) == ["2026-11-03 10:00  Samira Haddad"]


def test_fixing_a_meeting_notes_time_keeps_its_promise(maya: NewYorkCLI, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    maya.now = "2026-10-27T21:00:00Z"
    maya.ids("add", "Lena Vogel")
    note = """\
---
type: meeting
contact: Lena Vogel
date: 2026-10-27 {time}
commitments:
  - text: introduce her to my design lead
    due: 2026-11-06
---
"""
    write_note(notes, "lena.md", note.format(time="16:00"))
    watch(maya, notes)
    [before] = [i for i in due(maya) if i["kind"] == "commitment"]
    write_note(notes, "lena.md", note.format(time="15:30"))  # it started earlier
    watch(maya, notes)
    [after] = [i for i in due(maya) if i["kind"] == "commitment"]
    assert (after["handle"], after["commitment"]) == (before["handle"], before["commitment"])
