"""Session 8 review: the follow-ups a serious networker still drops.

Each test plays a sequence a real person produces (crossing messages, a yes then
a cancel, a referral who turns out to be someone already known, a trip to Tokyo)
through the real CLI in-process, and compares what `due`, `today`, `show` and a
rebuild say with what the docs promise (docs/events.md "Follow-ups at a glance",
docs/configuration.md [followups], the user guide). The first eight were bugs
found here (strict xfails, each reduced to the fewest steps), fixed since; the others
guard behaviour no test held.
"""

from __future__ import annotations

from typing import Any

from tests.conftest import InProcessCLI
from tests.test_session7_stateful import rebuilt

TOKYO, LOS_ANGELES = "Asia/Tokyo", "America/Los_Angeles"


def due(run: InProcessCLI, *args: str, **env: str) -> list[dict[str, Any]]:
    return run.json("due", "--all", *args, **env)  # type: ignore[no-any-return,unused-ignore]


def items(run: InProcessCLI, *args: str, **env: str) -> list[tuple[str, str, str]]:
    """(contact, kind, due_at) of every open follow-up, in `due` order."""
    return [(i["contact"], i["kind"], i["due_at"]) for i in due(run, *args, **env)]


def one(run: InProcessCLI, kind: str, contact: str | None = None) -> dict[str, Any]:
    [found] = [i for i in due(run) if i["kind"] == kind
               and (contact is None or i["contact"] == contact)]
    return found


def stage(run: InProcessCLI, contact: str) -> str:
    [found] = [c["stage"] for c in run.json("contacts") if c["id"] == contact]
    return str(found)


def same_after_rebuild(run: InProcessCLI) -> None:
    live = items(run)
    assert live == [(i["contact"], i["kind"], i["due_at"]) for i in rebuilt(run, "due", "--all")]


def grace_said_yes(run: InProcessCLI) -> None:
    """Grace, asked on Nov 2, said yes on Nov 3 at 10:00."""
    run.run("add", "Grace Hopper")
    run.run("ask", "grace")
    run.now = "2026-11-03T10:00:00Z"
    run.run("answer", "grace", "accepted")


# -- found in review, fixed ------------------------------------------------------------------------


def test_times_sent_then_the_meeting_cancelled_still_asks_to_rebook(run: InProcessCLI) -> None:
    grace_said_yes(run)
    run.now = "2026-11-04T10:00:00Z"
    run.run("done", one(run, "schedule")["handle"])  # I sent her three times
    run.now = "2026-11-05T10:00:00Z"
    run.run("schedule", "grace", "--at", "2026-11-20T15:00")
    run.now = "2026-11-19T10:00:00Z"
    run.run("cancel", "grace")  # she called it off: it has to be rebooked
    assert stage(run, "grace-hopper") == "accepted"
    assert [k for _, k, _ in items(run)] == ["schedule"]


def test_a_meeting_cancelled_after_a_yes_is_rebooked_days_after_the_cancel(
        run: InProcessCLI) -> None:
    # configuration.md, schedule_days: "After a yes, or a meeting cancelled before you
    # met, send times within this many days".
    grace_said_yes(run)
    run.run("schedule", "grace", "--at", "2026-11-20T15:00")
    run.now = "2026-11-19T10:00:00Z"
    run.run("cancel", "grace")
    rebook = one(run, "schedule")
    assert (rebook["due_at"], rebook["overdue"]) == ("2026-11-21T10:00:00Z", False)


def test_a_snooze_before_the_meeting_does_not_hide_the_rebook_after_its_cancel(
        run: InProcessCLI) -> None:
    grace_said_yes(run)
    run.run("snooze", one(run, "schedule")["handle"], "2026-11-30")  # she is travelling
    run.now = "2026-11-06T10:00:00Z"
    run.run("schedule", "grace", "--at", "2026-11-12T15:00")  # she sent times herself
    run.now = "2026-11-11T10:00:00Z"
    run.run("cancel", "grace")
    # seen: due 2026-11-30 23:59, the old snooze: the cancelled meeting waits three weeks
    assert one(run, "schedule")["due_at"] == "2026-11-13T10:00:00Z"


