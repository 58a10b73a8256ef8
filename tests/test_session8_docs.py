"""Session 8's behaviour changes, read from the docs alone and run for real.

Each test takes one statement of docs/user-guide.md, docs/events.md,
docs/calendar.md, docs/plugins.md, docs/guarantees.md or a command's --help
about what changed this session (the record-meeting item, the warnings of
`schedule` and `merge`, the `--on` and snooze refusals, the rebook after a
yes, referral-outreach's day, merges filling details, text that is not UTF-8,
plugin warnings) and checks that the CLI does what it says. The docs that were
missing or wrong when this was written (strict xfails naming the file and line)
are mended; the tests keep them so.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from tests.conftest import InProcessCLI, Result

DOCS = Path(__file__).resolve().parent.parent / "docs"


def doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def refused(run: InProcessCLI, *args: str, says: str) -> Result:
    """A one-line error naming what, exit 1, and the log untouched."""
    before = run.count()
    result = run.run(*args, expect=1)
    assert result.err.startswith("coffeechat: error: "), result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert says in result.err, result.err
    assert run.count() == before
    return result


def item(run: InProcessCLI, kind: str, *args: str) -> dict[str, object]:
    [found] = [i for i in run.json("due", "--all", *args) if i["kind"] == kind]
    return found


def help_text(run: InProcessCLI, command: str) -> str:
    return " ".join(run.run(command, "--help", COLUMNS="200").out.split())


# -- record-meeting -------------------------------------------------------------------------

def test_record_meeting_is_due_at_the_end_in_the_contract_shape_and_done_records_it_held(
        run: InProcessCLI) -> None:
    """events.md "Follow-ups at a glance"; ../shared/CLI.md's due --json shape;
    done --help: record-meeting records meeting.held at the meeting's time."""
    run.run("add", "Jane Doe")
    run.run("schedule", "jane", "--at", "2026-11-10T15:00", "--minutes", "45")
    found = item(run, "record-meeting")
    assert set(found) == {"contact", "name", "kind", "due_at", "overdue", "reason", "event",
                          "handle"}
    assert found["due_at"] == "2026-11-10T15:45:00Z" and found["overdue"] is False
    run.now = "2026-11-12T09:00:00Z"
    line = run.run("due").out.splitlines()[1]
    assert "overdue" in line and "record-meeting" in line and "Jane Doe" in line
    [recorded] = run.json("done", str(found["handle"]))["recorded"]
    assert recorded["type"] == "meeting.held"
    assert run.json("log", "--type", "meeting.held")[0]["occurred_at"] == "2026-11-10T15:00:00Z"
    assert [i["kind"] for i in run.json("due", "--all")] == ["thank-you", "check-in"]


@pytest.mark.parametrize("closing", [("met", "jane", "--on", "2026-11-10T15:00"),
                                     ("cancel", "jane")])
def test_record_meeting_closes_with_met_or_cancel(run: InProcessCLI,
                                                  closing: tuple[str, ...]) -> None:
    """user-guide.md "Schedule the meeting": `met` or `cancel` closes it."""
    run.run("add", "Jane Doe")
    run.run("schedule", "jane", "--at", "2026-11-10T15:00")
    run.now = "2026-11-11T09:00:00Z"
    run.run(*closing)
    assert "record-meeting" not in [i["kind"] for i in run.json("due", "--all")]


def test_events_md_says_what_done_records_for_record_meeting() -> None:
    text = doc("events.md")
    table = text.split("### What `done` records", 1)[1].split("###", 1)[0]
    assert "| `record-meeting` | `meeting.held`" in table
    recorded_by = text.split("### meeting.held", 1)[1].split("**Effect:**", 1)[0]
    assert "`done` on a\n`record-meeting` item" in recorded_by


def test_user_guide_done_list_names_record_meeting() -> None:
    text = doc("user-guide.md")
    bullet = text.split("- `done HANDLE` records what truthfully closes the item", 1)[1]
    assert "record-meeting" in bullet.split("- `skip HANDLE", 1)[0]


def test_architecture_lists_record_meeting_among_the_builtin_rules() -> None:
    text = " ".join(doc("architecture.md").split())
    listed = text.split("The built-in rules are", 1)[1].split(";", 1)[0]
    assert "record" in listed


def test_the_due_chapter_lists_every_builtin_kind() -> None:
    text = " ".join(doc("user-guide.md").split())
    listed = text.split("Follow-up kinds:", 1)[1].split("(and any a plugin adds)", 1)[0]
    kinds = set(re.findall(r"`([a-z-]+)`", listed))
    assert kinds == {"reach-out", "nudge", "unanswered", "schedule", "prep", "record-meeting",
                     "thank-you", "commitment", "referral-outreach", "check-in", "birthday"}


