"""Hostile plugins: whatever a plugin returns or raises, or however long it hangs, the
user's event is recorded (or refused for the user's own reason) and the faulty plugin
is named in one warning.

The plugins are the ``hostile_*.py`` files in tests/plugins; an environment variable
says how each one misbehaves. Hangs run in a subprocess with a short time limit
(``COFFEECHAT_HOOK_SECONDS=1``) and bounds on the whole command's time and memory;
the rest, and the setting up, run in-process (``cli`` and ``run`` share one store).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from coffeechat.errors import BadInput
from coffeechat.projections.projector import Projector
from coffeechat.recording import Recorder
from coffeechat.store import open_store
from tests.conftest import CLI, Result

PLUGINS = Path(__file__).parent / "plugins"
BOUND = 20  # seconds: a hanging command fails the test instead of hanging it
MEMORY = 1 << 31  # bytes of address space: a runaway command fails instead of eating memory
FAST = {"COFFEECHAT_HOOK_SECONDS": "1"}


def with_plugins(cli: CLI, names: list[str], *args: str, expect: int | None = 0,
                 **env: str) -> Result:
    return cli.run("--plugins-dir", str(PLUGINS), *args, expect=expect,
                   COFFEECHAT_LOAD_PLUGINS=",".join(names), **env)


def bounded(cli: CLI, names: list[str], *args: str, **env: str) -> tuple[Result, float]:
    """Run in a subprocess that may take at most BOUND seconds: (result, seconds taken)."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "coffeechat", "--plugins-dir", str(PLUGINS), *args],
        capture_output=True, text=True, timeout=BOUND, preexec_fn=_bound_memory,
        env=cli.env(COFFEECHAT_LOAD_PLUGINS=",".join(names), **FAST, **env))
    return Result(proc.returncode, proc.stdout, proc.stderr), time.monotonic() - started


def _bound_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def one_warning(result: Result, plugin: str, hook: str) -> str:
    """The single line on stderr: a warning naming the plugin and where it failed."""
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith(f"coffeechat: warning: plugin {plugin!r} failed in {hook}: "), (
        lines[0])
    return lines[0]


def types(cli: CLI) -> list[str]:
    return [event["type"] for event in cli.json("log")]


def kinds(cli: CLI, names: list[str], **env: str) -> set[tuple[str, str]]:
    result = with_plugins(cli, names, "due", "--all", "--json", **env)
    return {(item["contact"], item["kind"]) for item in result.json()}


# -- 1. follow-up rules that return garbage -----------------------------------------------

GARBAGE = ["not-iterable", "none", "ints", "nones", "short-tuple", "plain-tuple", "text",
           "bad-stamp", "far-future", "bad-anchor", "bad-expires", "empty-kind",
           "newline-kind", "long-kind", "other-contact", "int-event", "list-reason"]
KEEPS_FINE = {"ints", "nones", "short-tuple", "plain-tuple", "bad-stamp", "far-future",
              "bad-anchor", "bad-expires", "empty-kind", "newline-kind", "long-kind",
              "other-contact", "int-event", "list-reason"}


@pytest.mark.parametrize("garbage", GARBAGE)
def test_a_rule_returning_garbage_costs_no_event(run: CLI, garbage: str) -> None:
    run.run("add", "Jane Doe")
    run.run("add", "Bob Smith")
    env = {"HOSTILE_RULE": garbage}
    # The first command with the plugin folds both contacts: one warning, not one each.
    result = with_plugins(run, ["hostile_rules"], "note", "jane", "hello", **env)
    one_warning(result, "hostile_rules", "follow-up rule 'garbage'")
    assert "note.added" in result.out
    assert types(run) == ["contact.added", "contact.added", "note.added"]

    # The other rule, and the garbage rule's own good items, still count.
    due = kinds(run, ["hostile_rules"], **env)
    wanted = {(c, k) for c in ("jane-doe", "bob-smith")
              for k in ("steady", *(["fine"] if garbage in KEEPS_FINE else []))}
    assert {item for item in due if item[1] in ("steady", "fine", "late", "plain")} == wanted


def test_a_registration_with_the_wrong_arguments_registers_nothing(run: CLI) -> None:
    run.run("add", "Jane Doe")
    result = with_plugins(run, ["hostile_register"], "ask", "jane", expect=None)
    assert result.code == 0
    assert "Traceback" not in result.err
    warned = sorted(line.split(": ")[2] for line in result.err.splitlines())
    assert warned == [f"plugin 'hostile_register' failed in {hook}" for hook in (
        "register_channels", "register_followup_rules", "register_projections")]
    assert types(run) == ["contact.added", "request.sent"]


# -- 2. plugin projections that raise -----------------------------------------------------

def seen(cli: CLI) -> list[str]:
    store = open_store(cli.db)
    try:
        return [row[0] for row in store.conn.execute(
            "SELECT contact FROM hostile_seen ORDER BY contact")]
    finally:
        store.close()


