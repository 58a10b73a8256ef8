"""Eight weeks of informational interviews, through the CLI with the clock moving (issue 10).

The campaign the issue was written from, replayed as one story: sixteen people
(six from a LinkedIn export, six met at a meetup, one from a note in an
Obsidian vault, three introduced by others, two levels deep), fourteen asks,
nine meetings, drafts on email and on LinkedIn, and `watch --once` on the
vault. The clock moves day by day (``run.now``), and after every step the test
compares what a user sees, ``due --json`` (each open item's contact and kind)
and ``contacts --json`` (stages), with what the story says should be there.

What it shows:

- each new kind appears and closes as described: ``schedule`` after a yes
  (closed by scheduling, or by ``done``), ``reach-out`` for people added by
  hand or in a note (not for imported ones, unless tagged as
  ``reach_out_tags`` says), ``unanswered`` after the one nudge; and the old
  kinds (nudge, prep, thank-you, commitment, referral-outreach, check-in);
- ``done HANDLE`` on every kind records the event docs/events.md names for
  it, seen in ``log --json``; ``skip`` and ``snooze`` take a handle too;
- for each of done, skip and snooze, ``undo`` brings the item back, with the
  same handle;
- names as people say them: ``priya`` (beside Priyanka), ``jose`` for José,
  ``[[Dana Whitfield|Dana]]``, on the command line and in notes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import InProcessCLI

CONNECTIONS = """\ufeffNotes:
"When exporting your connection data, you may notice that some of the email addresses are missing."

First Name,Last Name,URL,Email Address,Company,Position,Connected On
Priya,Natarajan,https://www.linkedin.com/in/priya-natarajan,priya@stripe.example,Stripe,\
Staff Engineer,12 Mar 2024
Priyanka,Das,https://www.linkedin.com/in/priyanka-das,,Datadog,Analytics Manager,03 Jan 2023
José,Álvarez,https://www.linkedin.com/in/jose-alvarez,,Shopify,Engineering Manager,28 Feb 2022
Leo,Martin,https://www.linkedin.com/in/leo-martin,,Figma,Product Designer,15 Nov 2021
Hana,Ito,https://www.linkedin.com/in/hana-ito,,Canva,Design Manager,02 Jun 2025
Tom,Becker,https://www.linkedin.com/in/tom-becker,,Gamma,Data Engineer,19 Sep 2020
"""

CONFIG = """\
[me]
name = "Alex Rivera"
email = "alex@example.com"

[followups]
reach_out_tags = ["mentor"]
"""

RAVI = """\
---
type: contact
contact: Ravi Shah
company: Dropbox
role: Security Engineer
how_met: PyData meetup
date: 2026-11-03 19:00
---
Wants to talk about threat modelling for data pipelines. See [[2026-11-03]].
"""

JOURNAL = """\
---
title: PyData meetup
tags: [journal]
---
Met [[Ravi Shah]] and five others. Nothing here is a note for coffeechat.
"""

DANA_LUNCH = """\
---
type: meeting
contact: "[[Dana Whitfield|Dana]]"
date: 2026-11-16 12:00
takeaways:
  - Stripe's data platform team hires from analytics engineering
referrals:
  - name: Omar Haddad
    company: Lyft
    note: runs the experimentation platform
commitments:
  - text: Send Dana my portfolio
    due: 2026-11-20
---
Lunch near the office; [[Priya Natarajan]] had told her about me.
"""

OMAR_CALL = """\
---
type: meeting
contact: "[[Omar Haddad]]"
date: 2026-11-27 12:00
takeaways:
  - Experimentation platforms need people who can explain statistics
