"""Session 7 review: this session's behaviour changes, attacked.

Each test drives the real CLI in-process against a real store (and real files:
calendars, notes) and checks what a user sees. The changes under attack: a
meeting held days before the one scheduled is a meeting of its own (be9d290),
the rebook item after a cancellation (7f11339), no warmth for someone only
imported (455bc93), a meeting note's corrected time keeping its promise
(2c26206), skipped thank-yous in stats (a087505). The xfails are bugs found
here, each reduced to the fewest steps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import InProcessCLI
from tests.test_calendar import configure
from tests.test_session7_month import ics_events, watch, write_note
from tests.test_session7_stateful import rebuilt

DATA = Path(__file__).parent / "data"
WEEKLY = DATA / "invite-google-weekly.ics"  # Samira, Tuesdays 10:00 New York
SERIES = "7fk2m0qz3r9c1h5t8wbn4x6d2e@google.com"


def items(run: InProcessCLI, *args: str) -> set[tuple[str, str, str]]:
    """(name, kind, due_at) of every open follow-up."""
    return {(i["name"], i["kind"], i["due_at"]) for i in run.json("due", "--all", *args)}


def contact(run: InProcessCLI, slug: str, *args: str) -> dict[str, Any]:
    [found] = [c for c in run.json("contacts", *args) if c["id"] == slug]
    return found


def same_after_rebuild(run: InProcessCLI) -> None:
    """contacts and due read live equal the same read after a full rebuild."""
    live = (run.json("contacts"), items(run))
    again = (rebuilt(run, "contacts"),
             {(i["name"], i["kind"], i["due_at"]) for i in rebuilt(run, "due", "--all")})
    assert live == again


def starts(run: InProcessCLI) -> list[str]:
    return sorted(e["DTSTART"] for e in ics_events(run.run("export", "ics").out)
                  if e["KIND"] == "VEVENT")


# -- a meeting held days before the one scheduled ---------------------------------


@pytest.mark.parametrize(("held", "same"), [
    ("2026-11-22T15:00:00Z", True),   # exactly two days before: the meeting scheduled
    ("2026-11-22T14:59:59Z", False),  # a second more: a meeting of its own
    ("2026-11-25T09:00:00Z", True),   # the day after: that meeting, held late
])
def test_the_two_day_boundary_is_one_rule_for_met_the_fold_and_export(
        run: InProcessCLI, held: str, same: bool) -> None:
    run.now = "2026-11-20T12:00:00Z"
    run.run("add", "Jane Doe")
    scheduled = run.json("schedule", "jane", "--at", "2026-11-24T15:00:00Z")["recorded"][0]["id"]
    run.now = "2026-11-26T12:00:00Z"
    run.run("met", "jane", "--on", held)
    linked = run.json("log")[-1]["data"].get("meeting")
    jane = contact(run, "jane-doe")
    if same:
        assert (linked, jane["stage"]) == (scheduled, "met")
        assert starts(run) == ["20261124T150000Z"]
        assert "prep" not in {kind for _, kind, _ in items(run)}
    else:
        assert (linked, jane["stage"]) == (None, "scheduled")
        assert starts(run) == [held.replace("-", "").replace(":", ""), "20261124T150000Z"]
    assert jane["meetings"] == 1
    same_after_rebuild(run)


def test_an_early_coffee_undone_and_redone_and_the_call_cancelled_match_a_rebuild(
        run: InProcessCLI) -> None:
    run.now = "2026-11-20T12:00:00Z"
    run.run("add", "Jane Doe")
    run.run("ask", "jane")
    run.run("answer", "jane", "accepted")
    run.run("schedule", "jane", "--at", "2026-11-24T15:00:00Z")
    run.run("met", "jane", "--on", "2026-11-21T10:00:00Z")  # Saturday
    run.run("undo")
    assert contact(run, "jane-doe")["stage"] == "scheduled"
    assert contact(run, "jane-doe")["meetings"] == 0
    run.run("met", "jane", "--on", "2026-11-21T10:00:00Z")
    same_after_rebuild(run)
    run.now = "2026-11-22T12:00:00Z"
    run.run("cancel", "jane")
    # Met on Saturday: back to met (no rebook item, no said-yes item), a thank-you left
    assert contact(run, "jane-doe")["stage"] == "met"
    kinds = {kind for _, kind, _ in items(run)}
    assert "thank-you" in kinds and not {"schedule", "prep"} & kinds, kinds
    same_after_rebuild(run)
    run.run("undo")  # the cancel taken back: the call is ahead again, with its prep
    assert contact(run, "jane-doe")["stage"] == "scheduled"
    assert "prep" in {kind for _, kind, _ in items(run)}
    same_after_rebuild(run)


def test_a_schedule_recorded_after_a_back_dated_met_is_the_next_meeting(
        run: InProcessCLI) -> None:
    run.now = "2026-11-20T12:00:00Z"
    run.run("add", "Jane Doe")
    run.run("met", "jane", "--on", "-3d")
    run.run("schedule", "jane", "--at", "+2w")
    jane = contact(run, "jane-doe")
    assert (jane["stage"], jane["meetings"]) == ("scheduled", 1)
    assert len(starts(run)) == 2
    same_after_rebuild(run)


def test_a_met_dated_before_the_schedule_was_recorded_is_linked_as_the_fold_reads_it(
        run: InProcessCLI) -> None:
    run.now = "2026-11-02T09:00:00Z"
    run.run("add", "Bo Chen")
    run.run("schedule", "bo", "--at", "2026-11-03T15:00:00Z")  # tomorrow afternoon
    run.now = "2026-11-02T12:00:00Z"
    run.run("met", "bo", "--on", "2026-11-02T08:00:00Z")  # this morning, before scheduling
    linked = run.json("log")[-1]["data"].get("meeting") is not None
    still_scheduled = contact(run, "bo-chen")["stage"] == "scheduled"
    assert linked != still_scheduled  # either the meeting held is the call, or it is not


# -- the rebook item ---------------------------------------------------------------


def test_the_rebook_item_closes_and_comes_back_as_the_user_works_it(run: InProcessCLI) -> None:
    run.now = "2026-11-02T09:00:00Z"
    run.run("add", "Bo Chen")
    run.run("ask", "bo")
    run.run("schedule", "bo", "--at", "2026-11-05T15:00:00Z")
    run.now = "2026-11-04T09:00:00Z"
    run.run("cancel", "bo")
    rebook = ("Bo Chen", "schedule", "2026-11-06T09:00:00Z")
    assert items(run) == {rebook}
    # --as-of before the cancel: the prep; after: the rebook item
    assert {k for _, k, _ in items(run, "--as-of", "2026-11-03T09:00:00Z")} == {
        "prep", "record-meeting"}
    assert items(run, "--as-of", "2026-11-05T09:00:00Z") == {rebook}
    # undo of the cancel: scheduled again, no rebook item
    run.run("undo")
    assert contact(run, "bo-chen")["stage"] == "scheduled"
    assert "schedule" not in {k for _, k, _ in items(run)}
    run.run("cancel", "bo")
    [item] = run.json("due", "--all")
    run.run("snooze", item["handle"], "2026-11-10T09:00:00Z")
    assert items(run) == {("Bo Chen", "schedule", "2026-11-10T09:00:00Z")}
    run.run("skip", item["handle"])
    assert items(run) == set()
    same_after_rebuild(run)
    run.run("undo")
    assert {k for _, k, _ in items(run)} == {"schedule"}
    run.run("archive", "bo")
    assert items(run) == set()
    same_after_rebuild(run)


def test_a_cancellation_from_the_organiser_asks_to_rebook(run: InProcessCLI) -> None:
    configure(run)
    run.now = "2026-11-02T09:00:00Z"
    run.json("import", "ics", str(DATA / "invite-outlook.ics"))
    [who] = [c["id"] for c in run.json("contacts")]
    assert contact(run, who)["stage"] == "scheduled"
    run.json("import", "ics", str(DATA / "invite-outlook-cancel.ics"))
    assert [k for _, k, _ in items(run)] == ["schedule"]
    [item] = run.json("due", "--all")
    assert "not rebooked" in item["reason"]
    same_after_rebuild(run)


def test_a_merge_keeps_one_rebook_item_and_a_rebooking_closes_it(run: InProcessCLI) -> None:
    run.now = "2026-11-02T09:00:00Z"
    run.run("add", "Bo Chen")
    run.run("add", "Bo Chen", "--email", "bo@example.org")  # bo-chen-2
    for slug, at in (("bo-chen", "2026-11-05T15:00:00Z"), ("bo-chen-2", "2026-11-06T15:00:00Z")):
        run.run("ask", slug)
        run.run("schedule", slug, "--at", at)
        run.run("cancel", slug)
        run.now = "2026-11-02T10:00:00Z"
    run.run("merge", "bo-chen", "bo-chen-2")
    assert [k for _, k, _ in items(run)] == ["schedule"]
    same_after_rebuild(run)
    run.run("schedule", "bo-chen", "--at", "2026-11-12T15:00:00Z")
    assert sorted(k for _, k, _ in items(run)) == ["prep", "record-meeting"]
    same_after_rebuild(run)


# -- a series whose occurrences are held in turn ------------------------------------


def series_meetings(run: InProcessCLI) -> list[tuple[str, str, str]]:
    """(UID, DTSTART, STATUS) of the series' meetings in export ics."""
    return sorted((e["UID"], e["DTSTART"], e["STATUS"])
                  for e in ics_events(run.run("export", "ics").out)
                  if e["KIND"] == "VEVENT" and e["UID"].startswith(SERIES))