@pytest.mark.parametrize("method", ["create", "insert", "finish"])
def test_a_projection_failing_while_built_costs_no_event(run: CLI, method: str) -> None:
    run.run("add", "Jane Doe")
    broken = {"HOSTILE_PROJECTION": method}
    result = with_plugins(run, ["hostile_projection"], "add", "Bob Smith", **broken)
    one_warning(result, "hostile_projection", "projection 'hostile_seen'")
    assert f"{method} is broken on purpose" in result.err
    result = with_plugins(run, ["hostile_projection"], "note", "bob", "hi", **broken)
    one_warning(result, "hostile_projection", "projection 'hostile_seen'")
    assert types(run) == ["contact.added", "contact.added", "note.added"]
    # The built-in projections went on.
    assert [c["id"] for c in run.json("contacts")] == ["bob-smith", "jane-doe"]
    # Nothing new, but it is tried again (and fails again).
    result = with_plugins(run, ["hostile_projection"], "contacts", **broken)
    one_warning(result, "hostile_projection", "projection 'hostile_seen'")

    # Fixed, it catches up on its own: its rows are all there.
    fixed = with_plugins(run, ["hostile_projection"], "contacts")
    assert fixed.err == ""
    assert seen(run) == ["bob-smith", "jane-doe"]


@pytest.mark.parametrize("method", ["remove", "insert"])
def test_a_projection_failing_on_new_events_is_left_behind_then_catches_up(
        run: CLI, method: str) -> None:
    with_plugins(run, ["hostile_projection"], "add", "Jane Doe")
    with_plugins(run, ["hostile_projection"], "add", "Bob Smith")
    assert seen(run) == ["jane-doe"]  # (Bob is projected by the next catch-up)
    broken = {"HOSTILE_PROJECTION": method}
    result = with_plugins(run, ["hostile_projection"], "note", "jane", "hi", **broken)
    one_warning(result, "hostile_projection", "projection 'hostile_seen'")
    assert types(run) == ["contact.added", "contact.added", "note.added"]
    assert seen(run) == ["jane-doe"]  # its half-done work was rolled back
    assert "bob-smith" in {c["id"] for c in run.json("contacts")}

    with_plugins(run, ["hostile_projection"], "contacts")
    assert seen(run) == ["bob-smith", "jane-doe"]


def test_a_projection_failing_in_a_full_rebuild_is_rebuilt_next_time(run: CLI) -> None:
    for name in ("Jane Doe", "Bob Smith"):
        with_plugins(run, ["hostile_projection"], "add", name)
    with_plugins(run, ["hostile_projection"], "contacts")
    assert seen(run) == ["bob-smith", "jane-doe"]
    result = with_plugins(run, ["hostile_projection"], "rebuild", HOSTILE_PROJECTION="insert")
    one_warning(result, "hostile_projection", "projection 'hostile_seen'")
    assert seen(run) == []  # (its tables were made anew, then its insert failed)
    with_plugins(run, ["hostile_projection"], "contacts")
    assert seen(run) == ["bob-smith", "jane-doe"]


def test_a_projection_cannot_touch_the_log(run: CLI) -> None:
    run.run("add", "Jane Doe")
    result = with_plugins(run, ["hostile_tables"], "note", "jane", "hi")
    assert "Traceback" not in result.err
    assert sorted(result.err.splitlines()) == [
        "coffeechat: warning: plugin 'hostile_tables' failed in projection 'committer': "
        "insert: AuthError: not authorized",
        "coffeechat: warning: plugin 'hostile_tables' failed in projection 'vandal': "
        "insert: AuthError: not authorized",
        "coffeechat: warning: plugin 'hostile_tables' failed in register_projections: "
        "table 'events' is taken"]
    assert types(run) == ["contact.added", "note.added"]
    assert run.run("verify").code == 0


def test_a_users_own_error_is_still_the_error(run: CLI) -> None:
    run.run("add", "Jane Doe")
    result = with_plugins(run, ["hostile_projection"], "note", "nobody", "hi", expect=1,
                          HOSTILE_PROJECTION="insert")
    assert "Traceback" not in result.err
    warning, error = result.err.splitlines()
    assert warning.startswith("coffeechat: warning: plugin 'hostile_projection' failed in ")
    assert error.startswith("coffeechat: error: CONTACT: ")
    assert types(run) == ["contact.added"]


# -- 3. hangs ----------------------------------------------------------------------------

def test_a_hanging_event_appended_is_stopped(cli: CLI, run: CLI) -> None:
    run.run("add", "Jane Doe")
    calls = cli.home / "calls.txt"
    result, _took = bounded(cli, ["hostile_hooks"], "met", "jane", "--referral", "Bob Smith",
                            "--referral", "Carol Jones", HOSTILE_HOOK="hang-appended",
                            HOSTILE_CALLS=str(calls))
    assert result.code == 0
    line = one_warning(result, "hostile_hooks", "event_appended")
    assert line.endswith("took longer than 1 s and was stopped")
    assert calls.read_text().splitlines() == ["meeting.held"]  # not called again after
    assert types(run) == ["contact.added", "meeting.held", "referral.made", "contact.added",
                          "referral.made", "contact.added"]


