"""`stats`: every figure of --json on a scripted history, the right answers worked out by hand.

The history (TZ=UTC; each step at the time `run.now` says, recorded then):

    Oct 1 09:00  add Ann (tag design), Bob (tag eng), Cat (cat@example.com), Dan, Eve
    Oct 1 10:00  ask Ann (email, template "ask"), Bob (linkedin), Cat, Dan (email);
                 ask Eve (phone), then undo it: Eve was never asked
    Oct 1 12:00  Bob's "Automatic reply" lands in the log (a reply.received appended
                 directly, as another device's log could hold it): no answer
    Oct 2 10:00  Ann accepts (24 h after the ask); a meeting is scheduled for Oct 6
    Oct 3 09:00  add "A. Lee" (Ann again, under another name)
    Oct 4 10:00  Cat's real reply, imported from an mbox (72 h after the ask)
    Oct 5 10:00  Dan declines (96 h after the ask)
    Oct 6 16:00  met Ann: she introduces Gus; I promise a portfolio by Oct 8
    Oct 6 20:00  thank "A. Lee" (4 h after the meeting), then merge A. Lee into Ann
    Oct 10 09:00 add Fay, and a meeting with her back-dated to Sep 20; her cadence 30 days
    Oct 12 09:00 the portfolio promise kept (late: it was due Oct 8)
    Oct 20 09:00 ask Gus (email)
    Oct 21 09:00 met Gus (no answer recorded: the meeting answers the ask, 24 h on)
    Oct 23 10:00 thank Gus (49 h after the meeting: late)
    Oct 25 09:00 check in with Fay (her check-in fell due Oct 20 12:00: 30 days after Sep 20)
    Nov 1 09:00  now
"""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from coffeechat.events import ReplyReceived
from coffeechat.store import NewEvent, open_store
from tests.conftest import CLI, InProcessCLI


def _mbox(path: Path) -> None:
    message = EmailMessage()
    message["From"] = "Cat Kim <cat@example.com>"
    message["To"] = "me@example.com"
    message["Subject"] = "Re: coffee?"
    message["Date"] = "Sun, 04 Oct 2026 10:00:00 +0000"
    message["Message-ID"] = "<cat-1@example.com>"
    message.set_content("Happy to chat.")
    box = mailbox.mbox(str(path))
    box.add(message)
    box.flush()
    box.close()


