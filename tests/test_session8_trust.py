"""Session 8 review: an adversary against the log.

Values each entry point accepts (or should refuse) are pushed to their edges, and
afterwards every read command must still work on the store: due, today, show, log,
stats, report, both exports, contacts --warmth, reconnect, search, rebuild, verify
and watch --once. The attacks: times at the very ends of the dates kept and offsets
that carry them across; bytes in argv that are not UTF-8; one-off plugins (written
here, into tmp) whose follow-up rule changes the state it is handed or whose
``event_appended`` fails in ways other than ``Exception`` or writes to the store
itself; LinkedIn's "Connected On" out of range; exports edited and rechained by hand;
a `watch` killed with SIGKILL while it records (the one test here with a subprocess).

Six of these tests were bugs when they were written (strict xfails), each reduced
to the fewest steps; all are fixed now and guard the fixes.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import apsw
import pytest

from coffeechat.chain import chain_hash
from tests.conftest import CLI, InProcessCLI, Result

LAST = "2200-12-31T23:59:59Z"  # the last second coffeechat keeps
FIRST = "1900-01-01T00:00:00Z"


def clean(result: Result) -> None:
    assert "Traceback" not in result.err, result.err


def every_view_works(run: InProcessCLI, tmp: Path, contact: str) -> None:
    """Every read command exits 0 with no traceback (and verify finds the store sound)."""
    notes = tmp / "notes"
    notes.mkdir(exist_ok=True)
    for args in (("due", "--all"), ("today",), ("show", contact), ("log", "--all"),
                 ("stats",), ("report", "--out", str(tmp / "r.html")),
                 ("export", "jsonl", "--out", str(tmp / "e.jsonl")),
                 ("export", "ics", "--out", str(tmp / "e.ics")),
                 ("contacts", "--warmth", "warm"), ("contacts", "--warmth", "due"),
                 ("contacts", "--warmth", "cold"), ("reconnect",), ("search", "a"),
                 ("referrals",), ("rebuild",), ("verify",), ("watch", "--once", str(notes))):
        clean(run.run(*args))
    for args in (("due",), ("today",), ("show", contact), ("contacts",), ("stats",)):
        clean(run.run(*args, "--json"))


def refused(run: InProcessCLI, *args: str, naming: str) -> Result:
    """The command exits 1 with one line naming ``naming``, and the log is untouched."""
    before = run.count()
    result = run.run(*args, expect=1)
    lines = result.err.splitlines()
    assert len(lines) == 1 and naming in lines[0], result.err
    assert run.count() == before
    return result


# -- times at the ends of the dates kept ------------------------------------------------------

def test_a_contact_living_in_the_last_second_kept_works_everywhere(run: InProcessCLI,
                                                                   tmp_path: Path) -> None:
    """Everything recorded in the last second kept, with a ten-year cadence and a birthday
    on 29 Feb: every follow-up it raises is due no later than that second, and every
    view works both now and at that second."""
    on = ("--on", LAST)
    run.run("add", "Jane Doe", "--birthday", "02-29", "--date", "leap day=2000-02-29", *on)
    run.run("cadence", "jane", "3650", *on)
    run.run("ask", "jane", *on)
    run.run("answer", "jane", "accepted", *on)
    run.run("schedule", "jane", "--at", "2200-12-31T23:59:00Z", "--minutes", "1440", *on)
    run.run("met", "jane", "--commitment", "a promise", "--due", "2200-12-31", *on)
    run.run("add", "Old Timer", "--on", FIRST)
    run.run("ask", "old", "--on", FIRST)
    every_view_works(run, tmp_path, "jane")
    items = run.json("due", "--all")
    assert {i["kind"] for i in items} >= {"thank-you", "commitment", "nudge", "birthday"}
    assert all(FIRST <= i["due_at"] <= LAST for i in items), items
    run.now = LAST
    every_view_works(run, tmp_path, "jane")
    assert all(FIRST <= i["due_at"] <= LAST for i in run.json("due", "--all"))


@pytest.mark.parametrize(("args", "option"), [
    (("add", "Jane Doe", "--on", "2200-12-31T23:30:00-05:00"), "--on"),
    (("add", "Jane Doe", "--on", "1900-01-01T00:30:00+05:00"), "--on"),
    (("commit", "bob", "x", "--due", "2200-12-31T23:59:59-12:00"), "--due"),
    (("schedule", "bob", "--at", "2200-12-31T22:00:00-10:00"), "--at"),
    (("met", "bob", "--commitment", "x", "--due", "2200-12-31T20:00:00-04:00"), "--due"),
    (("snooze", "bob", "2200-12-31T23:00:00-01:00"), "DATE"),
    (("stats", "--until", "2200-12-31T23:00:00-01:00"), "--until"),
    (("add", "Jane Doe", "--birthday", "1900-02-29"), "--birthday"),
    (("add", "Jane Doe", "--date", "x=2100-02-29"), "--date"),
    (("cadence", "bob", str(10**18)), "DAYS"),
    (("cadence", "bob", "99999999999999999999999999"), "DAYS"),
])
def test_an_offset_carrying_a_time_out_of_the_range_kept_is_one_line(
        run: InProcessCLI, args: tuple[str, ...], option: str) -> None:
    run.run("add", "Bob Stone")
    refused(run, *args, naming=option)


# -- bytes in argv that are not UTF-8 ---------------------------------------------------------

# Python hands a program the bytes of argv that are not UTF-8 as lone surrogates
# (surrogateescape): `coffeechat note jane $'caf\xe9'` in a Latin-1 terminal.
LATIN1 = "caf\udce9"


@pytest.mark.parametrize("args", [("add", LATIN1), ("note", "jane", LATIN1),
                                  ("met", "jane", "--notes", LATIN1),
                                  ("edit", "jane", "--company", LATIN1)])
def test_text_that_is_not_utf8_is_refused_in_one_line(run: InProcessCLI,
                                                      args: tuple[str, ...]) -> None:
    run.run("add", "Jane Doe")
    result = refused(run, *args, naming="UTF-8")
    assert result.err.startswith("coffeechat: error: ")


@pytest.mark.parametrize("args", [("search", LATIN1), ("show", LATIN1),
                                  ("log", "--contact", LATIN1)])
def test_a_read_given_text_that_is_not_utf8_is_one_line(run: InProcessCLI,
                                                        args: tuple[str, ...]) -> None:
    run.run("add", "Jane Doe")
    result = run.run(*args, expect=None)
    clean(result)
    assert result.code in (0, 1) and len(result.err.splitlines()) <= 1, result.err


def test_valid_text_at_the_edges_is_kept_and_read_back(run: InProcessCLI,
                                                       tmp_path: Path) -> None:
    """Names that fold to one another, an id that looks like a handle, tags with commas
    and spaces, a note at the length limit with text from outside the BMP: kept as
    given, and every view works; a megabyte note is one line and records nothing."""
    for name in ("Jane Doe", "JANE DOE", "Ｊａｎｅ Ｄｏｅ", "jane-doe"):
        run.run("add", name)
    handle = run.json("due")[0]["handle"]
    run.run("add", handle, "--tag", "a,b", "--tag", " spaced tag ")
    big = "word " * 3_999 + "\U0001f600\u202e\u0301"
    assert len(big) <= 20_000
    run.run("note", "jane-doe-4", big)
    refused(run, "note", "jane-doe-4", "word " * 210_000, naming="TEXT")
    names = sorted(c["name"] for c in run.json("contacts"))
    assert names == sorted(["Jane Doe", "JANE DOE", "Ｊａｎｅ Ｄｏｅ", "jane-doe", handle])
    assert run.json("show", handle)["tags"] == ["a,b", "spaced tag"]
    every_view_works(run, tmp_path, "jane-doe-4")
    [event] = run.json("log", "--type", "note.added")
    assert event["data"]["text"] == big.strip()


# -- plugins ----------------------------------------------------------------------------------

def plugin(tmp: Path, name: str, body: str) -> list[str]:
    """Write a one-off plugin; the arguments that load it."""
    folder = tmp / "plugins"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(body))
    return ["--plugins-dir", str(folder)]


MUTATING_RULE = """
    import os
    from coffeechat import hookimpl

    def rule(state):
        setattr(state, os.environ["FIELD"], eval(os.environ["VALUE"]))
        return []

    @hookimpl
    def register_followup_rules(register):
        register("meddler", rule)