def test_the_glance_table_lists_every_kind_due_shows() -> None:
    text = doc("events.md").split("## Follow-ups at a glance", 1)[1].split("###", 1)[0]
    kinds = set(re.findall(r"^\| `([a-z-]+)` \|", text, re.M))
    assert kinds == {"nudge", "prep", "record-meeting", "thank-you", "commitment",
                     "referral-outreach", "reach-out", "schedule", "unanswered", "check-in",
                     "birthday"}


# -- schedule: the move warning and the --on refusal ------------------------------------------

def test_schedule_again_warns_and_undo_takes_the_move_back(run: InProcessCLI) -> None:
    """user-guide.md "Schedule the meeting" and schedule --help: one meeting per contact."""
    run.run("add", "Jane Doe")
    run.run("schedule", "jane", "--at", "2026-11-10T15:00")
    result = run.run("schedule", "jane", "--at", "2026-11-12T15:00", "--json")
    assert [r["type"] for r in result.json()["recorded"]] == ["meeting.scheduled"]
    assert result.err.startswith("coffeechat: warning: ")
    assert "2026-11-10 15:00" in result.err and "2026-11-12 15:00" in result.err
    assert "Jane Doe" in result.err and "undo" in result.err
    assert item(run, "prep")["due_at"] == "2026-11-11T15:00:00Z"
    run.run("undo")
    assert item(run, "prep")["due_at"] == "2026-11-09T15:00:00Z"


def test_schedule_on_before_the_current_meeting_was_scheduled_is_refused(
        run: InProcessCLI) -> None:
    """events.md meeting.scheduled: an --on before the meeting now scheduled was
    scheduled is refused (it would change nothing)."""
    run.run("add", "Jane Doe", "--on", "2026-11-01")
    run.run("schedule", "jane", "--at", "2026-11-10T15:00")
    refused(run, "schedule", "jane", "--at", "2026-11-11T15:00", "--on", "2026-11-01T12:00",
            says="--on")
    run.run("schedule", "jane", "--at", "2026-11-11T15:00", "--on", "2026-11-02T09:00")


def test_schedule_help_names_the_on_refusal(run: InProcessCLI) -> None:
    assert "refuse" in help_text(run, "schedule")


# -- answer, cancel, thank --on -------------------------------------------------------------

def test_answer_and_cancel_dated_before_their_cause_are_refused(run: InProcessCLI) -> None:
    """events.md request.answered / meeting.cancelled: refused in one line."""
    run.now = "2026-11-03T09:00:00Z"
    run.run("add", "Jane Doe", "--on", "2026-11-01")
    run.run("ask", "jane")
    refused(run, "answer", "jane", "accepted", "--on", "2026-11-02", says="--on")
    run.run("answer", "jane", "accepted", "--on", "2026-11-03T10:00")
    run.now = "2026-11-05T09:00:00Z"
    run.run("schedule", "jane", "--at", "2026-11-10T15:00")
    refused(run, "cancel", "jane", "--on", "2026-11-04", says="--on")
    run.run("cancel", "jane", "--on", "2026-11-05T09:00")


def test_thank_on_before_the_meeting_on_its_day_is_refused_after_an_earlier_one_kept(
        run: InProcessCLI) -> None:
    """events.md thanks.sent and user-guide.md "Thank": a date without a time is
    00:00; one after an earlier meeting is recorded, for that meeting."""
    run.now = "2026-11-10T12:00:00Z"
    run.run("add", "Jane Doe", "--on", "2026-11-01")
    run.run("met", "jane", "--on", "2026-11-05T10:00")
    run.run("met", "jane", "--on", "2026-11-10T10:00")
    refused(run, "thank", "jane", "--on", "2026-11-10", says="--on")
    refused(run, "thank", "jane", "--on", "2026-11-10T09:00", says="--on")
    run.run("thank", "jane", "--on", "2026-11-06")
    assert item(run, "thank-you")["reason"] == "met on 2026-11-10"
    run.run("thank", "jane", "--on", "2026-11-10T11:00")
    assert "thank-you" not in [i["kind"] for i in run.json("due", "--all")]


@pytest.mark.parametrize("command", ["answer", "cancel", "thank"])
def test_help_names_the_on_refusal(run: InProcessCLI, command: str) -> None:
    assert "before" in help_text(run, command)


def test_user_guide_answer_and_cancel_chapters_name_the_on_refusal() -> None:
    text = doc("user-guide.md")
    answer = text.split("## The answer", 1)[1].split("```console", 1)[0]
    cancel = text.split("## Cancel a meeting", 1)[1].split("```console", 1)[0]
    assert "--on" in answer and "--on" in cancel


# -- snooze ---------------------------------------------------------------------------------