def test_three_occurrences_held_in_turn_keep_distinct_stable_uids(
        run: InProcessCLI, tmp_path: Path) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    run.json("import", "ics", str(WEEKLY))
    for held, after in (("2026-12-01T15:20:00Z", "2026-12-02T09:00:00Z"),
                        ("2026-12-15T15:20:00Z", "2026-12-16T09:00:00Z"),
                        ("2026-12-22T15:20:00Z", "2026-12-23T09:00:00Z")):
        run.now = held
        run.run("met", "samira")
        run.now = after
        assert run.json("import", "ics", str(WEEKLY))["scheduled"] == ["samira-haddad"]
    got = series_meetings(run)
    assert [start for _, start, _ in got] == [
        "20261201T150000Z", "20261215T150000Z", "20261222T150000Z", "20261229T150000Z"]
    assert len({uid for uid, _, _ in got}) == 4
    assert f"{SERIES}#20261215T150000Z" in {uid for uid, _, _ in got}
    assert series_meetings(run) == got  # export after export
    # our own export imported again records nothing; the invitation again neither
    out = tmp_path / "mine.ics"
    run.run("export", "ics", "--out", str(out))
    before = run.count()
    assert run.json("import", "ics", str(out))["unchanged"] == 4
    assert run.json("import", "ics", str(WEEKLY))["unchanged"] == 1
    assert run.count() == before
    assert contact(run, "samira-haddad")["meetings"] == 3
    same_after_rebuild(run)
    # the organiser cancels the series: the one ahead is cancelled, the held ones stay
    cancel = tmp_path / "cancel.ics"
    cancel.write_text(WEEKLY.read_text().replace("METHOD:REQUEST", "METHOD:CANCEL")
                      .replace("STATUS:CONFIRMED", "STATUS:CANCELLED")
                      .replace("SEQUENCE:0", "SEQUENCE:1"))
    assert run.json("import", "ics", str(cancel))["cancelled"] == ["samira-haddad"]
    statuses = {start: status for _, start, status in series_meetings(run)}
    assert statuses == {"20261201T150000Z": "CONFIRMED", "20261215T150000Z": "CONFIRMED",
                        "20261222T150000Z": "CONFIRMED", "20261229T150000Z": "CANCELLED"}
    assert contact(run, "samira-haddad")["stage"] == "met"
    assert "schedule" not in {k for _, k, _ in items(run)}  # met: no rebook item
    same_after_rebuild(run)