---
A video call; he will forward my profile to his team.
"""

OMAR_THANKS = """\
---
type: thanks
contact: "[[Omar Haddad|Omar]]"
channel: linkedin
date: 2026-11-27 18:00
---
Thanked him for the call and the forward.
"""


class Campaign:
    """The story's driver: the CLI with a clock, and the board the user expects to see.

    ``expected`` is the set of open items as ``"contact kind"`` strings (an
    item the board shows twice, such as two commitments, appears once); every
    :meth:`check` compares it with ``due --all --json``.
    """

    def __init__(self, run: InProcessCLI, vault: Path, outbox: Path) -> None:
        self.run = run
        self.vault = vault
        self.outbox = outbox
        self.expected: set[str] = set()

    def day(self, stamp: str) -> None:
        """Move the clock (every step of the story is pinned)."""
        self.run.now = stamp

    def cc(self, *args: str) -> list[str]:
        """Run a recording command; the ids it appended."""
        return self.run.ids(*args)

    def items(self) -> list[dict[str, Any]]:
        return self.run.json("due", "--all")  # type: ignore[no-any-return]

    def item(self, contact: str, kind: str) -> dict[str, Any]:
        found = [i for i in self.items() if i["contact"] == contact and i["kind"] == kind]
        assert len(found) == 1, (contact, kind, found)
        return found[0]

    def board(self) -> set[str]:
        return {f"{i['contact']} {i['kind']}" for i in self.items()}

    def check(self, opened: tuple[str, ...] = (), closed: tuple[str, ...] = ()) -> None:
        """What the step opened and closed, and nothing else changed."""
        assert set(closed) <= self.expected, f"not open: {set(closed) - self.expected}"
        left = self.expected - set(closed)
        assert not set(opened) & left, f"already open: {set(opened) & left}"
        self.expected = left | set(opened)
        assert self.board() == self.expected

    def stages(self) -> dict[str, str]:
        return {c["id"]: c["stage"] for c in self.run.json("contacts")}

    def stage(self, contact: str) -> str:
        return self.stages()[contact]

    def logged(self, contact: str) -> dict[str, Any]:
        """The last event in the contact's log (what the last command recorded)."""
        return self.run.json("log", "--contact", contact)[-1]  # type: ignore[no-any-return]

    def done(self, contact: str, kind: str, opened: tuple[str, ...] = ()) -> dict[str, Any]:
        """``done`` the item by its handle: it closes (and what follows opens).

        Returns the event ``done`` recorded, as ``log --json`` shows it.
        """
        target = self.item(contact, kind)
        [recorded] = self.run.json("done", target["handle"])["recorded"]
        event = self.logged(contact)
        assert event["id"] == recorded["id"]
        self.check(opened=opened, closed=(f"{contact} {kind}",))
        return event

    def undo_brings_back(self, before: dict[str, Any], closed: tuple[str, ...] = ()) -> None:
        """``undo`` the last command: the item is open again, with the same handle."""
        self.cc("undo")
        assert self.item(before["contact"], before["kind"]) == before
        self.check(opened=(f"{before['contact']} {before['kind']}",), closed=closed)

    def watch(self) -> str:
        return self.run.run("watch", str(self.vault), "--once").out

    def drafts(self) -> list[str]:
        return sorted(p.name for p in self.outbox.iterdir()) if self.outbox.exists() else []