def test_a_referral_merged_into_a_known_contact_keeps_the_day_of_the_introduction(
        run: InProcessCLI) -> None:
    run.now = "2026-10-01T09:00:00Z"
    run.run("add", "Robert Smith", "--company", "Globex")
    run.now = "2026-11-02T09:00:00Z"
    run.run("add", "Priya Natarajan")
    run.now = "2026-11-10T09:00:00Z"
    run.run("refer", "priya", "Bob Smith")
    run.run("merge", "robert", "bob")  # Bob is Robert, whom I had added in October
    assert "(2026-11-10)" in run.run("referrals").out  # the tree knows the day
    outreach = one(run, "referral-outreach", "robert-smith")
    # seen: "introduced by Priya Natarajan on 2026-10-01", before Priya was even added
    assert outreach["reason"] == "introduced by Priya Natarajan on 2026-11-10"


def test_a_meeting_scheduled_with_a_referred_person_closes_the_outreach(
        run: InProcessCLI) -> None:
    run.run("add", "Priya Natarajan")
    run.run("refer", "priya", "Bob Smith")
    run.now = "2026-11-03T09:00:00Z"
    run.run("schedule", "bob", "--at", "2026-11-12T15:00")  # I wrote to him; we booked it
    assert [k for c, k, _ in items(run) if c == "bob-smith"] == ["prep", "record-meeting"]


def test_a_yes_that_crossed_the_nudge_is_still_a_yes(run: InProcessCLI) -> None:
    run.run("add", "Grace Hopper")
    run.run("ask", "grace")
    run.now = "2026-11-09T09:00:00Z"
    run.run("ask", "grace")  # the nudge, before I had read her Sunday evening reply
    run.now = "2026-11-10T09:00:00Z"
    run.run("answer", "grace", "accepted", "--on", "2026-11-08T18:00")
    assert stage(run, "grace-hopper") == "accepted"
    assert [k for _, k, _ in items(run)] == ["schedule"]


def test_an_answer_dated_before_the_ask_is_refused(run: InProcessCLI) -> None:
    run.run("add", "Grace Hopper")
    run.run("ask", "grace")
    run.now = "2026-11-10T09:00:00Z"
    before = run.count()
    result = run.run("answer", "grace", "accepted", "--on", "2026-11-01", expect=None)
    # as `done --on` refuses a thank-you dated before the meeting: one line, exit 1
    assert (result.code, run.count()) == (1, before)
    assert "answer" in result.err or "--on" in result.err


def test_a_cancel_dated_before_the_schedule_does_not_silently_do_nothing(
        run: InProcessCLI) -> None:
    run.run("add", "Grace Hopper")
    run.now = "2026-11-03T09:00:00Z"
    run.run("schedule", "grace", "--at", "2026-11-10T15:00")
    run.now = "2026-11-05T09:00:00Z"
    result = run.run("cancel", "grace", "--on", "2026-11-01", expect=None)
    # either refused, or the meeting is cancelled: not recorded to no effect
    assert result.code != 0 or stage(run, "grace-hopper") != "scheduled"


# -- guards: what works and no test held ------------------------------------------------------


def test_the_due_day_follows_the_zone_of_each_command(run: InProcessCLI) -> None:
    # Asked Friday 30 Oct 20:00 UTC: Saturday 05:00 in Tokyo, Friday 13:00 (PDT) in Los
    # Angeles. Seven calendar days later at the same wall time; LA leaves DST on 1 Nov.
    run.now = "2026-10-30T20:00:00Z"
    run.run("add", "Grace Hopper", TZ=TOKYO)
    run.run("ask", "grace", TZ=TOKYO)
    run.now = "2026-11-02T12:00:00Z"
    tokyo = ("grace-hopper", "nudge", "2026-11-06T20:00:00Z")  # Sat 7 Nov 05:00 JST
    la = ("grace-hopper", "nudge", "2026-11-06T21:00:00Z")  # Fri 6 Nov 13:00 PST
    assert items(run, TZ=TOKYO) == [tokyo]
    assert due(run, TZ=TOKYO)[0]["reason"] == "asked on 2026-10-31, no answer yet"
    assert items(run, TZ=LOS_ANGELES) == [la]
    assert due(run, TZ=LOS_ANGELES)[0]["reason"] == "asked on 2026-10-30, no answer yet"
    assert "2026-11-06 13:00" in run.run("show", "grace", TZ=LOS_ANGELES).out
    assert items(run, TZ=TOKYO) == [tokyo]  # and back again
    run.run("rebuild", TZ=LOS_ANGELES)
    assert items(run, TZ=TOKYO) == [tokyo]
    assert items(run, "--as-of", "2026-11-01", TZ=LOS_ANGELES) == [la]
    # 20:30 UTC on the 6th: past Tokyo's 05:00 on the 7th, before LA's 13:00 on the 6th
    run.now = "2026-11-06T20:30:00Z"
    assert [i["kind"] for i in run.json("today", TZ=TOKYO)["overdue"]] == ["nudge"]
    assert [i["kind"] for i in run.json("today", TZ=LOS_ANGELES)["due_today"]] == ["nudge"]


