"""Bad input: exit code 1, one line on stderr naming what and where, and the log untouched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import CLI, InProcessCLI

LONG = "x" * 25_000


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with a few people, made once and copied for each test."""
    cli = InProcessCLI(tmp_path_factory.mktemp("template"))
    cli.ids("add", "Jane Doe", "--company", "Acme", "--email", "jane@acme.example")
    cli.ids("add", "Jane Smith", "--company", "Initech")
    cli.ids("add", "Conan O'Brien")
    cli.ids("add", "李小龍")
    cli.ids("add", "Zoë Ångström")
    return cli.db


@pytest.fixture
def people(run: CLI, template: Path) -> CLI:
    shutil.copy(template, run.db)
    return run


CASES = [
    # (arguments, words the one-line message must contain)
    (["ask", "Nobody"], ["CONTACT", "no contact matches", "'Nobody'"]),
    (["ask", "jane"], ["CONTACT", "matches 2 contacts", "Jane Doe (jane-doe)",
                       "Jane Smith (jane-smith)"]),
    (["ask", "O'Nobody"], ["CONTACT", "no contact matches"]),
    (["ask", "Jane\nDoe"], ["CONTACT", "no contact matches", "\\n"]),
    (["ask", "Мария"], ["CONTACT", "no contact matches", "Мария"]),
    (["met", "Jane Doe", "--on", "next fryday"], ["--on", "cannot read", "next fryday"]),
    (["schedule", "Jane Doe", "--at", "2026-13-45"], ["--at", "cannot read", "2026-13-45"]),
    (["commit", "Jane Doe", "send it", "--due", "someday"], ["--due", "cannot read"]),
    (["met", "Jane Doe", "--commitment", "x", "--due", "soon"], ["--due", "cannot read"]),
    (["met", "Jane Doe", "--due", "2026-11-30"], ["--due", "--commitment"]),
    (["due", "--as-of", "last week-ish"], ["--as-of", "cannot read"]),
    (["add", ""], ["NAME", "must not be empty"]),
    (["add", "   "], ["NAME", "must not be empty"]),
    (["add", "Jane\nDoe"], ["NAME", "one line"]),
    (["add", "Bell\x07"], ["NAME", "control characters"]),
    (["add", "N" * 300], ["NAME", "300 characters", "too long"]),
    (["note", "Jane Doe", LONG], ["TEXT", "25000 characters", "too long"]),
    (["met", "Jane Doe", "--notes", LONG], ["--notes", "too long"]),
    (["add", "Bob", "--email", "bob-at-example"], ["--email", "not an email address"]),
    (["add", "Bob", "--referred-by", "Nobody"], ["--referred-by", "no contact matches"]),
    (["ask", "Jane Doe", "--via", "pigeon"], ["--via", "unknown channel", "'pigeon'"]),
    (["ask", "Jane Doe", "--send"], ["--send: set your address"]),
    (["thank", "Jane Doe", "--draft"], ["--draft: set your address"]),
    (["ask", "Jane Smith", "--send"], ["--send: Jane Smith has no email address",
                                       "nothing was recorded"]),
    (["answer", "Jane Doe", "accepted"], ["CONTACT", "no open request"]),
    (["done", "0123456789"], ["HANDLE", "no open follow-up", "no commitment", "'0123456789'"]),
    (["undo", "ffffffff"], ["EVENT_ID", "no event"]),
    (["edit", "Jane Doe"], ["edit", "nothing to change"]),
    (["cadence", "Jane Doe", "0"], ["DAYS", "between 1 and 3650"]),
    (["show", "Nobody"], ["CONTACT", "no contact matches"]),
    (["log", "--contact", "Nobody"], ["--contact", "no contact matches"]),
]


@pytest.mark.parametrize(("args", "words"), CASES, ids=[" ".join(c[0])[:40] for c in CASES])
def test_bad_input_is_one_line_exit_1_and_records_nothing(
    people: CLI, args: list[str], words: list[str]
) -> None:
    before = people.count()
    for extra in ([], ["--json"]):
        result = people.run(*args, *extra, expect=1)
        lines = result.err.splitlines()
        assert len(lines) == 1, result.err
        assert lines[0].startswith("coffeechat: error: ")
        for word in words:
            assert word in lines[0], (word, lines[0])
        assert result.out == ""
    assert people.count() == before


def test_bad_clock_is_reported(people: CLI) -> None:
    result = people.run("due", expect=1, COFFEECHAT_NOW="yesterday-ish")
    assert result.err.splitlines() == [
        "coffeechat: error: COFFEECHAT_NOW: cannot read 'yesterday-ish' as ISO 8601"]


def test_usage_errors_exit_2(people: CLI) -> None:
    before = people.count()
    assert people.run("add", expect=2).err.strip().endswith("Missing argument 'NAME'.")
    assert people.run("answer", "Jane Doe", "maybe", expect=2).code == 2
    assert people.run("frobnicate", expect=2).code == 2
    assert people.count() == before


def test_quotes_and_scripts_round_trip(people: CLI) -> None:
    names = {c["id"]: c["name"] for c in people.json("contacts")}
    assert names["conan-o-brien"] == "Conan O'Brien"
    assert names["李小龍"] == "李小龍"
    assert names["zoë-ångström"] == "Zoë Ångström"
    people.ids("add", 'Dwayne "The Rock" Johnson', "--company", "Seven Bucks; DROP TABLE events")
    rock = people.json("show", "the rock")
    assert rock["name"] == 'Dwayne "The Rock" Johnson'
    assert rock["company"] == "Seven Bucks; DROP TABLE events"
    assert people.json("show", "小龍")["id"] == "李小龍"
    assert people.json("show", "zoë")["id"] == "zoë-ångström"
    assert people.json("show", "o'brien")["id"] == "conan-o-brien"
    assert people.run("verify").code == 0


def test_an_exact_name_settles_a_tie(people: CLI) -> None:
    people.ids("add", "Jane")
    assert people.json("show", "jane")["id"] == "jane"


def test_unusable_options_and_paths(people: CLI) -> None:
    assert people.run("due", "--within", "1e12", expect=2).code == 2
    assert people.run("due", "--within", "nan", expect=2).code == 2
    result = people.run("--db", "/proc/no/such/dir/x.db", "contacts", expect=1)
    [line] = result.err.splitlines()
    assert line.startswith("coffeechat: error: /proc/no/such/dir/x.db: cannot create the store")
    assert people.json("show", "JANE-DOE")["id"] == "jane-doe"  # ids are case-insensitive