def test_the_organisers_change_to_the_occurrence_after_a_held_one(
        run: InProcessCLI, tmp_path: Path) -> None:
    configure(run)
    run.now = "2026-11-30T12:00:00Z"
    run.json("import", "ics", str(WEEKLY))
    run.now = "2026-12-01T15:20:00Z"
    run.run("met", "samira")
    run.now = "2026-12-02T09:00:00Z"
    run.json("import", "ics", str(WEEKLY))  # on to the 15th
    # Samira moves the 15th to Wednesday the 16th, 11:00: an override alone
    text = WEEKLY.read_text()
    head, _, rest = text.partition("BEGIN:VEVENT")
    body = "BEGIN:VEVENT" + rest.split("END:VEVENT")[0] + "END:VEVENT\n"
    body = (body.replace("RRULE:FREQ=WEEKLY;BYDAY=TU\n", "")
            .replace("EXDATE;TZID=America/New_York:20261208T100000\n", "")
            .replace("DTSTART;TZID=America/New_York:20260901T100000",
                     "RECURRENCE-ID;TZID=America/New_York:20261215T100000\n"
                     "DTSTART;TZID=America/New_York:20261216T110000")
            .replace("DTEND;TZID=America/New_York:20260901T103000",
                     "DTEND;TZID=America/New_York:20261216T113000")
            .replace("SEQUENCE:0", "SEQUENCE:1"))
    moved = tmp_path / "moved.ics"
    moved.write_text(head + body + "END:VCALENDAR\n")
    assert run.json("import", "ics", str(moved))["scheduled"] == ["samira-haddad"]
    got = series_meetings(run)
    assert [(start, status) for _, start, status in got] == [
        ("20261201T150000Z", "CONFIRMED"), ("20261216T160000Z", "CONFIRMED")]
    assert len({uid for uid, _, _ in got}) == 2
    before = run.count()
    assert run.json("import", "ics", str(moved))["unchanged"] == 1
    assert run.count() == before
    same_after_rebuild(run)