def test_a_birthday_passes_at_local_midnight(run: InProcessCLI) -> None:
    run.now = "2026-11-01T09:00:00Z"
    run.run("add", "Grace Hopper", "--birthday", "11-12", "--how-met", "PyCon")
    run.run("ask", "grace")

    def dates(now: str, zone: str) -> list[str]:
        run.now = now
        return [i["date"] for i in due(run, TZ=zone) if i["kind"] == "birthday"]

    # 16:00 UTC on the 12th is already the 13th in Tokyo, still the 12th in LA
    assert dates("2026-11-12T10:00:00Z", TOKYO) == ["2026-11-12"]
    assert dates("2026-11-12T16:00:00Z", TOKYO) == ["2027-11-12"]
    assert dates("2026-11-12T16:00:00Z", LOS_ANGELES) == ["2026-11-12"]


def test_declined_then_asked_again_six_months_later(run: InProcessCLI) -> None:
    run.now = "2026-05-01T09:00:00Z"
    run.run("add", "Grace Hopper")
    run.run("ask", "grace")
    run.now = "2026-05-09T09:00:00Z"
    run.run("done", one(run, "nudge")["handle"])
    unanswered = one(run, "unanswered")
    assert unanswered["due_at"] == "2026-05-16T09:00:00Z"
    run.now = "2026-05-12T09:00:00Z"
    run.run("answer", "grace", "declined")
    assert (stage(run, "grace-hopper"), items(run)) == ("declined", [])
    run.now = "2026-11-02T09:00:00Z"
    run.run("ask", "grace", "--via", "linkedin")
    nudge = one(run, "nudge")
    assert (nudge["due_at"], nudge["reason"]) == ("2026-11-09T09:00:00Z",
                                                  "asked on 2026-11-02, no answer yet")
    assert stage(run, "grace-hopper") == "asked"
    # the spring, seen from then: the first ask's unanswered item, same handle
    [then] = due(run, "--as-of", "2026-05-10")
    assert (then["kind"], then["handle"]) == ("unanswered", unanswered["handle"])
    same_after_rebuild(run)


def test_rescheduled_twice_then_met_late(run: InProcessCLI) -> None:
    run.run("add", "Grace Hopper")
    run.run("ask", "grace")
    run.now = "2026-11-03T09:00:00Z"
    run.run("answer", "grace", "accepted")
    run.run("schedule", "grace", "--at", "2026-11-10T15:00")
    run.now = "2026-11-09T18:00:00Z"
    run.run("done", one(run, "prep")["handle"])
    run.run("schedule", "grace", "--at", "2026-11-12T15:00")  # moved: still prepared
    assert items(run) == [("grace-hopper", "record-meeting", "2026-11-12T15:30:00Z")]
    run.now = "2026-11-12T12:00:00Z"
    run.run("schedule", "grace", "--at", "2026-11-13T08:00")  # moved at short notice
    assert items(run) == [("grace-hopper", "record-meeting", "2026-11-13T08:30:00Z")]
    run.now = "2026-11-14T09:00:00Z"  # its time is past, nothing recorded: held, or not?
    assert items(run) == [("grace-hopper", "record-meeting", "2026-11-13T08:30:00Z")]
    run.now = "2026-11-16T12:00:00Z"
    run.run("met", "grace", "--on", "2026-11-14T10:00")  # a day late: that meeting
    assert stage(run, "grace-hopper") == "met"
    thanks = one(run, "thank-you")
    assert (thanks["due_at"], thanks["reason"]) == ("2026-11-15T10:00:00Z", "met on 2026-11-14")
    shown = run.run("show", "grace").out
    assert f"[{thanks['handle']}] thank-you overdue 2026-11-15 10:00" in shown
    same_after_rebuild(run)


