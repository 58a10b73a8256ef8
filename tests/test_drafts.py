"""`--draft` on every channel: a record-only channel's draft is text to paste, and so is
an email draft for a contact without an email address. A draft records nothing."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from tests.conftest import CLI

TEST_PLUGINS = Path(__file__).parent / "plugins"
DRAFT_LINE = re.compile(r"^draft written to (\S+); nothing was recorded", re.MULTILINE)


@pytest.fixture
def people(run: CLI, tmp_path: Path) -> CLI:
    (run.home / "config.toml").write_text(
        '[me]\nname = "Maya Lopez"\n'
        f'[email]\noutbox = "{tmp_path / "outbox"}"\n')
    run.ids("add", "Leo Park", "--company", "Acme Inc.", "--role", "Analytics Manager",
            "--linkedin", "https://www.linkedin.com/in/leo-park")
    run.ids("add", "Priya Natarajan", "--phone", "+1 555 0100")
    return run


def draft_path(out: str) -> Path:
    found = DRAFT_LINE.search(out)
    assert found, out
    return Path(found.group(1))


def test_a_linkedin_draft_is_printed_and_written_as_text(people: CLI, tmp_path: Path) -> None:
    before = people.count()
    result = people.run("ask", "leo", "--via", "linkedin", "--draft")
    path = draft_path(result.out)
    assert path.parent == tmp_path / "outbox"
    assert re.fullmatch(r"\d{8}-\d{6}-leo-park-ask\.txt", path.name), path.name
    text = path.read_text()
    assert text.startswith("To: Leo Park <https://www.linkedin.com/in/leo-park>\n"
                           "Via: linkedin\n"
                           "Subject: Would you have 20 minutes for a conversation?\n\n"
                           "Hi Leo,\n")
    assert "an Analytics Manager at Acme Inc.\n" in text
    assert result.out.startswith(text)  # what was printed is what was written
    assert "`coffeechat ask leo-park --via linkedin` records it" in result.out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert people.count() == before  # recording happens when they say it went out
    assert result.err == ""


def test_a_draft_of_the_same_message_in_the_same_second_gets_its_own_file(people: CLI) -> None:
    first = draft_path(people.run("thank", "leo", "--via", "linkedin", "--draft").out)
    second = draft_path(people.run("thank", "leo", "--via", "linkedin", "--draft").out)
    assert first != second and second.name == first.name.replace(".txt", "-2.txt")
    assert first.read_text() == second.read_text()


@pytest.mark.parametrize(("command", "via", "subject"), [
    ("ask", "phone", "Would you have 20 minutes for a conversation?"),
    ("thank", "in-person", "Thank you for your time"),
    ("checkin", "video", "Checking in"),
])
def test_every_record_only_channel_drafts(people: CLI, command: str, via: str,
                                          subject: str) -> None:
    before = people.count()
    result = people.run(command, "priya", "--via", via, "--draft")
    text = draft_path(result.out).read_text()
    assert f"\nVia: {via}\nSubject: {subject}\n\nHi Priya,\n" in text
    if via == "phone":
        assert text.startswith("To: Priya Natarajan <+1 555 0100>\n")
    assert people.count() == before


def test_an_email_draft_without_an_email_address_has_no_recipient(people: CLI) -> None:
    before = people.count()
    result = people.run("thank", "priya", "--draft")
    path = draft_path(result.out)
    assert path.suffix == ".txt" and path.read_text().startswith("To: Priya Natarajan\n")
    assert ("no email address for Priya Natarajan: the draft has no recipient (add one: "
            "coffeechat edit priya-natarajan --email ...)") in result.out
    assert people.count() == before
    # ... while one with an address is still an .eml draft for the mail program.
    people.run("edit", "priya", "--email", "priya@example.com")
    (people.home / "config.toml").write_text(
        (people.home / "config.toml").read_text().replace(
            '[me]\nname = "Maya Lopez"\n', '[me]\nname = "Maya Lopez"\nemail = "m@example.com"\n'))
    eml = people.run("thank", "priya", "--draft").out.strip()
    assert eml.startswith("draft written to ") and eml.endswith(".eml")


def test_json_says_nothing_was_recorded_and_where_the_draft_is(people: CLI) -> None:
    document = people.json("ask", "leo", "--via", "linkedin", "--draft")
    assert document["recorded"] == []
    assert draft_path(document["receipt"]).exists()


def test_asking_again_drafts_the_nudge(people: CLI) -> None:
    people.ids("ask", "leo", "--via", "linkedin")
    result = people.run("ask", "leo", "--via", "linkedin", "--draft")
    assert "Subject: Following up on my note" in draft_path(result.out).read_text()


@pytest.mark.parametrize(("args", "words"), [
    (["ask", "leo", "--via", "linkedin", "--send"],
     "--send: the 'linkedin' channel cannot deliver messages"),
    (["thank", "priya", "--send"], "--send: Priya Natarajan has no email address"),
    (["thank", "leo", "--via", "phone", "--send"], "--send: the 'phone' channel cannot"),
])
def test_send_still_refuses_what_cannot_be_sent(people: CLI, args: list[str],
                                                words: str) -> None:
    before = people.count()
    result = people.run(*args, expect=1)
    [line] = result.err.splitlines()
    assert words in line, line
    assert people.count() == before


def test_send_refuses_a_contact_without_an_address(people: CLI) -> None:
    (people.home / "config.toml").write_text('[me]\nname = "Maya"\nemail = "m@example.com"\n')
    result = people.run("thank", "priya", "--send", expect=1)
    assert result.err.splitlines() == [
        "coffeechat: error: --send: Priya Natarajan has no email address, which the 'email' "
        "channel needs (add one: coffeechat edit priya-natarajan --email ...); "
        "nothing was recorded"]


def test_a_plugin_channel_that_cannot_draft_gets_a_text_draft(people: CLI) -> None:
    result = people.run("--plugins-dir", str(TEST_PLUGINS), "ask", "leo", "--via", "pigeon",
                        "--draft", COFFEECHAT_LOAD_PLUGINS="pigeon")
    assert "Via: pigeon\n" in draft_path(result.out).read_text()


def test_a_draft_is_not_written_when_the_template_fails(people: CLI, tmp_path: Path) -> None:
    folder = people.home / "templates"
    folder.mkdir()
    (folder / "broken.j2").write_text("Subject: x\n\n{{ contact.nickname }}\n")
    people.run("ask", "leo", "--via", "linkedin", "--template", "broken", "--draft", expect=1)
    assert not (tmp_path / "outbox").exists()