# -- warmth of the imported ----------------------------------------------------------


def test_warmth_by_how_a_contact_came(run: InProcessCLI, tmp_path: Path) -> None:
    run.now = "2026-11-02T09:00:00Z"
    run.run("import", "linkedin", str(DATA / "linkedin-connections.csv"))
    run.run("import", "vcard", str(DATA / "contacts-apple.vcf"))
    notes = tmp_path / "notes"
    write_note(notes, "nia.md", "---\ntype: contact\ncontact: Nia Brooks\n---\nfrom a meetup\n")
    watch(run, notes)
    run.run("add", "Ann Lee")
    run.run("met", "ann", "--referral", "Omar Haddad")
    imported = [c for c in run.json("contacts") if c["id"] not in
                ("nia-brooks", "ann-lee", "omar-haddad")]
    assert imported and {c["warmth"] for c in imported} == {None}
    assert contact(run, "nia-brooks")["warmth"] == "warm"  # added by a note: by hand
    assert contact(run, "omar-haddad")["warmth"] == "warm"  # a referral you recorded
    # an edit is no touch: still none; a cadence gives warmth, from the import
    run.run("edit", "raj-patel", "--company", "Initech")
    assert contact(run, "raj-patel")["warmth"] is None
    assert "Raj Patel" not in {r["name"] for r in run.json("reconnect")}
    run.run("cadence", "raj-patel", "30")
    assert contact(run, "raj-patel")["warmth"] in ("due", "cold", "warm")
    # a touch: warm from it; --as-of before it: none again
    run.now = "2026-11-10T09:00:00Z"
    run.run("checkin", "li-wei")
    assert contact(run, "li-wei")["warmth"] == "warm"
    assert contact(run, "li-wei", "--as-of", "2026-11-05T09:00:00Z")["warmth"] is None
    same_after_rebuild(run)


def test_a_contact_added_by_hand_keeps_its_warmth_when_merged_with_an_old_import(
        run: InProcessCLI) -> None:
    run.now = "2026-11-02T09:00:00Z"
    run.run("import", "linkedin", str(DATA / "linkedin-connections.csv"))  # Jane, 2024
    run.now = "2026-11-20T09:00:00Z"
    run.run("add", "Jane Doe", "--email", "jane@example.org")  # jane-doe-2, by hand
    assert contact(run, "jane-doe-2")["warmth"] == "warm"
    run.run("merge", "jane-doe-2", "jane-doe")
    assert contact(run, "jane-doe-2")["warmth"] == "warm"