def test_a_thank_you_before_the_meeting_on_the_same_day_leaves_it_open(
        run: InProcessCLI) -> None:
    # user guide: "A thank-you counts for the latest meeting only if it is dated at or
    # after that meeting"; a date without a time is the start of that day.
    run.now = "2026-11-03T18:00:00Z"
    run.run("add", "Grace Hopper")
    run.run("met", "grace", "--on", "2026-11-03T14:00")
    handle = one(run, "thank-you")["handle"]
    before = run.count()
    # 00:00, before the meeting: refused in one line, as `done` refuses it (it would
    # be recorded and close nothing)
    refused = run.run("thank", "grace", "--on", "2026-11-03", expect=1)
    assert refused.err.startswith("coffeechat: error: --on: 2026-11-03 00:00 is before the "
                                  "meeting it thanks for (2026-11-03 14:00)")
    assert one(run, "thank-you")["handle"] == handle
    refused = run.run("done", handle, "--on", "2026-11-03T13:00", expect=1)
    assert run.count() == before and refused.err.count("\n") == 1
    run.run("thank", "grace", "--on", "2026-11-03T14:00")  # at the meeting: counts
    assert [k for _, k, _ in items(run)] == ["check-in"]


def test_two_people_met_the_same_day_each_need_their_own_thanks(run: InProcessCLI) -> None:
    run.now = "2026-11-03T18:00:00Z"
    run.run("add", "Grace Hopper")
    run.run("add", "Ada Lovelace")
    run.run("met", "grace", "--on", "2026-11-03T10:00")
    run.run("met", "ada", "--on", "2026-11-03T15:00")
    run.run("thank", "grace")
    assert [(c, k) for c, k, _ in items(run) if k == "thank-you"] == [
        ("ada-lovelace", "thank-you")]
    today = run.run("today", "--as-of", "2026-11-04T16:00:00Z").out
    assert "Ada Lovelace" in today and "Grace Hopper: met" not in today
    same_after_rebuild(run)


def test_a_snooze_survives_archive_and_unarchive(run: InProcessCLI) -> None:
    run.run("add", "Grace Hopper")
    run.run("ask", "grace")
    run.now = "2026-11-10T09:00:00Z"
    nudge = one(run, "nudge")
    run.run("snooze", nudge["handle"], "2026-11-20")
    run.run("archive", "grace")
    assert items(run) == [] and "Grace" not in run.run("today").out
    run.run("undo")  # unarchive
    back = one(run, "nudge")
    assert (back["handle"], back["due_at"]) == (nudge["handle"], "2026-11-20T23:59:59Z")
    same_after_rebuild(run)
    # before the snooze was recorded: the nudge as it was, overdue
    [then] = due(run, "--as-of", "2026-11-09T23:00:00Z")
    assert (then["due_at"], then["overdue"]) == ("2026-11-09T09:00:00Z", True)


def test_a_cadence_changed_while_overdue_moves_the_check_in_and_keeps_a_snooze(
        run: InProcessCLI) -> None:
    run.now = "2026-08-01T09:00:00Z"
    run.run("add", "Grace Hopper")
    run.run("met", "grace")
    run.run("thank", "grace")
    run.now = "2026-11-20T09:00:00Z"
    check_in = one(run, "check-in")
    assert (check_in["due_at"], check_in["overdue"]) == ("2026-10-30T09:00:00Z", True)
    run.run("cadence", "grace", "180")  # not a touch: the clock still runs from August
    assert one(run, "check-in")["due_at"] == "2027-01-28T09:00:00Z"
    run.run("cadence", "grace", "30")
    run.run("snooze", check_in["handle"], "2026-12-01")
    moved = one(run, "check-in")
    assert (moved["handle"], moved["due_at"]) == (check_in["handle"], "2026-12-01T23:59:59Z")
    run.run("cadence", "grace", "365")  # later than the snooze: the cadence wins
    assert one(run, "check-in")["due_at"] == "2027-08-01T09:00:00Z"
    same_after_rebuild(run)


# -- a meeting whose time passed with nothing recorded ---------------------------------------