"""


def test_a_rule_that_renames_its_state_changes_no_view(run: InProcessCLI,
                                                       tmp_path: Path) -> None:
    load = plugin(tmp_path, "meddler", MUTATING_RULE)
    env: dict[str, Any] = {"COFFEECHAT_LOAD_PLUGINS": "meddler", "FIELD": "name",
                           "VALUE": "'Mallory'"}
    run.run("add", "Jane Doe")
    result = run.run(*load, "note", "jane", "hello", expect=None, **env)
    assert result.code == 0, result.err
    assert [c["name"] for c in run.run(*load, "contacts", "--json", **env).json()] == [
        "Jane Doe"]


def test_a_rule_that_sets_the_stage_changes_no_view(run: InProcessCLI, tmp_path: Path) -> None:
    load = plugin(tmp_path, "meddler", MUTATING_RULE)
    env: dict[str, Any] = {"COFFEECHAT_LOAD_PLUGINS": "meddler", "FIELD": "stage",
                           "VALUE": "'archived'"}
    run.run("add", "Jane Doe")
    [jane] = run.run(*load, "contacts", "--json", **env).json()
    assert jane["stage"] == "prospect"


def test_a_rule_that_puts_a_number_in_its_state_costs_no_event(run: InProcessCLI,
                                                               tmp_path: Path) -> None:
    load = plugin(tmp_path, "meddler", MUTATING_RULE)
    env: dict[str, Any] = {"COFFEECHAT_LOAD_PLUGINS": "meddler", "FIELD": "name", "VALUE": "42"}
    run.run("add", "Jane Doe")
    result = run.run(*load, "note", "jane", "hello", expect=None, **env)
    clean(result)
    assert result.code == 0
    assert run.count() == 2


def test_a_rule_that_changes_its_state_in_place_changes_no_view(run: InProcessCLI,
                                                                tmp_path: Path) -> None:
    """What a rule does to the lists and dicts of the state it is given stays with its
    copy: the tags, the promises and the events the views show are the fold's."""
    load = plugin(tmp_path, "meddler", """
        from coffeechat import hookimpl

        def rule(state):
            state.tags.append("meddled")
            state.commitments.clear()
            state.events.clear()
            return []

        @hookimpl
        def register_followup_rules(register):
            register("meddler", rule)
    """)
    env: dict[str, Any] = {"COFFEECHAT_LOAD_PLUGINS": "meddler"}
    run.run("add", "Jane Doe", "--tag", "pm")
    run.run(*load, "met", "jane", "--notes", "talked roadmaps", "--commitment", "send deck",
            **env)
    [jane] = run.run(*load, "contacts", "--json", **env).json()
    assert jane["tags"] == ["pm"]
    kinds = {i["kind"] for i in run.run(*load, "due", "--json", "--all", **env).json()}
    assert kinds == {"thank-you", "commitment", "check-in"}
    assert run.run(*load, "search", "roadmaps", "--json", **env).json()