def test_eight_weeks_of_coffee_chats(run: InProcessCLI, tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    (vault / ".obsidian").mkdir(parents=True)
    (vault / ".obsidian" / "app.json").write_text("{}")
    (vault / "People").mkdir()
    (vault / "Meetings").mkdir()
    (vault / "2026-11-03.md").write_text(JOURNAL)
    (run.home / "config.toml").write_text(CONFIG)
    s = Campaign(run, vault, run.home / "outbox")

    # -- Week 1 -----------------------------------------------------------------------------
    # Mon Nov 2. LinkedIn's export: an address book, not a to-do list.
    s.day("2026-11-02T09:00:00Z")
    connections = tmp_path / "Connections.csv"
    connections.write_text(CONNECTIONS)
    run.run("import", "linkedin", str(connections))
    assert s.stages() == {c: "prospect" for c in (
        "priya-natarajan", "priyanka-das", "josé-álvarez", "leo-martin", "hana-ito",
        "tom-becker")}
    s.check()  # nothing due: imported people get no reach-out...

    # ...unless tagged with one of reach_out_tags: Hana is the mentor I want to reach.
    s.cc("edit", "hana", "--tag", "mentor")
    s.check(opened=("hana-ito reach-out",))
    hana = s.item("hana-ito", "reach-out")
    assert hana["reason"].startswith("added on 2025-06-02")  # counted from the import's date
    assert hana["overdue"]
    # She is on leave until December: snooze, undo (the same item, same handle), snooze.
    s.cc("snooze", hana["handle"], "2026-11-30")
    snoozed = s.item("hana-ito", "reach-out")
    assert (snoozed["due_at"], snoozed["handle"], snoozed["overdue"]) == (
        "2026-11-30T23:59:59Z", hana["handle"], False)
    assert s.logged("hana-ito")["data"] == {"kind": "reach-out", "event": hana["event"],
                                            "until": "2026-11-30T23:59:59Z"}
    s.cc("undo")
    assert s.item("hana-ito", "reach-out") == hana
    s.cc("snooze", hana["handle"], "2026-11-30")
    assert "reach-out: snoozed until 2026-11-30 23:59" in run.run("show", "hana").out

    # Priya, not Priyanka: a whole first name beats a part of one. An email draft first.
    run.run("ask", "priya", "--draft")
    [eml] = s.drafts()
    assert eml.endswith("-priya-natarajan-ask.eml")
    assert s.stages()["priya-natarajan"] == "prospect"  # a draft records nothing
    s.cc("ask", "priya")
    s.cc("ask", "jose", "--via", "linkedin")  # José, accents aside
    # LinkedIn cannot draft: the message is printed and left in the outbox as text.
    draft = run.run("ask", "leo", "--via", "linkedin", "--draft").out
    assert "Hi Leo," in draft and "nothing was recorded" in draft
    assert any(p.endswith("-leo-martin-ask.txt") for p in s.drafts())
    assert s.stage("leo-martin") == "prospect"
    s.cc("ask", "leo", "--via", "linkedin")
    stages = s.stages()
    assert (stages["priya-natarajan"], stages["priyanka-das"], stages["josé-álvarez"],
            stages["leo-martin"]) == ("asked", "prospect", "asked", "asked")
    s.check(opened=("priya-natarajan nudge", "josé-álvarez nudge", "leo-martin nudge"))

    # Tue Nov 3, the PyData meetup: five people added by hand, one in a note.
    s.day("2026-11-03T19:30:00Z")
    meetup = ("--how-met", "PyData meetup")
    s.cc("add", "Grace Kim", "--company", "Notion", "--role", "Data Scientist", *meetup)
    s.cc("add", "Marcus O'Brien", "--company", "Vercel", "--role", "Developer Advocate", *meetup)
    s.cc("add", "Sam Lee", "--company", "Airtable", *meetup)
    s.cc("add", "Lena Fischer", "--company", "Miro", "--email", "lena@miro.example", *meetup)
    s.cc("add", "Zoe Park", "--company", "Canva", *meetup)
    (vault / "People" / "Ravi Shah.md").write_text(RAVI)
    assert "recorded 1 note(s)" in s.watch()  # the journal entry and .obsidian are left alone
    assert s.logged("ravi-shah")["source"] == "notes:People/Ravi Shah.md"
    s.check(opened=("grace-kim reach-out", "marcus-o-brien reach-out", "sam-lee reach-out",
                    "lena-fischer reach-out", "zoe-park reach-out", "ravi-shah reach-out"))
    assert s.item("grace-kim", "reach-out")["due_at"] == "2026-11-10T19:30:00Z"
    assert s.item("ravi-shah", "reach-out")["due_at"] == "2026-11-10T19:00:00Z"

    # Wed Nov 4. Priya says yes: accepted, and times to send within two days.
    s.day("2026-11-04T10:00:00Z")
    s.cc("answer", "priya", "accepted")
    assert s.stage("priya-natarajan") == "accepted"
    s.check(opened=("priya-natarajan schedule",), closed=("priya-natarajan nudge",))
    assert s.item("priya-natarajan", "schedule")["due_at"] == "2026-11-06T10:00:00Z"
    # Asks to the meetup people: each reach-out closes, each gets its nudge.
    s.cc("ask", "grace", "--via", "linkedin")
    s.cc("ask", "sam")
    s.cc("ask", "ravi", "--via", "linkedin")
    before = run.count()
    run.run("ask", "lena", "--draft")
    assert run.count() == before
    assert any(p.endswith("-lena-fischer-ask.eml") for p in s.drafts())
    s.cc("ask", "lena")
    s.check(opened=("grace-kim nudge", "sam-lee nudge", "ravi-shah nudge", "lena-fischer nudge"),
            closed=("grace-kim reach-out", "sam-lee reach-out", "ravi-shah reach-out",
                    "lena-fischer reach-out"))

    # Thu Nov 5. Priya's times are sent: the schedule item closes, prep opens.
    s.day("2026-11-05T09:00:00Z")
    s.cc("schedule", "priya", "--at", "2026-11-10T15:00", "--where", "Stripe, 4th floor")
    assert s.stage("priya-natarajan") == "scheduled"
    s.check(opened=("priya-natarajan prep", "priya-natarajan record-meeting"),
            closed=("priya-natarajan schedule",))
    s.cc("answer", "grace", "accepted")
    s.cc("answer", "lena", "declined")
    assert (s.stage("grace-kim"), s.stage("lena-fischer")) == ("accepted", "declined")
    s.check(opened=("grace-kim schedule",), closed=("grace-kim nudge", "lena-fischer nudge"))

    # Sat Nov 7. Grace's yes has waited two days: overdue, until the meeting is set.
    s.day("2026-11-07T10:00:00Z")
    assert s.item("grace-kim", "schedule")["overdue"]
    s.cc("schedule", "grace", "--at", "2026-11-12T12:00", "--where", "Blue Bottle")
    s.check(opened=("grace-kim prep", "grace-kim record-meeting"), closed=("grace-kim schedule",))

    # -- Week 2 -----------------------------------------------------------------------------
    # Mon Nov 9. Nudges are due: José's by hand, Leo's with `done` (the nudge on LinkedIn).
    s.day("2026-11-09T09:30:00Z")
    assert s.item("josé-álvarez", "nudge")["overdue"]
    s.cc("ask", "jose", "--via", "linkedin")
    s.check(opened=("josé-álvarez unanswered",), closed=("josé-álvarez nudge",))
    nudge = s.done("leo-martin", "nudge", opened=("leo-martin unanswered",))
    assert (nudge["type"], nudge["data"]) == ("request.sent",
                                              {"channel": "linkedin", "nudge": True})
    assert s.item("leo-martin", "unanswered")["due_at"] == "2026-11-16T09:30:00Z"
    # Prepared for Priya: done records meeting.prepared; undo brings the item back.
    prep = s.item("priya-natarajan", "prep")
    prepared = s.done("priya-natarajan", "prep")
    assert (prepared["type"], prepared["data"]) == ("meeting.prepared",
                                                    {"meeting": prep["event"]})
    s.undo_brings_back(prep)
    s.done("priya-natarajan", "prep")

    # Tue Nov 10. The meeting with Priya: a takeaway, a referral, a promise.
    s.day("2026-11-10T16:00:00Z")
    s.cc("met", "priya", "--on", "2026-11-10T15:00", "--minutes", "35",
         "--takeaway", "Platform teams hire from analytics engineering",
         "--referral", "Dana Whitfield",
         "--commitment", "Send Priya my resume", "--due", "2026-11-12")
    assert (s.stage("priya-natarajan"), s.stage("dana-whitfield")) == ("met", "prospect")
    s.check(opened=("priya-natarajan thank-you", "priya-natarajan commitment",
                    "priya-natarajan check-in", "dana-whitfield referral-outreach"),
            closed=("priya-natarajan record-meeting",))
    # The evening: Marcus and Zoe were never written to. Marcus got a message on the
    # meetup's Slack (done: the ask, by other means); Zoe a phone call.
    s.day("2026-11-10T20:00:00Z")
    assert s.item("marcus-o-brien", "reach-out")["overdue"]
    asked = s.done("marcus-o-brien", "reach-out", opened=("marcus-o-brien nudge",))
    assert (asked["type"], asked["data"]) == ("request.sent", {"channel": "other"})
    s.cc("ask", "zoe", "--via", "phone")
    s.check(opened=("zoe-park nudge",), closed=("zoe-park reach-out",))

    # Wed Nov 11. Thank Priya; José says yes after the nudge; Priya in 30-day rounds.
    s.day("2026-11-11T09:00:00Z")
    s.cc("thank", "priya")
    s.cc("answer", "jose", "accepted")
    assert s.stage("josé-álvarez") == "accepted"
    s.check(opened=("josé-álvarez schedule",),
            closed=("priya-natarajan thank-you", "josé-álvarez unanswered"))
    s.cc("cadence", "priya", "30")
    assert s.item("priya-natarajan", "check-in")["due_at"] == "2026-12-11T09:00:00Z"
    # Sam's nudge: skipped (he is travelling), undone (the same item), skipped again.
    s.day("2026-11-11T10:30:00Z")
    sam = s.item("sam-lee", "nudge")
    s.cc("skip", sam["handle"], "--reason", "he is travelling; asked again at the meetup")
    assert s.logged("sam-lee")["data"] == {
        "kind": "nudge", "event": sam["event"],
        "reason": "he is travelling; asked again at the meetup"}
    # A skipped nudge counts as the nudge: unanswered a week after the skip.
    s.check(opened=("sam-lee unanswered",), closed=("sam-lee nudge",))
    assert s.item("sam-lee", "unanswered")["due_at"] == "2026-11-18T10:30:00Z"
    s.undo_brings_back(sam, closed=("sam-lee unanswered",))
    s.cc("skip", sam["handle"], "--reason", "he is travelling; asked again at the meetup")
    s.check(opened=("sam-lee unanswered",), closed=("sam-lee nudge",))
    assert "nudge: skipped (he is travelling; asked again at the meetup)" in run.run(
        "show", "sam").out
    # Ravi answers: yes, and he will send an invitation himself.
    s.cc("answer", "ravi", "accepted")
    s.check(opened=("ravi-shah schedule",), closed=("ravi-shah nudge",))

    # Thu Nov 12. Grace over coffee (prep skipped: we had met at the meetup). The resume is
    # sent (done: kept); Dana, as Obsidian links her, is asked.
    s.day("2026-11-12T11:00:00Z")
    s.cc("skip", s.item("grace-kim", "prep")["handle"])
    s.check(closed=("grace-kim prep",))
    s.day("2026-11-12T13:00:00Z")
    s.cc("met", "grace", "--on", "2026-11-12T12:00",
         "--takeaway", "Notion's data team reads take-home projects closely",
         "--commitment", "Send Grace my PyData talk")
    assert s.stage("grace-kim") == "met"
    s.check(opened=("grace-kim thank-you", "grace-kim commitment", "grace-kim check-in"),
            closed=("grace-kim record-meeting",))
    resume = s.item("priya-natarajan", "commitment")
    kept = s.done("priya-natarajan", "commitment")
    assert (kept["type"], kept["data"]) == ("commitment.done",
                                            {"commitment": resume["commitment"]})
    s.cc("ask", "[[Dana Whitfield|Dana]]", "--via", "linkedin")
    assert s.stage("dana-whitfield") == "asked"
    s.check(opened=("dana-whitfield nudge",), closed=("dana-whitfield referral-outreach",))

    # Fri Nov 13. José's meeting is set. Ravi's invitation is his to send: done. Grace was
    # thanked at the end of the coffee: done (thanks by other means).
    s.day("2026-11-13T09:30:00Z")
    assert s.item("josé-álvarez", "schedule")["overdue"]
    s.cc("schedule", "jose", "--at", "2026-11-18T17:00", "--where", "video call")
    s.check(opened=("josé-álvarez prep", "josé-álvarez record-meeting"),
            closed=("josé-álvarez schedule",))
    waiting = s.done("ravi-shah", "schedule")
    assert (waiting["type"], waiting["data"]["kind"]) == ("followup.done", "schedule")
    assert s.stage("ravi-shah") == "accepted"  # still no meeting: the stage says so
    thanked = s.done("grace-kim", "thank-you")
    assert (thanked["type"], thanked["data"]) == ("thanks.sent", {"channel": "other"})

    # -- Week 3 -----------------------------------------------------------------------------
    # Mon Nov 16. Lunch with Dana, written up in the vault: a meeting, her referral
    # (a referral of a referral) and a promise, all from one note.
    s.day("2026-11-16T13:00:00Z")
    (vault / "Meetings" / "2026-11-16 Dana.md").write_text(DANA_LUNCH)
    assert "recorded 1 note(s)" in s.watch()
    assert s.stage("dana-whitfield") == "met"
    s.check(opened=("dana-whitfield thank-you", "dana-whitfield commitment",
                    "dana-whitfield check-in", "omar-haddad referral-outreach"),
            closed=("dana-whitfield nudge",))
    assert s.item("omar-haddad", "referral-outreach")["reason"] == (
        "introduced by Dana Whitfield on 2026-11-16")
    assert run.run("referrals", "priya").out == (
        "Priya Natarajan [priya-natarajan]\n"
        "└── Dana Whitfield [dana-whitfield]  (2026-11-10)\n"
        "    └── Omar Haddad [omar-haddad]  (2026-11-16)\n")
    # Dana has no email address: the thank-you draft is text, then the thanks are recorded.
    draft = run.run("thank", "[[Dana Whitfield]]", "--draft").out
    assert "Dana" in draft and "nothing was recorded" in draft
    assert any(p.endswith("-dana-whitfield-thank.txt") for p in s.drafts())
    s.cc("thank", "[[Dana Whitfield|Dana]]", "--via", "linkedin")
    s.check(closed=("dana-whitfield thank-you",))
    # Leo never answered the nudge: unanswered, once. Seen; done with it.
    assert s.stage("leo-martin") == "unanswered"
    assert s.item("leo-martin", "unanswered")["overdue"]
    gave_up = s.done("leo-martin", "unanswered")
    assert (gave_up["type"], gave_up["data"]["kind"]) == ("followup.done", "unanswered")
    assert s.stage("leo-martin") == "unanswered"

    # Tue Nov 17. Marcus says yes.
    s.day("2026-11-17T09:00:00Z")
    s.cc("answer", "marcus", "accepted")
    s.check(opened=("marcus-o-brien schedule",), closed=("marcus-o-brien nudge",))

    # Wed Nov 18. José on video. Sam is unanswered now: archived, so nothing is due for him.
    s.day("2026-11-18T18:00:00Z")
    s.cc("met", "jose", "--on", "2026-11-18T17:00",
         "--takeaway", "Shopify's platform org moves people between teams yearly")
    s.check(opened=("josé-álvarez thank-you", "josé-álvarez check-in"),
            closed=("josé-álvarez prep", "josé-álvarez record-meeting"))
    assert s.item("sam-lee", "unanswered")["overdue"]
    assert s.stage("sam-lee") == "unanswered"
    s.cc("archive", "sam", "--reason", "no answer after the nudge")
    s.check(closed=("sam-lee unanswered",))

    # Thu Nov 19. José introduces Ana (refer); Marcus's meeting is set; José thanked.
    s.day("2026-11-19T09:00:00Z")
    s.cc("thank", "jose", "--via", "linkedin")
    s.cc("refer", "jose", "Ana Souza", "--company", "Shopify", "--role", "Staff Engineer")
    s.cc("schedule", "marcus", "--at", "2026-11-20T16:00", "--where", "Vercel office")
    s.check(opened=("ana-souza referral-outreach", "marcus-o-brien prep",
                    "marcus-o-brien record-meeting"),
            closed=("josé-álvarez thank-you", "marcus-o-brien schedule"))

    # Fri Nov 20. Marcus, who introduces Ben; Dana's portfolio sent (by the old form: the
    # commitment id); Grace's talk link too, by its handle.
    s.day("2026-11-20T17:00:00Z")
    s.cc("met", "marcus", "--on", "2026-11-20T16:00", "--referral", "Ben Cho",
         "--takeaway", "DevRel roles want a public portfolio")
    s.check(opened=("marcus-o-brien thank-you", "marcus-o-brien check-in",
                    "ben-cho referral-outreach"),
            closed=("marcus-o-brien prep", "marcus-o-brien record-meeting"))
    portfolio = s.item("dana-whitfield", "commitment")["commitment"]
    s.cc("done", portfolio)
    assert s.logged("dana-whitfield")["data"] == {"commitment": portfolio}
    s.check(closed=("dana-whitfield commitment",))
    s.done("grace-kim", "commitment")

    # -- Week 4 -----------------------------------------------------------------------------
    # Mon Nov 23. Omar (two introductions away from Priya) and Ana are asked; Marcus
    # thanked; Marcus wrote to Ben for me (done: an ask by other means).
    s.day("2026-11-23T10:00:00Z")
    s.cc("thank", "marcus")
    s.cc("ask", "omar", "--via", "linkedin")
    s.cc("ask", "ana", "--via", "linkedin")
    s.check(opened=("omar-haddad nudge", "ana-souza nudge"),
            closed=("marcus-o-brien thank-you", "omar-haddad referral-outreach",
                    "ana-souza referral-outreach"))
    outreach = s.done("ben-cho", "referral-outreach", opened=("ben-cho nudge",))
    assert (outreach["type"], outreach["data"]) == ("request.sent", {"channel": "other"})

    # Tue Nov 24. Omar says yes, and the call is set at once.
    s.day("2026-11-24T09:00:00Z")
    s.cc("answer", "omar", "accepted")
    s.check(opened=("omar-haddad schedule",), closed=("omar-haddad nudge",))
    s.cc("schedule", "omar", "--at", "2026-11-27T12:00", "--where", "video call")
    s.check(opened=("omar-haddad prep", "omar-haddad record-meeting"),
            closed=("omar-haddad schedule",))

    # Thu Nov 26. Zoe calls back: a meeting on Tuesday, straight from the phone call.
    s.day("2026-11-26T15:00:00Z")
    s.cc("schedule", "zoe", "--at", "2026-12-01T10:00", "--where", "Canva office")
    s.check(opened=("zoe-park prep", "zoe-park record-meeting"), closed=("zoe-park nudge",))

    # Fri Nov 27. Omar's call and the thanks, both written in the vault.
    s.day("2026-11-27T18:30:00Z")
    (vault / "Meetings" / "2026-11-27 Omar.md").write_text(OMAR_CALL)
    (vault / "Meetings" / "2026-11-27 Omar thanks.md").write_text(OMAR_THANKS)
    assert "recorded 2 note(s)" in s.watch()
    assert s.stage("omar-haddad") == "met"
    s.check(opened=("omar-haddad check-in",),
            closed=("omar-haddad prep", "omar-haddad record-meeting"))

    # -- Week 5 -----------------------------------------------------------------------------
    # Tue Dec 1. Zoe; thanked at the door (done). Ana and Ben say yes.
    s.day("2026-12-01T11:00:00Z")
    s.cc("met", "zoe", "--on", "2026-12-01T10:00",
         "--commitment", "Send Zoe two design critiques", "--due", "2026-12-04")
    s.check(opened=("zoe-park thank-you", "zoe-park commitment", "zoe-park check-in"),
            closed=("zoe-park prep", "zoe-park record-meeting"))
    s.done("zoe-park", "thank-you")
    s.cc("answer", "ana", "accepted")
    s.cc("answer", "ben", "accepted")
    s.check(opened=("ana-souza schedule", "ben-cho schedule"),
            closed=("ana-souza nudge", "ben-cho nudge"))

    # Wed Dec 2. Both meetings set; Hana's snooze is over on Monday.
    s.day("2026-12-02T09:00:00Z")
    s.cc("schedule", "ana", "--at", "2026-12-04T15:00", "--where", "video call")
    s.cc("schedule", "ben", "--at", "2026-12-08T10:00", "--where", "Ferry Building")
    s.check(opened=("ana-souza prep", "ana-souza record-meeting",
                    "ben-cho prep", "ben-cho record-meeting"),
            closed=("ana-souza schedule", "ben-cho schedule"))
    assert s.item("hana-ito", "reach-out")["overdue"]  # snoozed to Nov 30: due again

    # Fri Dec 4. Ana; Zoe's critiques sent.
    s.day("2026-12-04T16:00:00Z")
    s.cc("met", "ana", "--on", "2026-12-04T15:00")
    s.cc("thank", "ana", "--via", "linkedin")
    s.check(opened=("ana-souza check-in",), closed=("ana-souza prep", "ana-souza record-meeting"))
    s.done("zoe-park", "commitment")

    # -- Weeks 6 to 8 -----------------------------------------------------------------------
    # Mon Dec 7. Hana, back from leave, is asked at last.
    s.day("2026-12-07T09:00:00Z")
    s.cc("ask", "hana", "--via", "linkedin")
    s.check(opened=("hana-ito nudge",), closed=("hana-ito reach-out",))

    # Tue Dec 8. Ben: the ninth meeting. He was thanked over lunch (thank by hand).
    s.day("2026-12-08T11:00:00Z")
    s.cc("met", "ben", "--on", "2026-12-08T10:00")
    s.cc("thank", "ben", "--via", "in-person")
    s.check(opened=("ben-cho check-in",), closed=("ben-cho prep", "ben-cho record-meeting"))

    # Mon Dec 14. Priya's 30-day check-in is due: a message by other means (done). Hana
    # answers no. Grace gets a check-in of her own, with a note.
    s.day("2026-12-14T09:00:00Z")
    assert s.item("priya-natarajan", "check-in")["overdue"]
    checked = s.done("priya-natarajan", "check-in", opened=("priya-natarajan check-in",))
    assert (checked["type"], checked["data"]) == ("checkin.done", {"channel": "other"})
    assert s.item("priya-natarajan", "check-in")["due_at"] == "2027-01-13T09:00:00Z"
    s.cc("answer", "hana", "declined")
    s.check(closed=("hana-ito nudge",))
    s.cc("checkin", "grace", "--note", "She liked the talk; intro to her manager in January")
    assert s.stage("grace-kim") == "keeping-in-touch"

    # Mon Dec 28, eight weeks on. Everyone is where the story left them.
    s.day("2026-12-28T09:00:00Z")
    s.check()
    assert s.stages() == {
        "priya-natarajan": "keeping-in-touch", "priyanka-das": "prospect",
        "josé-álvarez": "met", "leo-martin": "unanswered", "hana-ito": "declined",
        "tom-becker": "prospect", "grace-kim": "keeping-in-touch", "marcus-o-brien": "met",
        "sam-lee": "archived", "lena-fischer": "declined", "zoe-park": "met",
        "ravi-shah": "accepted", "dana-whitfield": "met", "omar-haddad": "met",
        "ana-souza": "met", "ben-cho": "met"}
    events = run.json("log")
    asks = [e for e in events if e["type"] == "request.sent" and not e["data"].get("nudge")]
    assert len(asks) == 14
    assert len({e["stream"] for e in asks}) == 14
    assert len([e for e in events if e["type"] == "meeting.held"]) == 9
    assert {s.item(c, "check-in")["kind"] for c in (
        "priya-natarajan", "josé-álvarez", "grace-kim", "marcus-o-brien", "zoe-park",
        "dana-whitfield", "omar-haddad", "ana-souza", "ben-cho")} == {"check-in"}
    # Reading the vault again records nothing: notes are ingested once.
    recorded = run.count()
    s.watch()
    assert run.count() == recorded
