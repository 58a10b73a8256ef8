"""Message templates: built-in, overridden by yours, strict and sandboxed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import CLI


@pytest.fixture
def jane(run: CLI) -> CLI:
    (run.home / "config.toml").write_text('[me]\nname = "Maya Lopez"\n')
    run.ids("add", "Jane Doe", "--company", "Acme", "--role", "Staff Engineer",
            "--email", "jane@acme.example")
    return run


def user_template(cli: CLI, name: str, text: str) -> Path:
    folder = cli.home / "templates"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.j2"
    path.write_text(text)
    return path


def test_the_built_in_templates(jane: CLI) -> None:
    names = {t["name"]: t["source"] for t in jane.json("template", "list")}
    assert names == dict.fromkeys(["ask", "checkin", "nudge", "prep", "thank"], "built-in")
    ask = jane.json("template", "render", "ask", "jane")
    assert ask["subject"] == "Would you have 20 minutes for a conversation?"
    assert ask["body"].startswith("Hi Jane,") and "at Acme" in ask["body"]
    assert ask["body"].rstrip().endswith("Maya Lopez")
    assert "{{" in jane.run("template", "show", "thank").out


def test_the_thank_you_names_a_takeaway_and_prep_has_questions(jane: CLI) -> None:
    jane.ids("met", "jane", "--takeaway", "ship one end-to-end project",
             "--commitment", "send my portfolio", "--due", "2026-11-06")
    thank = jane.json("template", "render", "thank", "jane")["body"]
    assert "your advice to ship one end-to-end project" in thank
    assert "- send my portfolio (by 2026-11-06)" in thank
    jane.ids("schedule", "jane", "--at", "2026-11-10T15:00:00Z", "--where", "Zoom")
    prep = jane.run("template", "render", "prep", "jane").out
    assert "When: 2026-11-10 15:00 (30 min), Zoom" in prep
    questions = [line for line in prep.splitlines() if line[:2] in {f"{n}." for n in "12345"}]
    assert 3 <= len(questions) <= 5
    assert "Staff Engineer at Acme" in questions[0]  # one personal to Jane


def test_ask_with_a_template_records_what_was_written(jane: CLI) -> None:
    user_template(jane, "short", "Subject: Coffee, {{ contact.first_name }}?\n\nQuick chat?\n")
    assert {t["name"]: t["source"] for t in jane.json("template", "list")}["short"] == "yours"
    [event] = jane.json("ask", "jane", "--template", "short")["recorded"]
    data = next(e for e in jane.json("log") if e["id"] == event["id"])["data"]
    assert (data["subject"], data["body"], data["template"]) == (
        "Coffee, Jane?", "Quick chat?\n", "short")


def test_your_template_overrides_the_built_in_one(jane: CLI) -> None:
    user_template(jane, "ask", "Subject: Mine\n\nHello {{ contact.name }}\n")
    assert jane.json("template", "render", "ask", "jane")["subject"] == "Mine"


@pytest.mark.parametrize(("text", "words"), [
    ("Subject: x\n\n{% if %}\n", "template 'broken', line 3:"),
    ("Subject: x\n\nHi {{ contact.nickname }}\n", "template 'broken', line 3: UndefinedError"),
    ("Subject: x\n\n{{ contact.__class__.__mro__ }}\n", "template 'broken', line 3:"),
    ("Subject: x\n\n{{ ''.__class__.__subclasses__() }}\n", "not allowed"),
    ("Hello without a subject\n", "template 'broken', line 1: the first line must be"),
])
def test_a_failing_template_is_an_error_and_records_nothing(jane: CLI, text: str,
                                                            words: str) -> None:
    user_template(jane, "broken", text)
    before = jane.count()
    result = jane.run("ask", "jane", "--template", "broken", expect=1)
    [line] = result.err.splitlines()
    assert words in line, line
    assert jane.count() == before


def test_an_unknown_template(jane: CLI) -> None:
    result = jane.run("ask", "jane", "--template", "nope", expect=1)
    assert "no template 'nope'" in result.err and "ask" in result.err