@pytest.mark.parametrize("raise_", [
    "MemoryError", "RecursionError",
    "GeneratorExit",
])
def test_event_appended_failing_past_exception_keeps_the_event(run: InProcessCLI,
                                                               tmp_path: Path,
                                                               raise_: str) -> None:
    load = plugin(tmp_path, "fragile", f"""
        from coffeechat import hookimpl

        @hookimpl
        def event_appended(event, store):
            raise {raise_}("boom")
    """)
    result = run.run(*load, "add", "Jane Doe", COFFEECHAT_LOAD_PLUGINS="fragile")
    clean(result)
    [line] = result.err.splitlines()
    assert line.startswith("coffeechat: warning: plugin 'fragile' failed in event_appended")
    assert "contact.added" in result.out
    assert run.count() == 1
    every_view_works(run, tmp_path, "jane")


def test_event_appended_that_writes_to_the_store_itself(run: InProcessCLI,
                                                        tmp_path: Path) -> None:
    """A hook that appends an event for every event it hears of: its own events do not
    call it again (no endless chain), the user's event and the plugin's are both kept,
    and the chain holds."""
    load = plugin(tmp_path, "echo", """
        from coffeechat import hookimpl
        from coffeechat.events import NoteAdded
        from coffeechat.store import NewEvent

        @hookimpl
        def event_appended(event, store):
            store.append([NewEvent(stream=event.stream, payload=NoteAdded(text="echo"),
                                   occurred_at=event.occurred_at)], source="echo")
    """)
    result = run.run(*load, "add", "Jane Doe", COFFEECHAT_LOAD_PLUGINS="echo")
    clean(result)
    assert [e["type"] for e in run.json("log", "--all")] == [
        "contact.added", "note.added"]
    every_view_works(run, tmp_path, "jane")


# -- imports ----------------------------------------------------------------------------------

CONNECTIONS = "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"


def test_a_connected_on_out_of_range_is_a_bad_row(run: InProcessCLI, tmp_path: Path) -> None:
    path = tmp_path / "Connections.csv"
    path.write_text(CONNECTIONS
                    + "Ann,Lee,https://www.linkedin.com/in/ann,,Acme,CTO,31 Dec 9999\n"
                    + "Cy,Do,https://www.linkedin.com/in/cy,,Acme,CTO,01 Jan 2020\n")
    result = run.run("import", "linkedin", str(path), "--skip-bad", expect=None)
    assert result.code == 0, result.err
    assert "row 1" in result.err or "row 2" in result.err
    assert [c["name"] for c in run.json("contacts")] == ["Cy Do"]