# -- a meeting note's corrected time ---------------------------------------------------

MEETING_NOTE = """\
---
type: meeting
contact: Lena Vogel
date: {date}
commitments:
  - text: {first}
    due: 2026-11-06
  - text: send the deck
    due: 2026-11-06
---
"""


def lena_with_a_note(run: InProcessCLI, tmp_path: Path, date: str, first: str) -> Path:
    """Lena added, and her meeting note (MEETING_NOTE at ``date``) read: the notes folder."""
    notes = tmp_path / "notes"
    run.now = "2026-10-27T21:00:00Z"
    run.run("add", "Lena Vogel")
    write_note(notes, "lena.md", MEETING_NOTE.format(date=date, first=first))
    watch(run, notes)
    return notes


def promises(run: InProcessCLI) -> list[tuple[str, str]]:
    return sorted((i["commitment"], i["handle"]) for i in run.json("due", "--all")
                  if i["kind"] == "commitment")


def test_two_like_promises_both_keep_their_ids_when_the_time_moves(
        run: InProcessCLI, tmp_path: Path) -> None:
    notes = lena_with_a_note(run, tmp_path, "2026-10-27 16:00", "send the deck")
    before = promises(run)
    assert len(before) == 2 and len(set(before)) == 2
    write_note(notes, "lena.md", MEETING_NOTE.format(date="2026-10-26 15:30",
                                                     first="send the deck"))
    watch(run, notes)
    assert promises(run) == before
    assert contact(run, "lena-vogel")["meetings"] == 1
    same_after_rebuild(run)
    # the time and one text changed at once: that promise is another, the other stays
    write_note(notes, "lena.md", MEETING_NOTE.format(date="2026-10-27 16:00",
                                                     first="send the slides"))
    watch(run, notes)
    after = promises(run)
    assert len(after) == 2 and len(set(before) & set(after)) == 1
    reasons = sorted(i["reason"] for i in run.json("due", "--all") if i["kind"] == "commitment")
    assert reasons == ["promised: send the deck", "promised: send the slides"]
    same_after_rebuild(run)


# -- stats: skipped thank-yous ---------------------------------------------------------


def test_a_skipped_thank_you_then_sent_counts_as_sent(run: InProcessCLI) -> None:
    run.now = "2026-11-02T09:00:00Z"
    run.run("add", "Bo Chen")
    run.run("met", "bo")
    [thanks] = [i for i in run.json("due", "--all") if i["kind"] == "thank-you"]
    run.run("skip", thanks["handle"])
    counted = run.json("stats")["follow_through"]["thanks"]
    assert (counted["skipped"], counted["not_yet"]) == (1, 0)
    assert "skipped" in run.run("stats").out
    run.run("undo")
    counted = run.json("stats")["follow_through"]["thanks"]
    assert (counted["skipped"], counted["not_yet"]) == (0, 1)
    run.run("skip", thanks["handle"])
    run.now = "2026-11-09T09:00:00Z"
    run.run("thank", "bo")
    counted = run.json("stats")["follow_through"]["thanks"]
    assert (counted["skipped"], counted["not_yet"], counted["late"]) == (0, 0, 1)


def test_undo_of_a_promise_kept_through_a_time_correction_names_its_note(
        run: InProcessCLI, tmp_path: Path) -> None:
    notes = lena_with_a_note(run, tmp_path, "2026-10-27 16:00", "introduce her to Ada")
    write_note(notes, "lena.md", MEETING_NOTE.format(date="2026-10-27 15:30",
                                                     first="introduce her to Ada"))
    watch(run, notes)
    promise = promises(run)[0][0]
    undone = run.run("undo", promise)
    assert "the note lena.md still says it" in undone.err
    assert promise not in {p for p, _ in promises(run)}
    # the batch of the CLI's own command: no warning
    run.run("note", "lena-vogel", "likes tea")
    assert run.run("undo").err == ""