def test_a_meeting_past_its_end_with_nothing_recorded_asks_whether_it_was_held(
        run: InProcessCLI) -> None:
    run.run("add", "Grace Hopper")
    run.now = "2026-11-03T09:00:00Z"
    run.run("schedule", "grace", "--at", "2026-11-10T15:00", "--minutes", "45")
    run.now = "2026-11-11T09:00:00Z"  # the day after: no `met`, no `cancel`
    record = one(run, "record-meeting")
    assert (record["due_at"], record["overdue"]) == ("2026-11-10T15:45:00Z", True)
    assert record["reason"] == "meeting on 2026-11-10 15:00: held? done or met if so, cancel if not"
    assert f"[{record['handle']}] record-meeting overdue" in run.run("show", "grace").out
    assert record["handle"] in run.run("today").out
    same_after_rebuild(run)
    # Before its end it is only upcoming (as-of the meeting's start).
    [early] = [i for i in due(run, "--as-of", "2026-11-10T15:00:00Z")
               if i["kind"] == "record-meeting"]
    assert not early["overdue"]
    # Held: the item goes, the thank-you comes.
    run.run("met", "grace", "--on", "2026-11-10T15:00")
    assert [k for _, k, _ in items(run)] == ["thank-you", "check-in"]
    run.run("undo")
    assert one(run, "record-meeting")["handle"] == record["handle"]
    # Called off instead: the item goes, the rebook item comes.
    run.run("cancel", "grace")
    assert [k for _, k, _ in items(run)] == ["schedule"]
    run.run("undo")
    # Done by its handle: it took place as scheduled (meeting.held at its time).
    run.run("done", record["handle"])
    held = run.json("log", "--type", "meeting.held")[-1]  # (the met before was undone)
    assert (held["occurred_at"], held["data"]) == ("2026-11-10T15:00:00Z",
                                                    {"meeting": record["event"]})
    assert [k for _, k, _ in items(run)] == ["thank-you", "check-in"]
    assert run.json("show", "grace")["stage"] == "met"
    run.run("undo")
    run.run("skip", record["handle"])  # (or set aside: nothing recorded about the meeting)
    assert "record-meeting" not in {k for _, k, _ in items(run)}
    # A new time is a new meeting: its own item, due at its own end.
    run.run("schedule", "grace", "--at", "2026-11-17T15:00")
    assert one(run, "record-meeting")["due_at"] == "2026-11-17T15:30:00Z"
    same_after_rebuild(run)


# -- the review's smaller findings -----------------------------------------------------------

def test_a_meeting_moved_after_it_was_prepared_needs_no_prep_again(run: InProcessCLI) -> None:
    run.run("add", "Grace Hopper")
    run.run("schedule", "grace", "--at", "2026-11-10T15:00")
    run.now = "2026-11-09T18:00:00Z"
    run.run("done", one(run, "prep")["handle"])  # prepared
    run.run("schedule", "grace", "--at", "2026-11-12T15:00")  # then moved by two days
    assert [k for _, k, _ in items(run)] == ["record-meeting"]
    same_after_rebuild(run)
    run.run("undo")  # the move undone: still prepared for the first time
    assert [k for _, k, _ in items(run)] == ["record-meeting"]


def test_scheduling_over_a_scheduled_meeting_says_it_moves_it(run: InProcessCLI) -> None:
    run.run("add", "Grace Hopper")
    first = run.run("schedule", "grace", "--at", "2026-11-10T15:00")
    assert first.err == ""
    moved = run.run("schedule", "grace", "--at", "2026-11-12T09:30")
    assert moved.err == ("coffeechat: warning: Grace Hopper's meeting on 2026-11-10 15:00 is "
                         "now on 2026-11-12 09:30 (coffeechat keeps one scheduled meeting per "
                         "contact: `undo` keeps the earlier one instead)\n")
    run.run("undo")
    assert one(run, "prep")["reason"] == "meeting on 2026-11-10 15:00"
    assert run.run("schedule", "grace", "--at", "2026-11-10T15:00").err == ""  # the same time


def test_a_snooze_that_would_change_nothing_is_refused(run: InProcessCLI) -> None:
    run.run("add", "Grace Hopper")
    run.run("met", "grace", "--on", "2026-11-02T10:00")
    thanks = one(run, "thank-you")  # due 2026-11-03 10:00
    before = run.count()
    err = run.run("snooze", thanks["handle"], "2026-11-02T18:00", expect=1).err
    assert err == (f"coffeechat: error: DATE: {thanks['handle']} (thank-you, Grace Hopper) is "
                   "due 2026-11-03 10:00, not later than 2026-11-02 18:00: a snooze puts it "
                   "off, so give a later time\n")
    assert run.count() == before
    run.run("snooze", thanks["handle"], "2026-11-09")
    run.run("snooze", thanks["handle"], "2026-11-05")  # brought back: the latest counts
    assert one(run, "thank-you")["due_at"] == "2026-11-05T23:59:59Z"
