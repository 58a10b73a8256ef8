"""Importers through the register_importers hook: a plugin's format is a command like the
built-in ones (FILE, --dry-run, --json, its own options, one batch), and one that raises,
hangs or returns garbage imports nothing and says so in one line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from coffeechat.importing import Option, importer_shape
from coffeechat.plugin_calls import Refused
from tests.conftest import CLI, Result

PLUGINS = Path(__file__).parent / "plugins"
MEETINGS = ("priya@example.com,2026-12-03T10:00:00-05:00,Blue Bottle\n"
            "OMAR@example.org,2026-12-04T09:30:00+00:00,\n"
            "nobody@example.net,2026-12-05T12:00:00+00:00,Zoom\n")


def with_plugin(run: CLI, plugin: str, *args: str, expect: int | None = 0, **env: str
                ) -> Result:
    return run.run("--plugins-dir", str(PLUGINS), *args, expect=expect,
                   COFFEECHAT_LOAD_PLUGINS=plugin, **env)


def meetings(run: CLI, *args: str, expect: int | None = 0) -> Result:
    return with_plugin(run, "importer_meetings", "import", "meetings-csv", *args,
                       expect=expect)


@pytest.fixture
def people(run: CLI, tmp_path: Path) -> Path:
    run.run("add", "Priya Raman", "--email", "priya@example.com")
    run.run("add", "Omar Haddad", "--email", "omar@example.org")
    path = tmp_path / "meetings.csv"
    path.write_text(MEETINGS)
    return path


def test_a_plugin_importer_is_a_command_like_the_built_in_ones(run: CLI) -> None:
    listing = with_plugin(run, "importer_meetings", "import", "--help").out
    for name in ("meetings-csv", "people-json", "linkedin", "ics", "mbox", "jsonl"):
        assert f"  {name} " in listing
    assert "Meetings from a CSV file of email,at,where rows." in listing
    usage = with_plugin(run, "importer_meetings", "import", "meetings-csv", "--help").out
    assert "Usage: coffeechat import meetings-csv [OPTIONS] FILE" in usage
    for option in ("--minutes N", "--strict", "--dry-run", "--json"):
        assert option in usage
    assert "--skip-bad" in with_plugin(run, "importer_meetings", "import", "people-json",
                                       "--help").out
    assert "meetings-csv" not in run.run("import", "--help").out  # only when it is loaded


def test_dry_run_then_import_then_again_then_undo(run: CLI, people: Path) -> None:
    before = run.count()
    dry = json.loads(meetings(run, str(people), "--dry-run", "--json").out)
    assert dry == {"batch": None, "scheduled": ["priya-raman", "omar-haddad"],
                   "unknown": ["nobody@example.net"], "dry_run": True}
    assert run.count() == before
    text = meetings(run, str(people), "--dry-run")
    assert text.out == (f"{people}: 2 would be scheduled, 1 unknown; nothing was recorded "
                        "(dry run)\n")
    assert text.err == "coffeechat: line 3: nobody@example.net is no contact's address\n"

    report = json.loads(meetings(run, str(people), "--json", "--minutes", "45").out)
    assert report["scheduled"] == ["priya-raman", "omar-haddad"] and report["batch"]
    events = [e for e in run.json("log") if e["source"] == "import:meetings-csv"]
    assert [e["type"] for e in events] == ["meeting.scheduled"] * 2
    assert {e["batch"] for e in events} == {report["batch"]}
    priya = run.json("show", "priya")
    assert priya["stage"] == "scheduled"
    [meeting] = [e for e in priya["timeline"] if e["type"] == "meeting.scheduled"]
    assert meeting["data"]["at"] == "2026-12-03T15:00:00Z"
    assert meeting["data"]["minutes"] == 45 and meeting["data"]["where"] == "Blue Bottle"

    count = run.count()
    again = json.loads(meetings(run, str(people), "--json").out)
    assert again["batch"] is None and run.count() == count  # the keys hold
    run.run("undo", "--batch", report["batch"])
    assert run.json("show", "priya")["stage"] != "scheduled"


def test_the_plugins_own_errors_are_one_line_and_record_nothing(run: CLI, people: Path,
                                                                 tmp_path: Path) -> None:
    before = run.count()
    strict = meetings(run, str(people), "--strict", expect=1)
    assert strict.err == (f"coffeechat: error: {people}: line 3: nobody@example.net is no "
                          "contact's address; nothing was imported\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("priya@example.com,next tuesday,Zoom\n")
    result = meetings(run, str(bad), expect=1)
    assert result.err == f"coffeechat: error: {bad}: line 1: cannot read the time 'next tuesday'\n"
    missing = meetings(run, str(tmp_path / "nowhere.csv"), expect=1)
    assert missing.err.startswith("coffeechat: error: FILE: cannot read ")
    folder = meetings(run, str(tmp_path), expect=1)
    assert folder.err == f"coffeechat: error: FILE: {tmp_path} is not a regular file\n"
    assert run.count() == before


def test_a_people_format_registered_the_old_way(run: CLI, tmp_path: Path) -> None:
    path = tmp_path / "people.json"
    path.write_text(json.dumps([{"name": "Jane Doe", "email": "jane@acme.example",
                                 "company": "Acme"}, {"email": "no-name@example.com"}]))
    refused = with_plugin(run, "importer_meetings", "import", "people-json", str(path),
                          expect=1)
    assert "row 2: no name" in refused.err and "--skip-bad" in refused.err
    args = ("import", "people-json", str(path), "--skip-bad", "--json")
    dry = json.loads(with_plugin(run, "importer_meetings", *args, "--dry-run").out)
    assert dry["added"] == ["jane-doe"] and dry["dry_run"] is True and run.count() == 0
    report = json.loads(with_plugin(run, "importer_meetings", *args).out)
    assert report["added"] == ["jane-doe"]
    assert report["skipped"] == [{"row": 2, "message": "no name"}]
    jane = run.json("show", "jane")
    assert (jane["company"], jane["how_met"]) == ("Acme", "people-json")
    assert jane["timeline"][0]["source"] == "import:people-json"


# -- importers that fail ------------------------------------------------------------------

def hostile(run: CLI, how: str, path: Path, *args: str, expect: int | None = 1) -> Result:
    return with_plugin(run, "importer_hostile", "import", "hostile", str(path), *args,
                       expect=expect, HOSTILE_IMPORTER=how, COFFEECHAT_HOOK_SECONDS="0.5")


FAILURES = [
    ("raise-read", "read: ValueError: boom in read"),
    ("hang-read", "read: took longer than 0.5 s and was stopped"),
    ("exit-read", "read: SystemExit: 3"),
    ("raise-plan", "plan: ValueError: boom in plan"),
    ("hang-plan", "plan: took longer than 0.5 s and was stopped"),
    ("garbage-plan", "plan: plan returned a list, not a coffeechat.importing.Plan"),
]
STORE_REFUSES = ("bad-event-plan",
                 "(note.added on contact:Not An Id!): stream: a contact stream is")


@pytest.mark.parametrize(("how", "words", "dry_run"), [
    *((how, words, dry_run) for how, words in FAILURES for dry_run in (False, True)),
    (*STORE_REFUSES, False),  # (a dry run appends nothing: the store never sees it)
])
def test_an_importer_that_fails_imports_nothing_in_one_line(
        run: CLI, tmp_path: Path, how: str, words: str, dry_run: bool) -> None:
    run.run("add", "Jane Doe")
    path = tmp_path / "input.txt"
    path.write_text("anything\n")
    before = run.count()
    result = hostile(run, how, path, *(["--dry-run"] if dry_run else []))
    assert "Traceback" not in result.err and result.out == ""
    [line] = result.err.splitlines()
    assert line.startswith("coffeechat: error: plugin 'importer_hostile' failed in import "
                           "hostile: "), line
    assert words in line and line.endswith("nothing was imported"
                                           if "event" not in how else "nothing was recorded")
    assert run.count() == before
    # The store is not left locked: the next command records.
    run.run("note", "jane", "still here")
    assert run.count() == before + 1


@pytest.mark.parametrize(("how", "words"), [
    ("raise-report", "report: ValueError: boom in report"),
    ("garbage-report", "report: report returned a dict, not a coffeechat.importing.Report"),
])
def test_a_report_that_fails_after_the_import_is_a_warning(run: CLI, tmp_path: Path,
                                                           how: str, words: str) -> None:
    run.run("add", "Jane Doe")
    path = tmp_path / "input.txt"
    path.write_text("anything\n")
    result = hostile(run, how, path, expect=0)
    assert result.err == (f"coffeechat: warning: plugin 'importer_hostile' failed in import "
                          f"hostile: {words}\n")
    assert result.out.startswith(f"{path}: 1 events recorded (batch ")
    assert run.json("log")[-1]["data"] == {"text": f"imported {path}"}
    document = json.loads(hostile(run, how, path, "--json", expect=0).out)
    assert document["recorded"] == 1 and document["batch"] == run.json("log")[-1]["batch"]


def test_a_working_hostile_importer_for_contrast(run: CLI, tmp_path: Path) -> None:
    run.run("add", "Jane Doe")
    path = tmp_path / "input.txt"
    path.write_text("anything\n")
    dry = hostile(run, "", path, "--dry-run", expect=0)
    assert dry.out == "noted jane-doe; nothing was recorded (dry run)\n"
    assert json.loads(hostile(run, "", path, "--json", expect=0).out) == {"noted": "jane-doe"}


def test_bad_registrations_are_left_out_with_one_warning(run: CLI, tmp_path: Path) -> None:
    result = with_plugin(run, "importer_hostile", "import", "--help",
                         HOSTILE_IMPORTER="register")
    [warning] = result.err.splitlines()
    assert warning.startswith("coffeechat: warning: plugin 'importer_hostile' failed in "
                              "register_importers: ")
    assert "(and 5 more)" in warning
    listed = [line.split()[0] for line in result.out.split("Commands:\n")[1].splitlines()]
    assert listed == ["google", "hostile", "ics", "jsonl", "linkedin", "maildir", "mbox",
                      "vcard"]
    # The built-in importers work beside it.
    data = Path(__file__).parent / "data" / "linkedin-old.csv"
    with_plugin(run, "importer_hostile", "import", "linkedin", str(data),
                HOSTILE_IMPORTER="register")
    assert run.count() == 2


# -- the registration shape, directly --------------------------------------------------------

class Fine:
    name = "fine"
    help = "Fine."
    reads = "folder"
    options = (Option("deep", "Look deeper."), Option("since", "From when.", metavar="DATE"))

    def read(self, path: str, context: Any) -> None: ...

    def plan(self, store: Any, data: Any, context: Any) -> Any: ...

    def report(self, result: Any) -> Any: ...


def test_what_register_keeps() -> None:
    [kept] = importer_shape(Fine())
    assert (kept.name, kept.reads, [o.name for o in kept.options]) == (
        "fine", "folder", ["deep", "since"])
    [people] = importer_shape("csv-people", lambda path: None)
    assert people.reads == "file" and [o.name for o in people.options] == ["skip-bad"]
    assert people.help.startswith("Import people from a csv-people file.")


@pytest.mark.parametrize(("change", "words"), [
    ({"name": "two words"}, "is not a command name"),
    ({"name": "jsonl"}, "coffeechat's own"),
    ({"help": ""}, "help '' is not a text"),
    ({"reads": "stdin"}, "reads 'stdin' is not 'file' or 'folder'"),
    ({"options": "skip-bad"}, "is not a tuple"),
    ({"options": (Option("dry-run", "x"),)}, "is not a free option name"),
    ({"options": (Option("a", "x"), Option("a", "y"))}, "is not a free option name"),
    ({"options": (("x", "y", None),)}, "is not a coffeechat.importing.Option"),
    ({"plan": None}, "plan is None, not a method"),
])
def test_what_register_refuses(change: dict[str, object], words: str) -> None:
    importer = Fine()
    for attribute, value in change.items():
        setattr(importer, attribute, value)
    with pytest.raises(Refused, match=words.replace("(", r"\(").replace(".", r"\.")):
        importer_shape(importer)


# -- the example in docs/plugins.md ------------------------------------------------------------

def test_the_documented_importer_runs(run: CLI, tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "plugins.md").read_text()
    [code] = re.findall(r"<!-- importer-plugin -->\n```python\n(.*?)\n```", text, re.DOTALL)
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "notes_tsv.py").write_text(code)
    run.run("add", "Priya Raman", "--email", "priya@example.com")
    path = tmp_path / "notes.tsv"
    path.write_text("Priya@example.com\tLoves climbing\nnobody@example.net\tWho?\n")
    args = ("--plugins-dir", str(folder), "import", "notes-tsv", str(path))
    env = {"COFFEECHAT_LOAD_PLUGINS": "notes_tsv"}
    dry = run.run(*args, "--dry-run", **env).out
    assert dry == f"{path}: 1 notes would be recorded; nothing was recorded (dry run)\n"
    assert run.json(*args, **env) == {"noted": ["priya-raman"]}
    assert run.json(*args, **env) == {"noted": []}  # its key is in the log
    assert [e["data"] for e in run.json("log") if e["type"] == "note.added"] == [
        {"text": "Loves climbing"}]
    path.write_text("priya@example.com Loves climbing\n")
    assert run.run(*args, expect=1, **env).err == (
        f"coffeechat: error: {path}: line 1: no tab after the address\n")
