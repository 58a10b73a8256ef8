"""The follow-ups that were missing (schedule, reach-out, unanswered), handles, and closing
any item in one short command: `done`, `skip` and `snooze`, each an event that undo takes back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.shell_completion import ShellComplete

from coffeechat.cli.main import App, cli
from coffeechat.handles import ALPHABET, handle_of, looks_like_handle, shown
from tests.conftest import InProcessCLI

PLUGINS = Path(__file__).parent / "plugins"


def due(run: InProcessCLI, *args: str, **env: str) -> list[dict[str, Any]]:
    return run.json("due", "--all", *args, **env)  # type: ignore[no-any-return]


def item(run: InProcessCLI, kind: str, contact: str | None = None, **env: str
         ) -> dict[str, Any]:
    [found] = [i for i in due(run, **env)
               if i["kind"] == kind and (contact is None or i["contact"] == contact)]
    return found


def kinds(run: InProcessCLI) -> list[tuple[str, str]]:
    return [(i["contact"], i["kind"]) for i in due(run)]


def last_event(run: InProcessCLI, contact: str) -> dict[str, Any]:
    return run.json("show", contact)["timeline"][-1]  # type: ignore[no-any-return]


# -- the new follow-ups ----------------------------------------------------------------------

def test_a_yes_makes_the_contact_accepted_and_schedule_due_until_a_meeting(
        run: InProcessCLI) -> None:
    run.ids("add", "Grace Hopper")
    run.ids("ask", "grace")
    run.now = "2026-11-03T10:00:00Z"
    [yes] = run.ids("answer", "grace", "accepted")
    assert run.json("contacts")[0]["stage"] == "accepted"
    assert run.json("contacts", "--stage", "accepted")[0]["id"] == "grace-hopper"
    schedule = item(run, "schedule")
    assert (schedule["due_at"], schedule["event"]) == ("2026-11-05T10:00:00Z", yes)
    assert schedule["reason"] == "said yes on 2026-11-03, no meeting scheduled"
    run.ids("schedule", "grace", "--at", "2026-11-10T15:00")
    assert run.json("contacts")[0]["stage"] == "scheduled"
    assert [k for _, k in kinds(run)] == ["prep", "record-meeting"]
    [off] = run.ids("cancel", "grace")  # back to accepted: times to send again, from now
    assert run.json("contacts")[0]["stage"] == "accepted"
    rebook = item(run, "schedule")
    assert (rebook["due_at"], rebook["event"]) == ("2026-11-05T10:00:00Z", off)
    assert rebook["reason"] == "meeting cancelled on 2026-11-03, not rebooked"


def test_schedule_days_is_a_setting(run: InProcessCLI) -> None:
    (run.home / "config.toml").write_text("[followups]\nschedule_days = 5\n")
    run.ids("add", "Grace Hopper")
    run.ids("ask", "grace")
    run.ids("answer", "grace", "accepted")
    assert item(run, "schedule")["due_at"] == "2026-11-07T09:00:00Z"


def test_reach_out_for_people_added_by_hand_only(run: InProcessCLI, tmp_path: Path) -> None:
    run.ids("add", "Tara Reach", "--how-met", "PyData meetup")
    run.ids("add", "Priya Natarajan")
    run.ids("refer", "priya", "Bob Smith")  # referred: referral-outreach, not reach-out
    run.run("import", "google", str(Path(__file__).parent / "data" / "google-contacts.csv"))
    found = {(c, k): i for i in due(run) for c, k in [(i["contact"], i["kind"])]}
    assert set(found) == {("tara-reach", "reach-out"), ("bob-smith", "referral-outreach")}
    tara = found[("tara-reach", "reach-out")]
    assert tara["due_at"] == "2026-11-09T09:00:00Z"
    assert tara["reason"] == "added on 2026-11-02, not contacted yet"
    # Imported people are an address book: reach-out only for the tags you choose.
    (run.home / "config.toml").write_text('[followups]\nreach_out_tags = ["Mentors"]\n'
                                          "reach_out_days = 3\n")
    assert ("raj-patel", "reach-out") in kinds(run)
    assert item(run, "reach-out", "tara-reach")["due_at"] == "2026-11-05T09:00:00Z"
    # Reaching out in any way ends it; archiving too.
    run.ids("ask", "tara", "--via", "linkedin")
    run.ids("archive", "raj")
    assert {k for c, k in kinds(run) if c in ("tara-reach", "raj-patel")} == {"nudge"}


def test_a_contact_from_a_note_gets_reach_out(run: InProcessCLI) -> None:
    notes = run.home / "notes"
    notes.mkdir()
    (notes / "lee.md").write_text("---\ntype: contact\ncontact: Lee Park\ndate: 2026-11-01\n"
                                  "---\nMet at the meetup.\n")
    run.run("watch", str(notes), "--once")
    assert item(run, "reach-out", "lee-park")["due_at"] == "2026-11-08T00:00:00Z"


def test_after_the_one_nudge_unanswered_shows_once(run: InProcessCLI) -> None:
    run.ids("add", "Sam Lee")
    [ask] = run.ids("ask", "sam", "--on", "2026-10-10T09:00")
    run.ids("ask", "sam", "--on", "2026-10-17T09:00")  # the nudge
    unanswered = item(run, "unanswered")
    assert (unanswered["due_at"], unanswered["event"], unanswered["overdue"]) == (
        "2026-10-24T09:00:00Z", ask, True)
    assert unanswered["reason"] == ("asked on 2026-10-10 and nudged; no answer yet? archive, "
                                    "or try another channel")
    assert run.json("contacts")[0]["stage"] == "unanswered"
    run.ids("done", unanswered["handle"])
    assert last_event(run, "sam")["type"] == "followup.done"
    assert due(run) == []
    assert run.json("contacts")[0]["stage"] == "unanswered"  # the stage says what it is
    run.ids("undo")
    assert item(run, "unanswered") == unanswered
    # Asking again another way starts a new round.
    run.ids("ask", "sam", "--via", "phone")
    assert [k for _, k in kinds(run)] == ["nudge"]


def test_a_skipped_nudge_still_leads_to_unanswered(run: InProcessCLI) -> None:
    run.ids("add", "Sam Lee")
    run.ids("ask", "sam", "--on", "2026-10-10T09:00")
    nudge = item(run, "nudge")
    run.ids("skip", nudge["handle"], "--on", "2026-10-20T09:00")
    assert item(run, "unanswered")["due_at"] == "2026-10-27T09:00:00Z"


# -- done: each kind records what truthfully closes it -------------------------------------

@pytest.fixture
def everything(run: InProcessCLI) -> InProcessCLI:
    """One open item of every built-in kind, at 2026-11-02T09:00Z."""
    run.ids("add", "Tara Reach")
    run.ids("add", "Priya Natarajan")
    run.ids("refer", "priya", "Bob Smith")
    run.ids("add", "Grace Hopper")
    run.ids("ask", "grace")
    run.ids("answer", "grace", "accepted")
    run.ids("add", "Sam Lee")
    run.ids("ask", "sam", "--via", "linkedin")
    run.ids("add", "Jane Doe")
    run.ids("schedule", "jane", "--at", "2026-11-03T15:00")
    run.ids("add", "Mei Chen")
    run.ids("met", "mei", "--on", "2026-11-02T08:00", "--commitment", "send the deck")
    run.ids("add", "Uma Quiet")
    run.ids("ask", "uma", "--on", "2026-10-10T09:00")
    run.ids("ask", "uma", "--on", "2026-10-17T09:00")
    return run


CLOSING = [
    ("reach-out", "tara-reach", "request.sent", {"channel": "other"}),
    ("referral-outreach", "bob-smith", "request.sent", {"channel": "other"}),
    ("schedule", "grace-hopper", "followup.done", {"kind": "schedule"}),
    ("nudge", "sam-lee", "request.sent", {"channel": "linkedin", "nudge": True}),
    ("prep", "jane-doe", "meeting.prepared", {}),
    ("thank-you", "mei-chen", "thanks.sent", {"channel": "other"}),
    ("commitment", "mei-chen", "commitment.done", {}),
    ("check-in", "mei-chen", "checkin.done", {"channel": "other"}),
    ("unanswered", "uma-quiet", "followup.done", {"kind": "unanswered"}),
]


@pytest.mark.parametrize(("kind", "contact", "event_type", "data"), CLOSING,
                         ids=[c[0] for c in CLOSING])
def test_done_by_handle_records_what_closes_each_kind_and_undo_brings_it_back(
        everything: InProcessCLI, kind: str, contact: str, event_type: str,
        data: dict[str, Any]) -> None:
    run = everything
    before = due(run)
    target = item(run, kind, contact)
    assert looks_like_handle(target["handle"]) and len(target["handle"]) == 4
    [recorded] = run.json("done", target["handle"])["recorded"]
    assert (recorded["type"], recorded["contact"]) == (event_type, contact)
    event = last_event(run, contact)
    assert event["data"].items() >= data.items()
    if event_type == "meeting.prepared":
        assert event["data"]["meeting"] == target["event"]
    if event_type == "commitment.done":
        assert event["data"]["commitment"] == target["commitment"]
    if event_type == "followup.done":
        assert event["data"]["event"] == target["event"]
    after = due(run)
    assert target["handle"] not in {i["handle"] for i in after}
    # Other people's items are untouched, their handles too.
    assert [i for i in after if i["contact"] != contact] == [
        i for i in before if i["contact"] != contact]
    run.ids("undo")
    assert due(run) == before


def test_done_takes_the_old_form_and_says_what_is_wrong(everything: InProcessCLI) -> None:
    run = everything
    commitment = item(run, "commitment")["commitment"]
    run.ids("done", commitment[:20])
    assert "commitment" not in {i["kind"] for i in due(run)}
    assert "already done" in run.run("done", commitment, expect=1).err
    err = run.run("done", "zzzz", expect=1).err
    assert err == "coffeechat: error: HANDLE: no open follow-up has handle 'zzzz' " \
                  "(see `coffeechat due`)\n"
    err = run.run("done", "tr7", expect=1).err  # a handle typed short
    assert err == "coffeechat: error: HANDLE: no open follow-up has handle or event id " \
                  "'tr7', and no commitment id starts with it (handles have 4 characters): " \
                  "see `coffeechat due`\n"
    thank = item(run, "thank-you")
    err = run.run("done", thank["handle"], "--on", "2026-11-01", expect=1).err
    assert "--on:" in err and "before the meeting it thanks for" in err



def test_done_takes_the_cause_event_id_as_skip_and_snooze_do(everything: InProcessCLI) -> None:
    run = everything
    nudge = item(run, "nudge", "sam-lee")
    [recorded] = run.json("done", nudge["event"][:13])["recorded"]  # (a start of the ask's id)
    assert (recorded["type"], recorded["contact"]) == ("request.sent", "sam-lee")
    assert nudge["handle"] not in {i["handle"] for i in due(run)}
    # A meeting causes a thank-you and a check-in: its id names both, and the error says so.
    thank = item(run, "thank-you", "mei-chen")
    err = run.run("done", thank["event"], expect=1).err
    assert "names several open follow-ups" in err and "give the handle" in err

def test_done_help_names_the_event_of_every_kind(run: InProcessCLI) -> None:
    text = " ".join(run.run("done", "--help").out.split())
    for kind, event in [("thank-you", "thanks.sent"), ("nudge", "request.sent"),
                        ("prep", "meeting.prepared"), ("commitment", "commitment.done"),
                        ("check-in", "checkin.done"), ("reach-out", "request.sent"),
                        ("schedule", "followup.done"), ("unanswered", "followup.done")]:
        assert kind in text and event in text


def test_a_plugin_kind_is_closed_skipped_and_snoozed_like_the_others(run: InProcessCLI
                                                                      ) -> None:
    env = {"COFFEECHAT_LOAD_PLUGINS": "api_rule"}
    plugins = ("--plugins-dir", str(PLUGINS))
    run.run("add", "Mei Chen")
    run.run("met", "mei", "--on", "2026-11-01T10:00")
    listed = run.json(*plugins, "due", "--all", **env)
    [write_up] = [i for i in listed if i["kind"] == "write-up"]
    run.run(*plugins, "snooze", write_up["handle"], "2026-11-20", **env)
    [snoozed] = [i for i in run.json(*plugins, "due", "--all", **env) if i["kind"] == "write-up"]
    assert (snoozed["due_at"], snoozed["handle"]) == ("2026-11-20T23:59:59Z", write_up["handle"])
    run.run(*plugins, "done", write_up["handle"], **env)
    assert last_event(run, "mei")["type"] == "followup.done"
    assert "write-up" not in {i["kind"] for i in run.json(*plugins, "due", "--all", **env)}


# -- skip and snooze ------------------------------------------------------------------------

def test_skip_and_snooze_by_handle_and_by_old_forms_and_undo(everything: InProcessCLI) -> None:
    run = everything
    before = due(run)
    nudge = item(run, "nudge")
    run.ids("skip", nudge["handle"], "--reason", "met her at the meetup instead")
    event = last_event(run, "sam")
    assert event["type"] == "followup.skipped"
    assert event["data"] == {"kind": "nudge", "event": nudge["event"],
                             "reason": "met her at the meetup instead"}
    assert "nudge" not in {i["kind"] for i in due(run)}
    run.ids("undo")
    assert due(run) == before
    # The old forms: a commitment id, any item's cause event id (a start of either).
    commitment = item(run, "commitment")
    run.ids("snooze", commitment["commitment"][:20], "2026-11-20")
    snoozed = item(run, "commitment")
    assert snoozed["due_at"] == "2026-11-20T23:59:59Z"  # a date: the end of that day
    assert snoozed["handle"] == commitment["handle"]  # same item, same handle
    prep = item(run, "prep")
    run.ids("skip", prep["event"][:24])
    assert "prep" not in {i["kind"] for i in due(run)}
    run.ids("undo")
    run.ids("undo")
    assert due(run) == before
    # A snooze earlier than the due time would change nothing: refused; a later one moves it.
    check_in = item(run, "check-in")
    assert "not later than" in run.run("snooze", check_in["handle"], "+1d", expect=1).err
    assert item(run, "check-in")["due_at"] == check_in["due_at"]
    run.ids("snooze", check_in["handle"], "2027-03-01T10:00")
    assert item(run, "check-in")["due_at"] == "2027-03-01T10:00:00Z"


def test_snooze_and_skip_say_what_is_wrong(everything: InProcessCLI) -> None:
    run = everything
    recorded = run.count()
    nudge = item(run, "nudge")
    err = run.run("snooze", nudge["handle"], "2026-10-01", expect=1).err
    assert err.startswith("coffeechat: error: DATE: 2026-10-01 23:59 has passed")
    err = run.run("snooze", nudge["handle"], "someday", expect=1).err
    assert "DATE: cannot read 'someday'" in err
    err = run.run("skip", "ffffffff", expect=1).err
    assert err == "coffeechat: error: HANDLE: no open follow-up has handle 'ffffffff' " \
                  "(see `coffeechat due`)\n"
    err = run.run("snooze", "0123456789", "+1d", expect=1).err
    assert err == "coffeechat: error: HANDLE: no open follow-up has handle or event id " \
                  "'0123456789' (see `coffeechat due`)\n"
    err = run.run("skip", "0", expect=1).err  # every event id starts so
    assert "names several open follow-ups" in err
    assert run.count() == recorded


def test_a_skipped_check_in_skips_that_round_only(run: InProcessCLI) -> None:
    run.ids("add", "Mei Chen")
    run.ids("met", "mei", "--on", "2026-08-01T10:00")
    run.ids("thank", "mei", "--on", "2026-08-01T12:00")
    check_in = item(run, "check-in")
    assert check_in["due_at"] == "2026-10-30T12:00:00Z"
    [skip] = run.ids("skip", check_in["handle"])
    next_round = item(run, "check-in")
    assert (next_round["due_at"], next_round["event"]) == ("2027-01-31T09:00:00Z", skip)
    assert next_round["reason"] == "check-in skipped on 2026-11-02"
    assert next_round["handle"] != check_in["handle"]


def test_as_of_before_a_skip_shows_the_item(everything: InProcessCLI) -> None:
    run = everything
    before = due(run)
    run.now = "2026-11-02T12:00:00Z"
    run.ids("skip", item(run, "reach-out")["handle"])
    assert "reach-out" not in {i["kind"] for i in due(run)}
    shown_then = due(run, "--as-of", "2026-11-02T11:00:00Z")
    assert "reach-out" in {i["kind"] for i in shown_then}
    assert {i["handle"] for i in shown_then} == {i["handle"] for i in before}


# -- handles ----------------------------------------------------------------------------------

def test_handles_are_shown_first_and_in_json(everything: InProcessCLI) -> None:
    run = everything
    out = run.run("due", "--all").out.splitlines()
    assert out[0].split()[:3] == ["HANDLE", "DUE", "WHEN"]
    items = due(run)
    assert [line.split()[0] for line in out[1:]] == [i["handle"] for i in items]
    assert len({i["handle"] for i in items}) == len(items)
    assert all(set(i["handle"]) <= set(ALPHABET) for i in items)
    shown_items = run.json("show", "mei")["followups"]
    assert {i["handle"] for i in shown_items} <= {i["handle"] for i in items}


def test_handles_survive_a_rebuild_another_store_and_other_items(
        everything: InProcessCLI, tmp_path: Path) -> None:
    run = everything
    before = {(i["contact"], i["kind"], i["event"]): i["handle"] for i in due(run)}
    run.run("rebuild")
    assert {(i["contact"], i["kind"], i["event"]): i["handle"] for i in due(run)} == before
    # Another device that merges the same events gives the same handles.
    export = tmp_path / "log.jsonl"
    run.run("export", "jsonl", "--out", str(export))
    other_home = tmp_path / "other"
    other_home.mkdir()
    other = InProcessCLI(other_home)
    other.now = run.now
    other.run("import", "jsonl", str(export))
    assert {(i["contact"], i["kind"], i["event"]): i["handle"] for i in due(other)} == before
    # Stable while other items open and close.
    run.ids("add", "New Person")
    run.ids("done", item(run, "prep")["handle"])
    run.ids("thank", "mei")
    after = {(i["contact"], i["kind"], i["event"]): i["handle"] for i in due(run)}
    for key, handle in after.items():
        assert before.get(key, handle) == handle


def test_names_in_reasons_are_names_now(run: InProcessCLI) -> None:
    run.ids("add", "Priya Natarajan")
    run.ids("refer", "priya", "Bob Smith")
    outreach = item(run, "referral-outreach")
    assert outreach["reason"] == "introduced by Priya Natarajan on 2026-11-02"
    assert outreach["contact"] == "bob-smith"
    assert "introduced by Priya Natarajan" in run.run("due").out
    run.ids("edit", "priya", "--name", "Priya N. Rao")
    assert item(run, "referral-outreach")["reason"] == "introduced by Priya N. Rao on 2026-11-02"


def _colliding(contact: str, kind: str) -> tuple[str, str]:
    """Two cause events whose items' handles share their first four characters."""
    seen: dict[str, str] = {}
    for n in range(100_000):
        event = f"e{n}"
        short = handle_of(contact, kind, event)[:4]
        if short in seen:
            return seen[short], event
        seen[short] = event
    raise AssertionError("no collision found")