def test_snooze_not_after_the_due_time_is_refused_unless_snoozed_before(
        run: InProcessCLI) -> None:
    """snooze --help and events.md followup.snoozed: refused when it would change
    nothing; after a snooze the latest counts, never before the item's own due time."""
    run.now = "2026-11-03T09:00:00Z"
    run.run("add", "Jane Doe")
    run.run("ask", "jane")
    handle = str(item(run, "nudge")["handle"])
    refused(run, "snooze", handle, "2026-11-05", says="DATE")
    refused(run, "snooze", handle, "2026-11-10T09:00", says="DATE")
    run.run("snooze", handle, "2026-11-20")
    run.run("snooze", handle, "2026-11-15")
    assert item(run, "nudge")["due_at"] == "2026-11-15T23:59:59Z"
    run.run("snooze", handle, "2026-11-05")
    assert item(run, "nudge")["due_at"] == "2026-11-10T09:00:00Z"


def test_user_guide_snooze_bullet_names_the_refusal() -> None:
    text = doc("user-guide.md")
    bullet = text.split("- `snooze HANDLE DATE` puts it off", 1)[1].split("\n\n", 1)[0]
    assert "refuse" in bullet


# -- the rebook after a yes ----------------------------------------------------------------

def test_after_a_yes_a_cancel_asks_for_a_rebook_from_the_cancel(run: InProcessCLI) -> None:
    """events.md meeting.cancelled and user-guide.md "Cancel a meeting": due
    schedule_days after the cancel, not hidden by a 'times sent' marked done."""
    run.run("add", "Jane Doe")
    run.run("ask", "jane")
    run.run("answer", "jane", "accepted")
    run.run("done", str(item(run, "schedule")["handle"]))
    run.now = "2026-11-10T09:00:00Z"
    run.run("schedule", "jane", "--at", "2026-11-20T10:00")
    run.now = "2026-11-12T09:00:00Z"
    run.run("cancel", "jane")
    rebook = item(run, "schedule")
    assert rebook["due_at"] == "2026-11-14T09:00:00Z" and rebook["overdue"] is False
    assert rebook["reason"] == "meeting cancelled on 2026-11-12, not rebooked"
    assert run.json("show", "jane")["stage"] == "accepted"


# -- referral-outreach's day ------------------------------------------------------------------

def test_referral_outreach_counts_from_the_edit_that_gave_referred_by(
        run: InProcessCLI) -> None:
    """events.md glance table: after the contact.added (or contact.updated) that
    gave referred_by; closed by meeting.scheduled."""
    run.now = "2026-11-12T09:00:00Z"
    run.run("add", "Jane Doe", "--on", "2026-11-01")
    run.run("add", "Carla Gomez", "--on", "2026-11-01")
    run.run("edit", "carla", "--referred-by", "jane")
    found = item(run, "referral-outreach")
    assert found["due_at"] == "2026-11-19T09:00:00Z"
    assert found["reason"] == "introduced by Jane Doe on 2026-11-12"
    run.run("schedule", "carla", "--at", "2026-11-20T10:00")
    assert "referral-outreach" not in [i["kind"] for i in run.json("due", "--all")]


def test_a_merged_referral_counts_from_its_own_add(run: InProcessCLI) -> None:
    run.now = "2026-11-12T09:00:00Z"
    run.run("add", "Jane Doe", "--on", "2026-11-01")
    run.run("add", "Eve", "--company", "Initech", "--on", "2026-11-05")
    run.run("add", "Eve B", "--referred-by", "jane", "--on", "2026-11-10")
    run.run("merge", "eve", "eve-b")
    assert item(run, "referral-outreach")["due_at"] == "2026-11-17T00:00:00Z"


def test_user_guide_referral_outreach_closes_on_schedule() -> None:
    text = doc("user-guide.md")
    para = text.split("The **referral-outreach** item is due", 1)[1].split("\n\n", 1)[0]
    assert "schedul" in para


# -- merges ---------------------------------------------------------------------------------