@pytest.fixture
def history(run: InProcessCLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> InProcessCLI:
    run.now = "2026-10-01T09:00:00Z"
    run.run("add", "Ann Lee", "--tag", "design")
    run.run("add", "Bob Ray", "--tag", "eng")
    run.run("add", "Cat Kim", "--email", "cat@example.com")
    run.run("add", "Dan Moe")
    run.run("add", "Eve Orr")
    run.now = "2026-10-01T10:00:00Z"
    run.run("ask", "Ann", "--via", "email", "--template", "ask")
    run.run("ask", "Bob", "--via", "linkedin")
    run.run("ask", "Cat", "--via", "email")
    run.run("ask", "Dan", "--via", "email")
    run.run("ask", "Eve", "--via", "phone")
    run.run("undo")
    run.now = "2026-10-01T12:00:00Z"
    monkeypatch.setenv("COFFEECHAT_NOW", run.now)
    store = open_store(str(run.db))
    try:
        store.append([NewEvent(stream="contact:bob-ray", occurred_at=run.now,
                               payload=ReplyReceived(message_id="<ooo@example.org>",
                                                     subject="Automatic reply: away"))])
    finally:
        store.close()
    run.now = "2026-10-02T10:00:00Z"
    run.run("answer", "Ann", "accepted")
    run.run("schedule", "Ann", "--at", "2026-10-06T15:00")
    run.now = "2026-10-03T09:00:00Z"
    run.run("add", "A. Lee", "--email", "a.lee@example.com")
    run.now = "2026-10-04T10:00:00Z"
    _mbox(tmp_path / "inbox.mbox")
    assert run.json("import", "mbox", str(tmp_path / "inbox.mbox"))["replied"] == ["cat-kim"]
    run.now = "2026-10-05T10:00:00Z"
    run.run("answer", "Dan", "declined")
    run.now = "2026-10-06T16:00:00Z"
    run.run("met", "Ann Lee", "--referral", "Gus Poe", "--commitment", "send portfolio",
            "--due", "2026-10-08")
    run.now = "2026-10-06T20:00:00Z"
    run.run("thank", "A. Lee")
    run.run("merge", "Ann Lee", "A. Lee")
    run.now = "2026-10-10T09:00:00Z"
    run.run("add", "Fay Wu")
    run.run("met", "Fay", "--on", "2026-09-20T12:00")
    run.run("cadence", "Fay", "30")
    run.now = "2026-10-12T09:00:00Z"
    handle = next(i["handle"] for i in run.json("due", "--all") if i["kind"] == "commitment")
    run.run("done", handle)
    run.now = "2026-10-20T09:00:00Z"
    run.run("ask", "Gus", "--via", "email")
    run.now = "2026-10-21T09:00:00Z"
    run.run("met", "Gus")
    run.now = "2026-10-23T10:00:00Z"
    run.run("thank", "Gus")
    run.now = "2026-10-25T09:00:00Z"
    run.run("checkin", "Fay")
    run.now = "2026-11-01T09:00:00Z"
    return run


def funnel(document: dict[str, Any]) -> dict[str, tuple[int, float | None]]:
    return {s["step"]: (s["count"], s["rate"]) for s in document["funnel"]}


def test_every_figure_of_the_whole_history(history: InProcessCLI) -> None:
    found = history.json("stats")
    assert found["since"] is None and found["as_of"] is None
    assert found["until"] == "2026-11-01T09:00:00Z"
    assert [s["step"] for s in found["funnel"]] == [
        "added", "asked", "answered", "accepted", "scheduled", "met", "thanked_on_time",
        "referrals", "referrals_met"]
    assert funnel(found) == {
        # Ann (A. Lee merged into her: once), Bob, Cat, Dan, Eve, Gus, Fay
        "added": (7, None),
        # Ann, Bob, Cat, Dan, Gus; Eve's ask was undone: 5/7
        "asked": (5, 0.7143),
        # Ann (yes), Cat (mail), Dan (no), Gus (the meeting); Bob's auto-reply is none: 4/5
        "answered": (4, 0.8),
        # Ann (yes) and Gus (met after the ask): 2/4
        "accepted": (2, 0.5),
        "scheduled": (1, 0.5),  # Ann
        # Ann, Gus and Fay (back-dated, counted when it happened): 3/1
        "met": (3, 3.0),
        # Ann, thanked 4 h after through the merged A. Lee; Gus 49 h after; Fay not: 1/3
        "thanked_on_time": (1, 0.3333),
        "referrals": (1, 1.0),  # Gus, introduced by Ann
        "referrals_met": (1, 1.0),  # and met
    }
    replies = found["replies"]
    # Five asks; waits 24 h (Ann), 72 h (Cat), 96 h (Dan), 24 h (Gus): median 48
    assert replies["overall"] == {"asked": 5, "answered": 4, "accepted": 2, "declined": 1,
                                  "rate": 0.8, "median_hours": 48.0}
    assert replies["by_channel"] == [
        {"key": "email", "asked": 4, "answered": 4, "accepted": 2, "declined": 1, "rate": 1.0,
         "median_hours": 48.0},
        {"key": "linkedin", "asked": 1, "answered": 0, "accepted": 0, "declined": 0,
         "rate": 0.0, "median_hours": None}]
    assert replies["by_template"] == [  # Bob, Cat, Dan, Gus without one: waits 72, 96, 24
        {"key": "(none)", "asked": 4, "answered": 3, "accepted": 1, "declined": 1,
         "rate": 0.75, "median_hours": 72.0},
        {"key": "ask", "asked": 1, "answered": 1, "accepted": 1, "declined": 0, "rate": 1.0,
         "median_hours": 24.0}]
    assert replies["by_month"] == [
        {"key": "2026-10", "asked": 5, "answered": 4, "accepted": 2, "declined": 1,
         "rate": 0.8, "median_hours": 48.0}]
    assert [(r["key"], r["asked"], r["answered"], r["median_hours"])
            for r in replies["by_tag"]] == [("(no tag)", 3, 3, 72.0), ("design", 1, 1, 24.0),
                                             ("eng", 1, 0, None)]
    assert found["follow_through"] == {
        # Ann (4 h), Gus (49 h), Fay (none): median of 4 and 49
        "thanks": {"meetings": 3, "on_time": 1, "late": 1, "skipped": 0, "not_yet": 1,
                   "on_time_share": 0.3333, "median_hours": 26.5},
        "commitments": {"made": 1, "kept_on_time": 0, "kept_late": 1, "open": 0, "overdue": 0},
        # Fay's fell due on Oct 20 and the check-in of Oct 25 caught up
        "checkins": {"done": 1, "fell_due": 1, "caught_up": 1, "skipped": 0, "still_due": 0},
    }
    assert found["referrals"] == [{"contact": "ann-lee", "name": "Ann Lee", "introductions": 1,
                                   "met": 1, "names": ["Gus Poe"], "depth": 1}]
    assert found["activity"] == [  # local (UTC) ISO weeks, Fay's back-dated meeting first
        {"week": "2026-W38", "start": "2026-09-14", "asks": 0, "nudges": 0, "meetings": 1,
         "checkins": 0},
        {"week": "2026-W39", "start": "2026-09-21", "asks": 0, "nudges": 0, "meetings": 0,
         "checkins": 0},
        {"week": "2026-W40", "start": "2026-09-28", "asks": 4, "nudges": 0, "meetings": 0,
         "checkins": 0},
        {"week": "2026-W41", "start": "2026-10-05", "asks": 0, "nudges": 0, "meetings": 1,
         "checkins": 0},
        {"week": "2026-W42", "start": "2026-10-12", "asks": 0, "nudges": 0, "meetings": 0,
         "checkins": 0},
        {"week": "2026-W43", "start": "2026-10-19", "asks": 1, "nudges": 0, "meetings": 1,
         "checkins": 1},
        {"week": "2026-W44", "start": "2026-10-26", "asks": 0, "nudges": 0, "meetings": 0,
         "checkins": 0},
    ]


def test_since_and_until_count_what_happened_between(history: InProcessCLI) -> None:
    found = history.json("stats", "--since", "2026-10-01", "--until", "2026-10-15")
    assert found["since"] == "2026-10-01T00:00:00Z"
    assert found["until"] == "2026-10-15T23:59:59Z"  # a date means its end
    assert funnel(found) == {
        "added": (7, None),  # all seven were added between Oct 1 and Oct 10
        "asked": (4, 0.5714),  # Gus was asked on Oct 20: after
        "answered": (3, 0.75),  # Ann, Cat, Dan
        "accepted": (1, 0.3333),
        "scheduled": (1, 1.0),
        "met": (1, 1.0),  # Ann; Fay's meeting happened on Sep 20, before the window
        "thanked_on_time": (1, 1.0),
        "referrals": (1, 1.0),  # Gus
        "referrals_met": (0, 0.0),  # met on Oct 21: after the window
    }
    assert found["replies"]["overall"]["median_hours"] == 72.0  # 24, 72, 96
    assert found["follow_through"]["thanks"] == {
        "meetings": 1, "on_time": 1, "late": 0, "skipped": 0, "not_yet": 0, "on_time_share": 1.0,
        "median_hours": 4.0}
    assert found["follow_through"]["commitments"]["kept_late"] == 1
    assert found["follow_through"]["checkins"] == {  # Fay's fell due Oct 20: after
        "done": 0, "fell_due": 0, "caught_up": 0, "skipped": 0, "still_due": 0}
    assert found["referrals"][0]["met"] == 0
    assert [(w["week"], w["asks"], w["meetings"]) for w in found["activity"]] == [
        ("2026-W40", 4, 0), ("2026-W41", 0, 1), ("2026-W42", 0, 0)]


def test_as_of_counts_what_was_recorded_by_then(history: InProcessCLI) -> None:
    found = history.json("stats", "--as-of", "2026-10-05")
    assert found["as_of"] == found["until"] == "2026-10-05T23:59:59Z"
    assert funnel(found) == {
        # A. Lee was not merged yet: six people (Ann, Bob, Cat, Dan, Eve, A. Lee)
        "added": (6, None),
        "asked": (4, 0.6667),
        "answered": (3, 0.75),  # Ann, Cat, Dan
        "accepted": (1, 0.3333),
        "scheduled": (1, 1.0),
        "met": (0, 0.0),
        "thanked_on_time": (0, None),  # the previous step is 0
        "referrals": (0, None),
        "referrals_met": (0, None),
    }
    assert found["follow_through"]["thanks"]["meetings"] == 0
    assert found["referrals"] == []


def test_undoing_the_auto_replys_neighbour_changes_the_figures(history: InProcessCLI) -> None:
    """Undo is exact: undoing Gus's meeting takes his answer, meeting and referral met away."""
    history.now = "2026-11-01T10:00:00Z"
    meeting = next(e["id"] for e in history.json("show", "Gus")["timeline"]
                   if e["type"] == "meeting.held")
    history.run("undo", meeting)
    counts = {step: count for step, (count, _rate) in funnel(history.json("stats")).items()}
    assert (counts["answered"], counts["accepted"], counts["met"], counts["referrals_met"]) == (
        3, 1, 2, 0)


def test_text_tables_and_bars(history: InProcessCLI) -> None:
    text = history.run("stats", "--by", "template").out
    assert "From the start to 2026-11-01" in text
    assert "thanked on time" in text and "█" in text
    assert "(none)" in text and "TEMPLATE" in text
    assert "Ann Lee" in text  # referrals by name, not id
    assert "ann-lee" not in text


def test_bars_fall_back_to_ascii_when_stdout_is_not_utf8(cli: CLI) -> None:
    cli.run("add", "Ann Lee")
    cli.run("ask", "Ann", "--via", "email")
    plain = cli.run("stats", PYTHONIOENCODING="ascii").out
    assert "added            1             ########################" in plain
    assert "█" not in plain
    fancy = cli.run("stats", PYTHONIOENCODING="utf-8", NO_COLOR="1").out
    assert "████████████████████████" in fancy and "\x1b[" not in fancy


def test_bad_windows_are_one_line_errors(history: InProcessCLI) -> None:
    before = history.count()
    wrong = history.run("stats", "--since", "2026-10-20", "--until", "2026-10-01", expect=1)
    assert wrong.err.strip() == ("coffeechat: error: --since: 2026-10-20 is after "
                                 "--until 2026-10-01")
    bad = history.run("stats", "--since", "soon", expect=1)
    assert "--since" in bad.err and len(bad.err.strip().splitlines()) == 1
    assert history.run("stats", "--by", "colour", expect=2).code == 2
    assert history.count() == before


def test_an_empty_store(run: InProcessCLI) -> None:
    found = run.json("stats")
    assert [s["count"] for s in found["funnel"]] == [0] * 9
    assert all(s["rate"] is None for s in found["funnel"])
    assert found["activity"] == [] and found["referrals"] == []
    assert "Activity: nothing in this period." in run.run("stats").out


def test_check_ins_fall_due_by_the_keep_in_touch_tier(run: InProcessCLI) -> None:
    # Hal (tag mentor) met Sep 1 and heard nothing since. With checkin_days (90) his
    # check-in is not due by Oct 1; with the mentor tier's ideal gap of 20 days it fell
    # due Sep 21 and is still due, as `due` says.
    run.now = "2026-09-01T09:00:00Z"
    run.ids("add", "Hal", "--tag", "mentor")
    run.ids("met", "hal")
    run.now = "2026-10-01T09:00:00Z"
    untiered = run.json("stats")["follow_through"]["checkins"]
    assert (untiered["fell_due"], untiered["still_due"]) == (0, 0)
    (run.home / "config.toml").write_text("[keep_in_touch]\nmentor = { ideal = 20, max = 40 }\n")
    tiered = run.json("stats")["follow_through"]["checkins"]
    assert (tiered["fell_due"], tiered["still_due"]) == (1, 1)
    [item] = [i for i in run.json("due") if i["kind"] == "check-in"]
    assert item["due_at"] == "2026-09-21T09:00:00Z"


def test_a_thank_you_skipped_is_not_one_still_to_send(run: InProcessCLI) -> None:
    run.now = "2026-11-02T09:00:00Z"
    for name in ("Ann Lee", "Bo Chen", "Cy Diaz"):
        run.ids("add", name)
        run.ids("met", name.split()[0].lower(), "--on", "2026-11-02T08:00:00Z")
    run.ids("thank", "ann", "--via", "email")
    [bo] = [i for i in run.json("due") if i["contact"] == "bo-chen" and i["kind"] == "thank-you"]
    run.ids("skip", bo["handle"])
    thanks = run.json("stats")["follow_through"]["thanks"]
    assert (thanks["meetings"], thanks["on_time"], thanks["skipped"], thanks["not_yet"]) == \
        (3, 1, 1, 1)
    assert "0 late, 1 skipped, 1 not yet" in run.run("stats").out
    before = run.json("stats", "--until", "2026-11-02T08:30:00Z")  # (the skip came later)
    assert before["follow_through"]["thanks"]["skipped"] == 0