def test_colliding_handles_show_eight_characters(run: InProcessCLI, tmp_path: Path) -> None:
    first, second = _colliding("jane-doe", "ping")
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "pings.py").write_text(f'''
import coffeechat


def pings(state):
    if state.id == "jane-doe" and state.added_at:
        yield coffeechat.FollowUp(state.id, "ping", "2026-11-03T09:00:00Z", "ping", {first!r})
        yield coffeechat.FollowUp(state.id, "ping", "2027-06-01T09:00:00Z", "later", {second!r})


@coffeechat.hookimpl
def register_followup_rules(register):
    register("ping", pings)
''')
    env = {"COFFEECHAT_LOAD_PLUGINS": "pings"}
    plugins = ("--plugins-dir", str(folder))
    run.run("add", "Jane Doe")
    long_one, long_two = handle_of("jane-doe", "ping", first), handle_of("jane-doe", "ping",
                                                                         second)
    # The second is not within a week, yet the first shows all eight characters.
    [soon] = [i for i in run.json(*plugins, "due", **env) if i["kind"] == "ping"]
    assert soon["handle"] == long_one
    err = run.run(*plugins, "done", long_one[:4], expect=1, **env).err
    assert "names several open follow-ups" in err and long_one in err and long_two in err
    run.run(*plugins, "done", long_one, **env)
    [left] = [i for i in run.json(*plugins, "due", "--all", **env) if i["kind"] == "ping"]
    assert left["handle"] == long_two[:4]  # alone again: four characters