def test_merge_fills_with_the_current_details_and_warns_of_two_meetings(
        run: InProcessCLI, tmp_path: Path) -> None:
    """events.md contact.merged, user-guide.md (merge), calendar.md (export ics)."""
    run.run("add", "Ann Lee", "--company", "Acme")
    run.run("add", "Ann B", "--email", "ann@old.example", "--on", "2026-11-01")
    run.run("edit", "ann-b", "--email", "ann@new.example")
    run.run("schedule", "ann-lee", "--at", "2026-11-10T10:00")
    run.run("schedule", "ann-b", "--at", "2026-11-12T10:00", "--on", "2026-11-01T10:00")
    result = run.run("merge", "ann-lee", "ann-b", "--json")
    assert [r["type"] for r in result.json()["recorded"]] == ["contact.merged"]
    assert result.err.startswith("coffeechat: warning: ")
    assert "2026-11-10 10:00" in result.err and "2026-11-12 10:00" in result.err
    shown = run.json("show", "ann-lee")
    assert shown["email"] == "ann@new.example" and shown["company"] == "Acme"
    assert item(run, "prep")["due_at"] == "2026-11-09T10:00:00Z"
    out = tmp_path / "cal.ics"
    run.run("export", "ics", "--out", str(out))
    events = out.read_text().split("BEGIN:VEVENT")[1:]
    assert len(events) == 2
    uids = {re.search(r"^UID:(.*)$", e, re.M).group(1).strip() for e in events}  # type: ignore[union-attr]
    assert len(uids) == 2
    cancelled = [e for e in events if "STATUS:CANCELLED" in e]
    assert len(cancelled) == 1 and "20261112T100000Z" in cancelled[0]
    run.run("undo")
    assert len([i for i in run.json("due", "--all") if i["kind"] == "prep"]) == 2


def test_merge_help_names_the_one_meeting_kept(run: InProcessCLI) -> None:
    assert "meeting" in help_text(run, "merge")


# -- text that is not UTF-8 ---------------------------------------------------------------------

def test_text_that_is_not_utf8_is_refused_as_guarantees_md_shows(run: InProcessCLI) -> None:
    """guarantees.md:160: `TEXT: is not UTF-8 text (the byte 0xE9 ...)`."""
    run.run("add", "Jane Doe")
    result = refused(run, "note", "jane", "caf\udce9", says="is not UTF-8 text (the byte 0xE9")
    assert result.err.startswith("coffeechat: error: TEXT: ")
    read = run.run("show", "caf\udce9", expect=1)
    assert len(read.err.strip().splitlines()) == 1 and "Traceback" not in read.err


# -- plugin warnings ----------------------------------------------------------------------------

def plugins_dir(tmp: Path, files: dict[str, str]) -> list[str]:
    folder = tmp / "plugins"
    folder.mkdir()
    for name, body in files.items():
        (folder / f"{name}.py").write_text(textwrap.dedent(body))
    return ["--plugins-dir", str(folder)]


def test_a_plugin_command_named_like_a_builtin_is_warned_of_naming_the_plugin(
        run: InProcessCLI, tmp_path: Path) -> None:
    """plugins.md register_commands: left out, and --help and `plugins` warn."""
    load = plugins_dir(tmp_path, {"shadow": '''
        import click
        import coffeechat

        @click.command("due")
        def due():
            """Not the real due."""
            click.echo("shadowed")

        @coffeechat.hookimpl
        def register_commands(cli):
            cli.add_command(due)
        '''})
    for args in (["--help"], ["plugins"]):
        result = run.run(*load, *args, COFFEECHAT_LOAD_PLUGINS="shadow")
        assert "warning" in result.err and "shadow" in result.err and "due" in result.err
    assert "shadowed" not in run.run(*load, "due", COFFEECHAT_LOAD_PLUGINS="shadow").out


def test_a_register_hook_that_returns_is_warned_of(run: InProcessCLI, tmp_path: Path) -> None:
    """plugins.md Hooks: a hook that returns what it means to add gets a warning."""
    load = plugins_dir(tmp_path, {"returner": '''
        import coffeechat

        @coffeechat.hookimpl
        def register_followup_rules(register, config):
            return [lambda state: []]
        '''})
    run.run("add", "Jane Doe")
    result = run.run(*load, "due", "--all", COFFEECHAT_LOAD_PLUGINS="returner")
    assert "warning" in result.err and "returner" in result.err


def test_a_rule_that_sets_a_field_is_named_and_the_contact_is_untouched(
        run: InProcessCLI, tmp_path: Path) -> None:
    """plugins.md register_followup_rules: the state is a read-only copy (setting a
    field raises), and a plugin never costs you an event."""
    load = plugins_dir(tmp_path, {"meddler": '''
        import coffeechat

        def rule(state):
            state.name = "Someone Else"
            return []

        @coffeechat.hookimpl
        def register_followup_rules(register, config):
            register("meddle", rule)
        '''})
    run.run("add", "Jane Doe")
    result = run.run(*load, "note", "jane", "hello", COFFEECHAT_LOAD_PLUGINS="meddler")
    assert result.err.startswith("coffeechat: warning: plugin 'meddler' failed in follow-up rule")
    assert len(result.err.splitlines()) == 1 and run.count() == 2
    assert [c["name"] for c in run.json(*load, "contacts", COFFEECHAT_LOAD_PLUGINS="meddler")] \
        == ["Jane Doe"]
