"""Session 8 review of the session's behaviour changes (tests only).

Each test attacks one change of this session (the rebook after a cancel, the nudge
that crossed an answer, the day of an introduction, answer/cancel/thank ``--on``
refused before their cause, the record-meeting item, prepared carried over a
move, the warning of ``schedule`` over a scheduled meeting, text that is not
UTF-8, the sealed contact a plugin's rule reads, LinkedIn's Connected On) the way
a careful user or an adversary would: undo and redo, back-dated ``--on``, merges,
a full ``rebuild`` against the incremental views, the notes folder, ``--json``.
The bugs found were strict xfails naming what was wrong; all are fixed now, and the
tests guard the fixes. The others guard behaviour.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.conftest import InProcessCLI
from tests.test_email import Inbox, inbox  # noqa: F401 - a fixture
from tests.test_email import configure as configure_mail
from tests.test_session7_stateful import rebuilt
from tests.test_session8_plugin_author import plugins_folder


def due(run: InProcessCLI, *args: str, **env: str) -> list[dict[str, Any]]:
    return run.json("due", "--all", *args, **env)  # type: ignore[no-any-return,unused-ignore]


def kinds(run: InProcessCLI, contact: str | None = None) -> list[str]:
    return [i["kind"] for i in due(run) if contact is None or i["contact"] == contact]


def one(run: InProcessCLI, kind: str, contact: str | None = None) -> dict[str, Any]:
    [found] = [i for i in due(run) if i["kind"] == kind
               and (contact is None or i["contact"] == contact)]
    return found


def show(run: InProcessCLI, contact: str) -> dict[str, Any]:
    return run.json("show", contact)  # type: ignore[no-any-return,unused-ignore]


def views(run: InProcessCLI) -> tuple[Any, Any]:
    return due(run), run.json("contacts")


def same_after_rebuild(run: InProcessCLI) -> None:
    assert due(run) == rebuilt(run, "due", "--all")
    assert run.json("contacts") == rebuilt(run, "contacts")


def last_id(run: InProcessCLI) -> str:
    return str(run.json("log")[-1]["id"])




# -- bugs found (strict xfails when written; fixed since) ------------------------------------------


def test_a_schedule_dated_before_the_current_one_is_not_recorded_to_no_effect(
        run: InProcessCLI) -> None:
    run.run("add", "Grace Hopper")
    run.now = "2026-11-03T09:00:00Z"
    run.run("schedule", "grace", "--at", "2026-11-20T15:00")
    before = run.count()
    result = run.run("schedule", "grace", "--at", "2026-11-25T15:00", "--on", "2026-11-02T12:00",
                     expect=None)
    refused = result.code == 1 and run.count() == before
    moved = one(run, "record-meeting")["due_at"].startswith("2026-11-25")
    assert refused or moved


def test_a_merged_contact_brings_its_current_details_not_its_first(run: InProcessCLI) -> None:
    run.run("add", "Robert Smith")
    run.run("add", "Priya Natarajan")
    run.run("add", "Raj Kumar")
    run.run("add", "Bob Smith", "--company", "Acme", "--referred-by", "priya")
    run.now = "2026-11-05T09:00:00Z"
    run.run("edit", "bob", "--company", "Globex", "--referred-by", "raj")  # I had it wrong
    assert (show(run, "bob")["company"], show(run, "bob")["referred_by"]) == ("Globex", "raj-kumar")
    run.run("merge", "robert", "bob")
    robert = show(run, "robert")
    assert (robert["company"], robert["referred_by"]) == ("Globex", "raj-kumar")
    assert one(run, "referral-outreach", "robert-smith")["reason"] == \
        "introduced by Raj Kumar on 2026-11-05"


def test_a_thank_you_for_the_first_of_two_meetings_can_be_recorded_late(
        run: InProcessCLI) -> None:
    run.run("add", "Grace Hopper")
    run.run("met", "grace", "--on", "2026-11-01T10:00")
    run.now = "2026-11-05T09:00:00Z"
    run.run("met", "grace")  # a second coffee; I forgot to log the first thank-you
    run.run("thank", "grace", "--on", "2026-11-01T18:00")
    assert run.json("stats")["follow_through"]["thanks"]["on_time"] == 1


def test_a_thank_you_for_a_coffee_before_a_weekly_call_is_not_refused(run: InProcessCLI) -> None:
    from tests.test_calendar import DATA, configure

    configure(run)
    run.now = "2026-11-27T12:00:00Z"
    run.run("import", "ics", str(DATA / "invite-google-weekly.ics"))  # Tue 1 Dec 15:00 UTC
    run.run("met", "samira", "--on", "2026-11-27T10:00")  # a coffee, not the weekly call
    run.now = "2026-12-01T16:00:00Z"
    run.run("met", "samira")  # the weekly call, held
    assert "thank-you" not in kinds(run)  # (a weekly call asks for no thanks)
    run.run("thank", "samira", "--on", "2026-11-27T18:00")  # what I sent after the coffee


def test_a_rule_may_copy_the_contact_it_reads(run: InProcessCLI, tmp_path: Path) -> None:
    folder = plugins_folder(tmp_path, {"copier": '''
import copy
import coffeechat

def rule(state):
    mine = copy.copy(state)
    yield coffeechat.FollowUp(mine.id, "copied", "2026-11-09T09:00:00Z", "copied", mine.added_id)

@coffeechat.hookimpl
def register_followup_rules(register):
    register("copied", rule)
'''})
    run.run("add", "Grace Hopper")
    result = run.run("--plugins-dir", str(folder), "due", "--all", "--json",
                     COFFEECHAT_LOAD_PLUGINS="copier")
    assert "copied" in [i["kind"] for i in result.json()], result.err
    assert result.err == ""


def test_a_connected_on_refused_is_outside_the_range_the_message_names(
        run: InProcessCLI, tmp_path: Path) -> None:
    path = tmp_path / "Connections.csv"
    path.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                    "Cy,Do,https://www.linkedin.com/in/cy,,Acme,CTO,01 Jan 1900\n")
    result = run.run("import", "linkedin", str(path), expect=None, TZ="Asia/Tokyo")
    # (kept in UTC, where it is the day before: the message says so)
    assert result.code == 0 or "'01 Jan 1900' is 1899-12-31 in UTC" in result.err, result.err


def test_two_plugins_adding_the_same_command_are_told_of(run: InProcessCLI,
                                                         tmp_path: Path) -> None:
    source = '''
import click
import coffeechat

@click.command("hello")
def hello():
    """Say hello from {name}."""
    click.echo("{name}")

@coffeechat.hookimpl
def register_commands(cli):
    cli.add_command(hello)
'''
    folder = plugins_folder(tmp_path, {n: source.replace("{name}", n) for n in ("pa", "pb")})
    result = run.run("--plugins-dir", str(folder), "hello", COFFEECHAT_LOAD_PLUGINS="pa,pb")
    assert result.out.strip() in ("pa", "pb")
    assert "hello" in result.err and "warning" in result.err


def test_done_by_the_scheduling_id_after_the_meeting_points_at_the_record_item(
        run: InProcessCLI) -> None:
    run.run("add", "Jane Doe")
    [scheduled] = run.json("schedule", "jane", "--at", "2026-11-03T15:00")["recorded"]
    run.now = "2026-11-04T09:00:00Z"
    handle = one(run, "record-meeting")["handle"]
    result = run.run("done", scheduled["id"], expect=1)
    assert handle in result.err or "record-meeting" in result.err, result.err


def test_a_move_logged_late_keeps_the_prep_done_in_between(run: InProcessCLI) -> None:
    run.run("add", "Jane Doe")
    run.run("schedule", "jane", "--at", "2026-11-20T15:00")
    run.now = "2026-11-04T09:00:00Z"
    run.run("done", one(run, "prep")["handle"])  # questions written
    run.now = "2026-11-05T09:00:00Z"
    # she had moved it by a day on the 3rd; I log that now
    run.run("schedule", "jane", "--at", "2026-11-21T15:00", "--on", "2026-11-03T09:00")
    assert kinds(run) == ["record-meeting"]


def two_janes_each_with_a_meeting(run: InProcessCLI) -> None:
    """Jane Doe (meeting on Nov 20) and Jane D (Nov 25, scheduled a day later): one person."""
    run.run("add", "Jane Doe")
    run.run("add", "Jane D")
    run.run("schedule", "jane-doe", "--at", "2026-11-20T15:00")
    run.now = "2026-11-03T09:00:00Z"
    run.run("schedule", "jane-d", "--at", "2026-11-25T15:00")


def test_a_merge_that_drops_a_scheduled_meeting_says_so(run: InProcessCLI) -> None:
    two_janes_each_with_a_meeting(run)
    result = run.run("merge", "jane-doe", "jane-d")
    kept = [i["due_at"][:10] for i in due(run) if i["kind"] == "record-meeting"]
    assert "2026-11-20" in kept or "2026-11-20" in result.err


# -- guards: what the changes promise, held under undo, rebuild, merges and other doors ------------


def test_prepared_survives_a_move_and_each_undo_is_exact(run: InProcessCLI) -> None:
    run.run("add", "Jane Doe")
    run.run("schedule", "jane", "--at", "2026-11-10T15:00")
    run.run("done", one(run, "prep")["handle"])
    run.now = "2026-11-03T09:00:00Z"
    moved = run.run("schedule", "jane", "--at", "2026-11-12T15:00")
    assert "Jane Doe's meeting on 2026-11-10 15:00 is now on 2026-11-12 15:00" in moved.err
    assert kinds(run) == ["record-meeting"]  # still prepared
    same_after_rebuild(run)
    run.run("undo")  # the move: back to the 10th, prepared
    assert [(i["kind"], i["due_at"]) for i in due(run)] == \
        [("record-meeting", "2026-11-10T15:30:00Z")]
    run.run("schedule", "jane", "--at", "2026-11-12T15:00")
    prep = next(e["id"] for e in run.json("log") if e["type"] == "meeting.prepared")
    run.run("undo", prep)  # the prep itself: the moved meeting needs one again
    assert kinds(run) == ["prep", "record-meeting"]
    same_after_rebuild(run)


def test_a_meeting_cancelled_after_its_prep_leaves_the_next_one_to_prepare(
        run: InProcessCLI) -> None:
    run.run("add", "Jane Doe")
    run.run("schedule", "jane", "--at", "2026-11-20T15:00")
    run.run("done", one(run, "prep")["handle"])
    run.run("cancel", "jane")
    run.now = "2026-11-03T09:00:00Z"
    run.run("schedule", "jane", "--at", "2026-11-25T15:00")
    assert kinds(run) == ["prep", "record-meeting"]


def test_the_nudge_that_crossed_a_yes_counts_again_when_the_yes_is_undone(
        run: InProcessCLI) -> None:
    run.run("add", "Grace Hopper")
    run.run("ask", "grace")
    run.now = "2026-11-09T09:00:00Z"
    run.run("ask", "grace")  # the nudge
    run.now = "2026-11-10T09:00:00Z"
    run.run("answer", "grace", "accepted", "--on", "2026-11-08T18:00")
    assert (show(run, "grace")["stage"], kinds(run)) == ("accepted", ["schedule"])
    run.run("undo")  # not her answer after all: the nudge was sent, no second one due
    assert show(run, "grace")["stage"] == "asked"
    assert [(i["kind"], i["due_at"]) for i in due(run)] == \
        [("unanswered", "2026-11-16T09:00:00Z")]
    same_after_rebuild(run)


def test_the_day_of_an_introduction_follows_the_edits_of_the_referrer(
        run: InProcessCLI) -> None:
    run.run("add", "Priya Natarajan")
    run.run("add", "Raj Kumar")
    run.run("add", "Bob Smith")
    assert kinds(run, "bob-smith") == ["reach-out"]

    def outreach() -> tuple[str, str]:
        item = one(run, "referral-outreach", "bob-smith")
        return item["reason"], item["due_at"]

    run.now = "2026-11-04T09:00:00Z"
    run.run("edit", "bob", "--referred-by", "priya")
    first = ("introduced by Priya Natarajan on 2026-11-04", "2026-11-11T09:00:00Z")
    assert outreach() == first
    run.now = "2026-11-06T09:00:00Z"
    run.run("edit", "bob", "--referred-by", "priya")  # the same referrer: the same day
    assert outreach() == first
    run.run("edit", "bob", "--role", "CTO")  # another field: the same day
    assert outreach() == first
    run.run("edit", "bob", "--referred-by", "raj")
    assert outreach() == ("introduced by Raj Kumar on 2026-11-06", "2026-11-13T09:00:00Z")
    same_after_rebuild(run)
    run.run("undo")
    assert outreach() == first
    same_after_rebuild(run)


def test_a_merge_of_a_referral_then_its_undo_gives_back_every_view(run: InProcessCLI) -> None:
    run.now = "2026-10-01T09:00:00Z"
    run.run("add", "Robert Smith")
    run.now = "2026-11-02T09:00:00Z"
    run.run("add", "Priya Natarajan")
    run.now = "2026-11-10T09:00:00Z"
    run.run("refer", "priya", "Bob Smith")
    before = views(run)
    run.run("merge", "robert", "bob")
    assert one(run, "referral-outreach", "robert-smith")["due_at"] == "2026-11-17T09:00:00Z"
    same_after_rebuild(run)
    run.run("undo")
    assert views(run) == before
    same_after_rebuild(run)


def test_answer_and_cancel_refused_before_their_cause_leave_the_log_alone(
        run: InProcessCLI) -> None:
    run.run("add", "Grace Hopper")
    run.run("ask", "grace")
    run.now = "2026-11-05T09:00:00Z"
    run.run("answer", "grace", "declined")
    run.now = "2026-11-10T09:00:00Z"
    run.run("ask", "grace")  # asked again: the answer must follow this ask
    before = run.count()
    err = run.run("answer", "grace", "accepted", "--on", "2026-11-06", expect=1).err
    assert err.startswith("coffeechat: error: --on: ") and len(err.splitlines()) == 1
    run.run("answer", "grace", "accepted")
    run.run("schedule", "grace", "--at", "2026-11-20T15:00")
    err = run.run("cancel", "grace", "--on", "2026-11-09", expect=1).err
    assert "before the meeting was scheduled" in err and len(err.splitlines()) == 1
    assert run.count() == before + 2


def test_a_meeting_note_closes_the_record_meeting_item_and_its_deletion_reopens_it(
        run: InProcessCLI, tmp_path: Path) -> None:
    run.run("add", "Jane Doe")
    run.run("schedule", "jane", "--at", "2026-11-10T15:00")
    run.now = "2026-11-11T09:00:00Z"
    item = one(run, "record-meeting")
    assert item["overdue"] and item["due_at"] == "2026-11-10T15:30:00Z"
    notes = tmp_path / "notes"
    notes.mkdir()
    note = notes / "jane.md"
    note.write_text("---\ntype: meeting\ncontact: Jane Doe\ndate: 2026-11-10 15:00\n---\n"
                    "She leads the data team.\n")
    run.run("watch", str(notes), "--once")
    assert kinds(run) == ["thank-you", "check-in"]
    same_after_rebuild(run)
    note.unlink()
    run.run("watch", str(notes), "--once")
    assert [(i["kind"], i["handle"]) for i in due(run)] == [("record-meeting", item["handle"])]


def test_the_record_meeting_item_everywhere_a_user_reads(run: InProcessCLI,
                                                         tmp_path: Path) -> None:
    run.run("add", "Jane Doe", "--email", "jane@example.com")
    run.run("schedule", "jane", "--at", "2026-11-02T15:00", "--minutes", "45")
    run.now = "2026-11-03T09:00:00Z"
    item = one(run, "record-meeting")
    assert item["due_at"] == "2026-11-02T15:45:00Z"  # when it was to end
    assert [i["handle"] for i in run.json("today")["overdue"]] == [item["handle"]]
    assert f"[{item['handle']}]" in run.run("today").out
    assert run.json("stats")["follow_through"]["thanks"]["meetings"] == 0  # none held
    run.run("report", "--out", str(tmp_path / "report.html"))
    out = tmp_path / "coffeechat.ics"
    run.run("export", "ics", "--out", str(out))
    assert "SUMMARY:record-meeting: Jane Doe" in out.read_text()
    run.run("archive", "jane")
    assert due(run) == []
    run.run("undo")
    run.run("snooze", item["handle"], "2026-11-05")
    assert one(run, "record-meeting")["due_at"] == "2026-11-05T23:59:59Z"
    run.run("skip", item["handle"])
    assert due(run) == []
    run.run("schedule", "jane", "--at", "2026-11-12T15:00")  # rebooked: a new item
    assert kinds(run) == ["prep", "record-meeting"]
    assert one(run, "record-meeting")["handle"] != item["handle"]
    run.run("undo")
    assert due(run) == []  # the skip stands for the old meeting
    same_after_rebuild(run)


def test_the_move_warning_keeps_stdout_one_json_document(run: InProcessCLI) -> None:
    run.run("add", "Jane Doe")
    run.run("schedule", "jane", "--at", "2026-11-10T15:00")
    same = run.run("schedule", "jane", "--at", "2026-11-10T15:00", "--json")
    assert same.err == ""  # the same time again: nothing moved, nothing to say
    moved = run.run("schedule", "jane", "--at", "2026-11-11T15:00", "--json", NO_COLOR="1")
    assert [r["type"] for r in moved.json()["recorded"]] == ["meeting.scheduled"]
    assert moved.err.startswith("coffeechat: warning: Jane Doe's meeting on 2026-11-10 15:00")
    assert len(moved.err.splitlines()) == 1 and "\x1b" not in moved.err


def test_a_thank_you_sent_dated_before_the_meeting_is_refused_before_it_is_sent(
        run: InProcessCLI, inbox: tuple[Inbox, int]) -> None:  # noqa: F811
    box, port = inbox
    configure_mail(run, port)
    run.run("add", "Jane Doe", "--email", "jane@example.com")
    run.run("met", "jane")
    run.now = "2026-11-03T09:00:00Z"
    before = run.count()
    err = run.run("thank", "jane", "--send", "--on", "2026-11-01", expect=1).err
    assert "before the meeting it thanks for" in err
    assert (box.messages, run.count()) == ([], before)
    run.run("thank", "jane", "--send")
    assert len(box.messages) == 1


def test_a_note_whose_file_name_is_not_utf8_is_one_error_and_the_rest_recorded(
        run: InProcessCLI, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / os.fsdecode(b"caf\xe9.md")).write_text("---\ntype: contact\ncontact: Ann Lee\n---\n")
    (notes / "bob.md").write_text("---\ntype: contact\ncontact: Bob Ray\n---\n")
    result = run.run("watch", str(notes), "--once", expect=None)
    assert "its name is not UTF-8 text" in result.err and "Traceback" not in result.err
    assert [c["name"] for c in run.json("contacts")] == ["Bob Ray"]


def test_a_lone_surrogate_in_an_imported_log_is_refused_whole(run: InProcessCLI,
                                                             tmp_path: Path) -> None:
    run.run("add", "Jane Doe")
    [line] = run.run("export", "jsonl").out.splitlines()
    event = json.loads(line)
    event.update(id="01a22d59-0000-7000-8000-000000000001", stream="contact:jane-x", hash=None)
    event["data"]["name"] = "Jane \udcff"  # written as the JSON escape \udcff
    forged = json.dumps({k: v for k, v in event.items() if v is not None})
    assert "\\udcff" in forged
    path = tmp_path / "forged.jsonl"
    path.write_text(forged + "\n")
    before = run.count()
    err = run.run("import", "jsonl", str(path), expect=1).err
    assert len(err.splitlines()) == 1 and "nothing was imported" in err
    assert "surrogate" in err
    assert run.count() == before


RULE_THAT_PRIES = '''
import coffeechat

KEPT = []

def pry(state):
    assert isinstance(state, coffeechat.ContactState)
    KEPT.append(state)
    for target in KEPT:  # one kept from another contact's turn too
        for attempt in (lambda: setattr(target, "name", "Mallory"),
                        lambda: target.tags.append("pwned"),
                        lambda: target.prepared.add("x"),
                        lambda: target.dates.update(x="2020-01-01")):
            try:
                attempt()
            except (AttributeError, TypeError):
                pass
    return ()

@coffeechat.hookimpl
def register_followup_rules(register):
    register("pry", pry)
'''


def test_a_rule_that_keeps_and_pries_at_its_contacts_changes_no_view(
        run: InProcessCLI, tmp_path: Path) -> None:
    folder = plugins_folder(tmp_path, {"pry": RULE_THAT_PRIES})
    run.run("add", "Jane Doe", "--tag", "mentor")
    run.run("add", "Ann Lee")
    run.run("schedule", "jane", "--at", "2026-11-10T15:00")
    before = views(run)
    result = run.run("--plugins-dir", str(folder), "note", "ann", "hi",
                     COFFEECHAT_LOAD_PLUGINS="pry")
    assert "failed" not in result.err, result.err
    run.run("--plugins-dir", str(folder), "rebuild", COFFEECHAT_LOAD_PLUGINS="pry")
    after = views(run)
    assert after[1] == before[1] and after[0] == before[0]
    assert show(run, "jane")["tags"] == ["mentor"]