def test_the_handle_functions() -> None:
    handle = handle_of("jane-doe", "thank-you", "01a2-event")
    assert len(handle) == 8 and set(handle) <= set(ALPHABET)
    assert handle == handle_of("jane-doe", "thank-you", "01a2-event")
    assert handle != handle_of("jane-doe", "thank-you", "01a2-event", "01a2-c")
    assert not {"0", "1", "i", "l", "o"} & set(ALPHABET) and len(ALPHABET) == 31
    assert shown(handle, False) == handle[:4]
    assert shown(handle, True) == handle
    assert looks_like_handle("k7mq") and not looks_like_handle("01a2") \
        and not looks_like_handle("k7m")


# -- daylight saving ------------------------------------------------------------------------

def test_days_are_calendar_days_and_hours_real_hours_across_daylight_saving(
        run: InProcessCLI) -> None:
    new_york = {"TZ": "America/New_York"}
    run.now = "2026-08-10T14:00:00Z"
    run.run("add", "Jo Park", **new_york)
    run.run("met", "jo", "--on", "2026-08-10T10:00", **new_york)  # 10:00 EDT
    run.run("thank", "jo", **new_york)  # 10:00 EDT: the last touch
    # 90 days later is 10:00 on 8 November, in EST by then: 15:00 UTC, not 14:00.
    assert item(run, "check-in", **new_york)["due_at"] == "2026-11-08T15:00:00Z"
    assert "2026-11-08 10:00" in run.run("due", "--all", **new_york).out
    # Another zone, other wall times: the follow-ups are recomputed for it.
    assert item(run, "check-in")["due_at"] == "2026-11-08T14:00:00Z"
    # A thank-you stays 24 real hours, across the change (1 November 2026).
    run.now = "2026-10-31T15:00:00Z"
    run.run("met", "jo", "--on", "2026-10-31T10:00", **new_york)  # 14:00 UTC
    assert item(run, "thank-you", **new_york)["due_at"] == "2026-11-01T14:00:00Z"  # 09:00 EST


# -- completion -------------------------------------------------------------------------------

def test_done_skip_and_snooze_complete_handles(everything: InProcessCLI,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    run = everything
    run.ids("add", "Bea Day", "--birthday", "11-04")  # (worked out when read: not projected)
    items = due(run)
    assert "birthday" in {i["kind"] for i in items}
    monkeypatch.setenv("COFFEECHAT_DB", str(run.db))
    monkeypatch.setenv("COFFEECHAT_NOW", run.now)

    def completions(args: list[str], incomplete: str) -> dict[str, str | None]:
        complete = ShellComplete(cli, {"obj": App()}, "coffeechat", "_COFFEECHAT_COMPLETE")
        return {i.value: i.help for i in complete.get_completions(args, incomplete)}

    for command in ("done", "skip", "snooze"):
        assert set(completions([command], "")) == {i["handle"] for i in items}
    prep = item(run, "prep")
    assert completions(["skip"], prep["handle"][:3]).get(prep["handle"], "").startswith(
        "Jane Doe: prep, meeting on 2026-11-03 15:00")
    run.ids("skip", prep["handle"])  # (the projections catch up on the next read)
    assert prep["handle"] not in completions(["snooze"], "")