def test_a_plugin_that_exits_in_event_appended_does_not_end_the_command(run: CLI) -> None:
    result = with_plugins(run, ["hostile_hooks"], "add", "Jane Doe", HOSTILE_HOOK="exit-appended")
    assert result.code == 0
    one_warning(result, "hostile_hooks", "event_appended")
    assert types(run) == ["contact.added"]


def test_a_hanging_rule_is_stopped_then_skipped(cli: CLI, run: CLI) -> None:
    for name in ("Ana Silva", "Bob Smith", "Carol Jones"):
        run.run("add", name)
    calls = cli.home / "calls.txt"
    # (the first command with the plugin folds all three contacts)
    result, _took = bounded(cli, ["hostile_rules"], "note", "ana", "hi", HOSTILE_RULE="hang",
                            HOSTILE_CALLS=str(calls))
    assert result.code == 0
    line = one_warning(result, "hostile_rules", "follow-up rule 'garbage'")
    assert line.endswith("took longer than 1 s in all and was stopped")
    assert calls.read_text().splitlines() == ["ana-silva"]  # not called for the others
    assert types(run)[-1] == "note.added"


def test_a_slow_rule_has_one_budget_per_catch_up(cli: CLI, run: CLI) -> None:
    for name in ("Ana Silva", "Bob Smith", "Carol Jones", "Dan Brown", "Eve Adams"):
        run.run("add", name)
    calls = cli.home / "calls.txt"
    result, _took = bounded(cli, ["hostile_rules"], "note", "ana", "hi", HOSTILE_RULE="slow",
                            HOSTILE_CALLS=str(calls))
    assert result.code == 0
    one_warning(result, "hostile_rules", "follow-up rule 'garbage'")
    # 0.4 s a contact against 1 s for the whole catch-up: stopped at the third.
    assert len(calls.read_text().splitlines()) <= 3
    assert types(run)[-1] == "note.added"


def test_a_rule_that_never_stops_yielding_is_cut_off(cli: CLI, run: CLI) -> None:
    run.run("add", "Jane Doe")
    result, _took = bounded(cli, ["hostile_rules"], "note", "jane", "hi",
                            HOSTILE_RULE="endless")
    assert result.code == 0
    one_warning(result, "hostile_rules", "follow-up rule 'garbage'")
    assert types(run)[-1] == "note.added"


@pytest.mark.parametrize("how", ["hang-insert", "sql-insert", "hang-create"])
def test_a_hanging_projection_is_stopped(cli: CLI, run: CLI, how: str) -> None:
    run.run("add", "Jane Doe")
    result, took = bounded(cli, ["hostile_projection"], "note", "jane", "hi",
                           HOSTILE_PROJECTION=how)
    assert result.code == 0
    line = one_warning(result, "hostile_projection", "projection 'hostile_seen'")
    assert "took longer than 1 s" in line
    assert took < 8
    assert types(run)[-1] == "note.added"


@pytest.mark.parametrize(("names", "env", "hook"), [
    (["hostile_slow_import"], {}, "load"),
    (["hostile_hooks"], {"HOSTILE_HOOK": "hang-register"}, "register_channels"),
])
def test_a_plugin_that_hangs_while_loading_is_stopped(cli: CLI, run: CLI, names: list[str],
                                                      env: dict[str, str], hook: str) -> None:
    run.run("add", "Jane Doe")
    result, took = bounded(cli, names, "ask", "jane", **env)  # (ask loads the channels)
    assert result.code == 0
    one_warning(result, names[0], hook)
    assert took < 8
    assert types(run) == ["contact.added", "request.sent"]


# -- 4. one batch per command -------------------------------------------------------------

def test_a_failed_command_leaves_nothing_for_the_next(home: Path) -> None:
    store = open_store(home / "api.db")
    try:
        on = datetime(2026, 11, 2, 9, tzinfo=UTC)
        Recorder(store, Projector(store)).add(_contact("Jane Doe"), on)
        recorder = Recorder(store, Projector(store))  # one recorder for the next two calls
        with pytest.raises(BadInput):
            recorder.met("jane-doe", on, notes="good talk", referrals=["x" * 1000])
        events = recorder.note("jane-doe", "hello", on)
        assert [e.type for e in events] == ["note.added"]
        assert [e.type for e in store.events()] == ["contact.added", "note.added"]
    finally:
        store.close()


def _contact(name: str) -> Any:
    from coffeechat.events import ContactAdded

    return ContactAdded(name=name)


# -- 5. one warning per failure per command --------------------------------------------------

def test_a_plugin_failing_on_every_event_of_a_batch_is_named_once(run: CLI) -> None:
    run.run("add", "Jane Doe")
    result = with_plugins(run, ["failing_appended"], "met", "jane", "--referral", "Bob Smith")
    assert result.code == 0
    line = one_warning(result, "failing_appended", "event_appended")
    assert line.startswith("coffeechat: warning: plugin 'failing_appended' failed in "
                           "event_appended: ValueError: cannot handle meeting.held")
    assert types(run) == ["contact.added", "meeting.held", "referral.made", "contact.added"]