def test_connected_on_the_first_day_kept_east_of_utc(run: InProcessCLI, tmp_path: Path) -> None:
    path = tmp_path / "Connections.csv"
    path.write_text(CONNECTIONS + "Cy,Do,https://www.linkedin.com/in/cy,,Acme,CTO,01 Jan 1900\n")
    result = run.run("import", "linkedin", str(path), expect=None, TZ="Asia/Tokyo")
    assert result.code == 0 or "Connections.csv: row" in result.err, result.err


# -- exports edited and rechained by hand -----------------------------------------------------

def rechain(lines: list[dict[str, Any]]) -> str:
    """Number the lines again and recompute every hash, as a careful forger would."""
    previous = ""
    for seq, line in enumerate(lines, 1):
        line["seq"] = seq
        data = json.dumps(line["data"], separators=(",", ":"), ensure_ascii=False)
        previous = line["hash"] = chain_hash(previous, (
            line["id"], line["stream"], str(line["version"]), line["type"],
            str(line["schema"]), line["occurred_at"], line["recorded_at"], line["source"],
            line["key"], line["batch"], data))
    return "".join(json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n"
                   for line in lines)


def edit_drop(lines: list[dict[str, Any]]) -> None:
    del lines[1]  # the ask: a stream with a hole in its versions


def edit_duplicate(lines: list[dict[str, Any]]) -> None:
    lines.insert(2, dict(lines[1]))


def edit_swap(lines: list[dict[str, Any]]) -> None:
    lines[1], lines[2] = lines[2], lines[1]  # versions 3 before 2


def edit_retraction_first(lines: list[dict[str, Any]]) -> None:
    lines.insert(0, lines.pop())  # the undo of Bob before Bob


@pytest.mark.parametrize("edit", [edit_drop, edit_duplicate, edit_swap, edit_retraction_first])
def test_an_export_edited_and_rechained_imports_as_its_report_says(
        run: InProcessCLI, tmp_path: Path, edit: Any) -> None:
    run.run("add", "Jane Doe")
    run.run("ask", "jane")
    run.run("note", "jane", "met at the meetup")
    run.run("add", "Bob Stone")
    run.run("undo")
    exported = tmp_path / "export.jsonl"
    run.run("export", "jsonl", "--out", str(exported))
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    edit(lines)
    forged = tmp_path / "forged.jsonl"
    forged.write_text(rechain(lines))
    unique = len({line["id"] for line in lines})

    again = run.json("import", "jsonl", str(forged))  # into the store it came from
    assert again == {"read": len(lines), "added": 0, "skipped": len(lines)}

    fresh = InProcessCLI(tmp_path / "fresh")
    fresh.home.mkdir()
    fresh.db = fresh.home / "coffeechat.db"
    report = fresh.json("import", "jsonl", str(forged))
    assert report["read"] == len(lines)
    assert report["added"] == fresh.count() == unique
    assert [c["name"] for c in fresh.json("contacts")] == ["Jane Doe"]
    every_view_works(fresh, tmp_path, "jane")


# -- a watcher killed while it records --------------------------------------------------------

# Seconds after `watch` starts: here its 300 notes took 1.3 s to reach the log, in one
# transaction; None kills it as soon as they are seen there (while it writes the views).
@pytest.mark.parametrize("after", [0.8, 1.1, None])
def test_a_watch_killed_while_recording_loses_and_repeats_no_note(
        cli: CLI, tmp_path: Path, after: float | None) -> None:
    """SIGKILL to `watch` part way: verify finds the store sound, and `watch --once`
    then records every note exactly once."""
    cli.run("add", "Jane Doe")
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(300):
        (folder / f"n{i:03}.md").write_text(
            f"---\ntype: note\ncontact: Jane Doe\ndate: 2026-10-{1 + i % 28:02} 10:00\n---\n"
            f"note number {i}\n")
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "coffeechat", "watch", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=cli.env())
    try:
        while time.monotonic() < started + 20 and proc.poll() is None:
            if (time.monotonic() - started >= after if after is not None
                    else events_in(cli.db) > 1):
                break
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    run = InProcessCLI(cli.home)
    run.now = cli.now
    clean(run.run("verify"))
    clean(run.run("watch", "--once", str(folder)))
    texts = [e["data"]["text"] for e in run.json("log", "--type", "note.added")]
    assert sorted(texts) == sorted(f"note number {i}" for i in range(300))
    every_view_works(run, tmp_path, "jane")


def events_in(db: Path) -> int:
    """How many events the store holds, read without taking any lock for long."""
    if not db.exists():
        return 0
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        conn.set_busy_timeout(1000)
        row = conn.execute("SELECT count(*) FROM events").fetchone()
        return int(row[0]) if row else 0
    except apsw.Error:
        return 0
    finally:
        conn.close()
