"""Note parsers from plugins: whatever one raises, records or however long it hangs,
it costs only its own note.

A parser that raises (anything, not only NoteProblem) or runs past the hook
time limit makes its note a bad note (one line naming the note type), records
nothing from that file, and every other note is still recorded. The events a
parser records are checked as the store checks them, so a bad one is the
note's error, not a store error that stops the whole sync.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import CLI, InProcessCLI, Result
from tests.test_notes import JANE, write

PLUGINS = Path(__file__).parent / "plugins"
NOW = "2026-11-21T09:00:00Z"
GOOD = "---\ntype: note\ncontact: Jane Doe\ndate: 2026-11-03\n---\nA good note.\n"


def note(note_type: str) -> str:
    return f"---\ntype: {note_type}\ncontact: Jane Doe\ndate: 2026-11-02\n---\nSome text.\n"


@pytest.fixture
def notes(run: InProcessCLI) -> Path:
    folder = run.home / "notes"
    folder.mkdir()
    run.now = NOW
    write(folder, "jane.md", JANE)
    write(folder, "good.md", GOOD)
    return folder


def once(runner: CLI, folder: Path, *plugins: str, expect: int = 1, **env: str) -> Result:
    return runner.run("--plugins-dir", str(PLUGINS), "watch", str(folder), "--once",
                      expect=expect, COFFEECHAT_LOAD_PLUGINS=",".join(plugins), **env)


def errors(result: Result) -> list[str]:
    assert "Traceback" not in result.err, result.err
    return sorted(line.removeprefix("coffeechat: note error: ")
                  for line in result.err.splitlines()
                  if line.startswith("coffeechat: note error: "))


def sources(runner: CLI) -> set[str]:
    return {e["source"] for e in runner.json("log")}


GOOD_SOURCES = {"notes:jane.md", "notes:good.md"}


# -- a parser that raises -------------------------------------------------------------------

def test_a_parser_that_raises_costs_only_its_note(run: InProcessCLI, notes: Path) -> None:
    write(notes, "crash.md", note("crashing"))
    write(notes, "exit.md", note("exiting"))
    write(notes, "odd.md", note("odd"))
    result = once(run, notes, "parser_raises")
    assert errors(result) == [
        "crash.md:2: type: the note parser for 'crashing' failed: RuntimeError: the parser "
        "broke",
        "exit.md:2: type: the note parser for 'exiting' failed: SystemExit: 3",
    ]
    # Nothing of the bad notes, everything of the others (what a parser returns is ignored).
    assert {s for s in sources(run) if s.startswith("notes:")} == GOOD_SOURCES | {
        "notes:odd.md"}
    assert "crash.md" in (notes / "_coffeechat" / "errors.md").read_text()
    # Fixed, the note is recorded like any other.
    write(notes, "crash.md", note("note"))
    write(notes, "exit.md", note("note"))
    assert errors(once(run, notes, "parser_raises", expect=0)) == []
    assert {"notes:crash.md", "notes:exit.md"} <= sources(run)


def test_a_parser_failing_on_the_second_sync_keeps_the_notes_last_good_version(
        run: InProcessCLI, notes: Path) -> None:
    write(notes, "later.md", note("note"))
    once(run, notes, "parser_raises", expect=0)
    recorded = run.count()
    write(notes, "later.md", note("crashing"))
    assert errors(once(run, notes, "parser_raises")) == [
        "later.md:2: type: the note parser for 'crashing' failed: RuntimeError: the parser "
        "broke"]
    assert run.count() == recorded  # the note's earlier events stay, nothing retracted


# -- a parser that hangs --------------------------------------------------------------------

def test_a_parser_that_hangs_is_stopped(cli: CLI) -> None:
    folder = cli.home / "notes"
    folder.mkdir()
    cli.now = NOW
    write(folder, "jane.md", JANE)
    write(folder, "good.md", GOOD)
    write(folder, "slow.md", note("slow"))
    started = time.monotonic()
    result = once(cli, folder, "parser_hangs", COFFEECHAT_HOOK_SECONDS="0.5")
    assert time.monotonic() - started < 15  # the parser itself gives up after 30 s
    assert errors(result) == [
        "slow.md:2: type: the note parser for 'slow' failed: it took longer than 0.5 s and "
        "was stopped"]
    assert {s for s in sources(cli) if s.startswith("notes:")} == GOOD_SOURCES


# -- what a parser records is checked as the store checks it ---------------------------------

BAD_EVENTS = {
    "far-future": "commitment.made: due: 9999-01-01 is outside the dates coffeechat keeps",
    "far-future-datetime": "meeting.scheduled: at: 9999-01-01 is outside the dates",
    "huge": "it would record a note.added of 300,011 bytes, over the limit of 262,144 bytes",
    "too-long": "meeting.scheduled: payload: Expected `int` <= 1440 - at `$.minutes`",
    "bad-contact": "it would record an event for 'not a contact id!', which is not a "
                   "contact id",
    "not-a-payload": "type: the note parser for 'not-a-payload' failed: it recorded a dict: "
                     "not an event",
    "bad-time": "note.added: occurred_at: '9999-12-31T00:00:00Z' is not a UTC time",
}


@pytest.mark.parametrize(("note_type", "words"), BAD_EVENTS.items(), ids=BAD_EVENTS.keys())
def test_a_bad_event_from_a_parser_is_a_note_error(run: InProcessCLI, notes: Path,
                                                   note_type: str, words: str) -> None:
    write(notes, "bad.md", note(note_type))
    [line] = errors(once(run, notes, "parser_bad_events"))
    assert line.startswith("bad.md:") and words in line, line
    assert {s for s in sources(run) if s.startswith("notes:")} == GOOD_SOURCES
    assert run.run("verify", expect=None).code == 0
