"""The whole informational-interview cycle through the real CLI, with the clock moving."""

from __future__ import annotations

from typing import Any

from tests.conftest import CLI


def kinds(items: list[dict[str, Any]]) -> list[tuple[str, str, str, bool]]:
    return [(i["contact"], i["kind"], i["due_at"], i["overdue"]) for i in items]


def by_id(contacts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in contacts}


class Story:
    """Moves the clock, and keeps what each view showed at each moment."""

    def __init__(self, cli: CLI) -> None:
        self.cli = cli
        self.seen: list[tuple[str, Any, Any]] = []

    def at(self, now: str) -> Story:
        self.cli.now = now
        return self

    def views(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        contacts = self.cli.json("contacts")
        due = self.cli.json("due", "--all")
        self.seen.append((self.cli.now, contacts, due))
        return contacts, due


def test_the_informational_interview_cycle(run: CLI) -> None:
    story = Story(run)

    # Find: a contact is added.
    story.at("2026-11-02T09:00:00Z")
    jane = run.json("add", "Jane Doe", "--company", "Acme", "--role", "Staff Engineer",
                    "--email", "jane@example.com", "--how-met", "Girls Who Code talk",
                    "--tag", "frontend")["recorded"][0]
    assert jane["contact"] == "jane-doe" and jane["type"] == "contact.added"
    contacts, due = story.views()
    assert contacts == [{
        "id": "jane-doe", "name": "Jane Doe", "company": "Acme", "role": "Staff Engineer",
        "stage": "prospect", "last_touch_at": None, "next_due_kind": "reach-out",
        "next_due_at": "2026-11-09T09:00:00Z",
        "referred_by": None, "tags": ["frontend"], "email": "jane@example.com",
        "linkedin": None, "phone": None, "how_met": "Girls Who Code talk", "cadence_days": None,
        "meetings": 0, "added_at": "2026-11-02T09:00:00Z", "warmth": "warm",
        "birthday": None, "dates": {},
    }]
    # Added by hand and never contacted: reach out within a week.
    assert kinds(due) == [("jane-doe", "reach-out", "2026-11-09T09:00:00Z", False)]

    # Ask: a nudge is due 7 days later, overdue after that.
    story.at("2026-11-02T10:00:00Z")
    [ask] = run.ids("ask", "jane", "--via", "linkedin")
    contacts, due = story.views()
    assert by_id(contacts)["jane-doe"]["stage"] == "asked"
    assert by_id(contacts)["jane-doe"]["last_touch_at"] == "2026-11-02T10:00:00Z"
    assert kinds(due) == [("jane-doe", "nudge", "2026-11-09T10:00:00Z", False)]
    assert due[0]["event"] == ask

    story.at("2026-11-08T10:00:00Z")
    assert kinds(run.json("due")) == [("jane-doe", "nudge", "2026-11-09T10:00:00Z", False)]
    assert run.json("due", "--within", "0.5") == []  # a day away: not within half a day
    story.at("2026-11-09T10:00:00Z")
    assert kinds(story.views()[1]) == [("jane-doe", "nudge", "2026-11-09T10:00:00Z", False)]
    story.at("2026-11-10T10:00:00Z")
    contacts, due = story.views()
    assert kinds(due) == [("jane-doe", "nudge", "2026-11-09T10:00:00Z", True)]
    assert by_id(contacts)["jane-doe"]["next_due_kind"] == "nudge"

    # Asking again while the request is open is the one nudge.
    run.ids("ask", "jane")
    assert run.json("show", "jane")["timeline"][-1]["data"]["nudge"] is True
    contacts, due = story.views()
    # (no answer a week after the nudge: the request counts as unanswered, shown once)
    assert kinds(due) == [("jane-doe", "unanswered", "2026-11-17T10:00:00Z", False)]
    assert by_id(contacts)["jane-doe"]["stage"] == "asked"

    # Schedule: the nudge is settled and prep is due a day before the meeting.
    story.at("2026-11-11T08:00:00Z")
    run.ids("answer", "jane", "accepted")
    run.ids("schedule", "Jane", "--at", "2026-11-14T15:00:00Z", "--where", "Zoom")
    contacts, due = story.views()
    assert by_id(contacts)["jane-doe"]["stage"] == "scheduled"
    # (and once the meeting is over, whether it was held: its thank-you hangs on that)
    record = ("jane-doe", "record-meeting", "2026-11-14T15:30:00Z", False)
    assert kinds(due) == [("jane-doe", "prep", "2026-11-13T15:00:00Z", False), record]
    story.at("2026-11-13T16:00:00Z")
    assert kinds(story.views()[1]) == [("jane-doe", "prep", "2026-11-13T15:00:00Z", True),
                                       record]
    story.at("2026-11-14T15:00:00Z")
    assert kinds(story.views()[1]) == [record]  # prep is moot once the meeting starts

    # Meet (recorded later that day, back-dated): thanks due in 24 h, commitments, a referral.
    story.at("2026-11-14T18:00:00Z")
    met = run.json("met", "jane", "--on", "2026-11-14T15:30:00Z",
                   "--notes", "Talked about data platform teams",
                   "--takeaway", "build one end-to-end project before applying",
                   "--referral", "Bob Smith",
                   "--commitment", "send my portfolio link", "--due", "2026-11-18",
                   "--commitment", "read her post on on-call")["recorded"]
    assert [r["type"] for r in met] == ["meeting.held", "referral.made", "contact.added",
                                        "commitment.made", "commitment.made"]
    portfolio = met[3]["id"]
    contacts, due = story.views()
    assert by_id(contacts)["jane-doe"]["stage"] == "met"
    assert by_id(contacts)["jane-doe"]["next_due_kind"] == "thank-you"
    assert by_id(contacts)["bob-smith"]["referred_by"] == "jane-doe"
    assert by_id(contacts)["bob-smith"]["stage"] == "prospect"
    assert kinds(due) == [
        ("jane-doe", "thank-you", "2026-11-15T15:30:00Z", False),
        ("jane-doe", "commitment", "2026-11-18T23:59:59Z", False),
        ("bob-smith", "referral-outreach", "2026-11-21T15:30:00Z", False),
        ("jane-doe", "commitment", "2026-11-21T15:30:00Z", False),
        ("jane-doe", "check-in", "2027-02-12T15:30:00Z", False),
    ]
    assert due[0]["reason"] == "met on 2026-11-14"
    assert due[1]["commitment"] == portfolio

    story.at("2026-11-15T16:00:00Z")
    assert kinds(story.views()[1])[0] == ("jane-doe", "thank-you", "2026-11-15T15:30:00Z", True)

    # Thank, and keep a promise.
    story.at("2026-11-15T16:05:00Z")
    run.ids("thank", "jane", "--via", "email")
    story.at("2026-11-17T12:00:00Z")
    run.ids("done", portfolio[:20])
    contacts, due = story.views()
    assert kinds(due) == [
        ("bob-smith", "referral-outreach", "2026-11-21T15:30:00Z", False),
        ("jane-doe", "commitment", "2026-11-21T15:30:00Z", False),
        ("jane-doe", "check-in", "2027-02-15T12:00:00Z", False),  # done is a touch
    ]
    story.at("2026-11-22T09:00:00Z")
    contacts, due = story.views()
    assert [(k, o) for _, k, _, o in kinds(due)] == [
        ("referral-outreach", True), ("commitment", True), ("check-in", False)]

    # Follow through on the referral; then undo it: the views are exactly as before.
    before = story.views()
    run.ids("ask", "bob", "--via", "email")
    after_ask = story.views()
    assert by_id(after_ask[0])["bob-smith"]["stage"] == "asked"
    assert ("bob-smith", "nudge") in [(i["contact"], i["kind"]) for i in after_ask[1]]
    assert "referral-outreach" not in [i["kind"] for i in after_ask[1]]
    [retraction] = run.json("undo")["recorded"]
    assert retraction["type"] == "event.retracted"
    assert story.views() == before

    # Keep in touch: 90 days after the last touch; a note is not a touch, a check-in is.
    story.at("2027-02-15T12:00:00Z")
    due = story.views()[1]
    assert ("jane-doe", "check-in", "2027-02-15T12:00:00Z", False) in kinds(due)
    story.at("2027-02-16T12:00:00Z")
    run.ids("note", "jane", "Saw her talk announced for March")
    assert ("jane-doe", "check-in", "2027-02-15T12:00:00Z", True) in kinds(story.views()[1])
    run.ids("checkin", "jane", "--via", "email", "--note", "congratulated her on the talk")
    contacts, due = story.views()
    assert by_id(contacts)["jane-doe"]["stage"] == "keeping-in-touch"
    assert ("jane-doe", "check-in", "2027-05-17T12:00:00Z", False) in kinds(due)
    run.ids("cadence", "jane", "30")
    contacts, due = story.views()
    assert ("jane-doe", "check-in", "2027-03-18T12:00:00Z", False) in kinds(due)
    assert by_id(contacts)["jane-doe"]["cadence_days"] == 30

    # --as-of shows each earlier moment exactly as it looked then (the last look
    # at each moment: commands recorded within the same second count as "by then").
    last_look = {now: (contacts_then, due_then) for now, contacts_then, due_then in story.seen}
    for now, (contacts_then, due_then) in last_look.items():
        assert run.json("contacts", "--as-of", now) == contacts_then, now
        assert run.json("due", "--all", "--as-of", now) == due_then, now


def test_an_ask_nudged_without_answer_becomes_unanswered(run: CLI) -> None:
    run.now = "2026-11-02T09:00:00Z"
    run.ids("add", "Sam Lee")
    run.ids("ask", "sam")
    run.now = "2026-11-09T09:00:00Z"
    run.ids("ask", "sam")  # the nudge
    run.now = "2026-11-16T08:59:59Z"
    assert run.json("contacts")[0]["stage"] == "asked"
    run.now = "2026-11-16T09:00:00Z"
    assert run.json("contacts")[0]["stage"] == "unanswered"
    assert run.json("contacts", "--stage", "unanswered")[0]["id"] == "sam-lee"
    # Shown once in due, for the user to decide (archive, or try another channel).
    assert kinds(run.json("due")) == [("sam-lee", "unanswered", "2026-11-16T09:00:00Z", False)]
    run.ids("answer", "sam", "declined")
    assert run.json("contacts")[0]["stage"] == "declined"


def test_undo_of_a_whole_meeting_and_redo(run: CLI) -> None:
    run.ids("add", "Jane Doe")
    before = (run.json("contacts"), run.json("due", "--all"))
    run.ids("met", "jane", "--referral", "Bob Smith", "--commitment", "send notes")
    assert len(run.json("contacts")) == 2
    retractions = run.ids("undo")
    assert len(retractions) == 4  # meeting, referral, Bob, the commitment
    assert (run.json("contacts"), run.json("due", "--all")) == before
    # Undoing the retraction of the meeting brings the meeting back.
    run.ids("undo", retractions[0])
    assert run.json("contacts")[0]["stage"] == "met"
    # Nothing older than the add is left to undo after two more undos.
    run.ids("undo")
    run.ids("undo")
    assert run.json("contacts") == []
    result = run.run("undo", expect=1)
    assert "nothing left to undo" in result.err


def test_an_ask_while_scheduled_survives_a_cancellation(run: CLI) -> None:
    run.ids("add", "Gus Hale")
    run.ids("schedule", "gus", "--at", "+2d")
    run.ids("ask", "gus")
    run.ids("cancel", "gus")
    [gus] = run.json("contacts")
    assert (gus["stage"], gus["next_due_kind"]) == ("asked", "nudge")


def test_a_coffee_days_before_the_meeting_scheduled_is_a_meeting_of_its_own(run: CLI) -> None:
    run.now = "2026-11-20T12:00:00Z"  # a Friday
    run.run("add", "Jane Doe")
    run.run("schedule", "jane", "--at", "2026-11-24T15:00:00Z")  # Tuesday
    # Saturday: a coffee, three days before Tuesday's meeting, which stays ahead.
    run.run("met", "jane", "--on", "2026-11-21T10:00:00Z", "--notes", "coffee")
    assert run.json("log")[-1]["data"].get("meeting") is None  # (not linked to Tuesday's)
    [jane] = run.json("contacts")
    assert (jane["stage"], jane["meetings"]) == ("scheduled", 1)
    assert {(i["kind"], i["due_at"]) for i in run.json("due", "--all")} == {
        ("thank-you", "2026-11-22T10:00:00Z"), ("prep", "2026-11-23T15:00:00Z"),
        ("record-meeting", "2026-11-24T15:30:00Z")}
    starts = sorted(line for line in run.run("export", "ics").out.splitlines()
                    if line.startswith("DTSTART"))
    assert starts == ["DTSTART:20261121T100000Z", "DTSTART:20261124T150000Z"]
    # Called off: back to met, not to before the meeting was scheduled.
    run.run("cancel", "jane")
    assert run.json("contacts")[0]["stage"] == "met"
    assert "prep" not in {i["kind"] for i in run.json("due", "--all")}


def test_a_meeting_held_a_day_early_is_the_one_scheduled(run: CLI) -> None:
    run.now = "2026-11-20T12:00:00Z"
    run.run("add", "Jane Doe")
    scheduled = run.json("schedule", "jane", "--at", "2026-11-24T15:00:00Z")
    run.run("met", "jane", "--on", "2026-11-23T10:00:00Z")  # Monday: moved a day earlier
    assert run.json("log")[-1]["data"]["meeting"] == scheduled["recorded"][0]["id"]
    assert run.json("contacts")[0]["stage"] == "met"
    assert "prep" not in {i["kind"] for i in run.json("due", "--all")}
    starts = [line for line in run.run("export", "ics").out.splitlines()
              if line.startswith("DTSTART")]
    assert starts == ["DTSTART:20261124T150000Z"]  # (it keeps the scheduled start)


def test_a_meeting_cancelled_before_you_met_asks_to_be_rebooked(run: CLI) -> None:
    run.now = "2026-11-02T09:00:00Z"
    run.run("add", "Bo Chen")
    run.run("ask", "bo", "--via", "email")
    run.run("schedule", "bo", "--at", "2026-11-05T15:00:00Z")  # (the ask closes)
    run.now = "2026-11-04T09:00:00Z"
    cancelled = run.json("cancel", "bo", "--reason", "sick")["recorded"][0]["id"]
    [item] = run.json("due", "--all")
    assert (item["kind"], item["due_at"], item["event"]) == (
        "schedule", "2026-11-06T09:00:00Z", cancelled)
    assert item["reason"] == "meeting cancelled on 2026-11-04, not rebooked"
    # Rebooked: it closes. Cancelled again, it comes back; asked again, it goes.
    run.run("schedule", "bo", "--at", "2026-11-12T15:00:00Z")
    assert "schedule" not in {i["kind"] for i in run.json("due", "--all")}
    run.run("cancel", "bo")
    assert "schedule" in {i["kind"] for i in run.json("due", "--all")}
    run.run("ask", "bo", "--via", "email")
    assert {i["kind"] for i in run.json("due", "--all")} == {"nudge"}
    # Once met, a cancelled follow-up meeting is no rebook item: check-ins take over.
    run.run("met", "bo")
    run.run("schedule", "bo", "--at", "2026-12-12T15:00:00Z")
    run.run("cancel", "bo")
    assert "schedule" not in {i["kind"] for i in run.json("due", "--all")}
