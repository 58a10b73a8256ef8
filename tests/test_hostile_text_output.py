"""Text from the log never reaches a terminal raw.

The CLI refuses control characters, line breaks in one-line fields and the
bidirectional controls that reorder a line (core/validate.py), but the log can
hold text that never met those rules: an older version's events, `import jsonl`,
a plugin's events through the store API. The fold keeps them, so every text
output shows them as escapes, keeps each one-line field on one line and bounds
it. Here such events go in through the store API and every command that prints
text from the log is run; the check is on the bytes of stdout, so it holds
whether or not stdout is a terminal (click strips ANSI styles only from output
that is not one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import InProcessCLI

# What a terminal acts on: C0 controls but the line feed (and the tab, as errors.visible),
# DEL, C1 controls (U+009B is CSI on its own), the embeddings, overrides and isolates that
# reorder a line, and the line and paragraph separators.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")

# Every kind of trouble at once: an SGR escape, a line break, an override, a NUL,
# a C1 CSI, an isolate, a carriage return, a bell, a vertical tab and a line separator.
HOSTILE = "\x1b[31mEvil\nSecond line\u202ereversed\x00\x9b2J\u2066\r\x07\x0b\u2028end"
LONG = "Acme " + "x" * 3000
NOW = "2026-11-16T08:00:00Z"


def evil(label: str) -> str:
    """HOSTILE, told apart by ``label`` (so a test can find which field leaked)."""
    return f"{label}:{HOSTILE}"


@pytest.fixture
def hostile(run: InProcessCLI) -> Iterator[InProcessCLI]:
    """A store with hostile text in every field that gets printed, put in through the
    store API (which checks an event's shape, not what people may type)."""
    from datetime import UTC, datetime

    from coffeechat import events as ev
    from coffeechat.store import NewEvent, open_store

    def at(stamp: str) -> datetime:
        return datetime.fromisoformat(stamp).astimezone(UTC)

    evil_id, ref_id, old_id = "evil", "referrer", "old-friend"
    store = open_store(run.db)
    try:
        def add(stream: str, occurred: str, payload: ev.Payload) -> str:
            [event] = store.append([NewEvent(stream="contact:" + stream,
                                             occurred_at=occurred, payload=payload)])
            return event.id

        add(ref_id, "2026-09-01T09:00:00Z", ev.ContactAdded(
            name=evil("referrer"), company=evil("refco"), tags=[evil("reftag")]))
        add(evil_id, "2026-09-01T10:00:00Z", ev.ContactAdded(
            name=evil("name"), company=LONG, role=evil("role"), email=evil("email"),
            phone=evil("phone"), linkedin=evil("linkedin"), how_met=evil("howmet"),
            referred_by=ref_id, tags=[evil("tag"), "plain"], birthday="11-18"))
        add(ref_id, "2026-09-01T10:00:00Z", ev.ReferralMade(
            contact=evil_id, name=evil("referral"), company=evil("refcompany"),
            note=evil("refnote")))
        add(evil_id, "2026-09-02T10:00:00Z", ev.RequestSent(
            channel="email", subject=evil("subject"), body=evil("body")))
        add(evil_id, "2026-09-03T10:00:00Z", ev.RequestAnswered(answer="accepted"))
        add(evil_id, "2026-09-05T10:00:00Z", ev.MeetingHeld(
            notes=evil("notes") + " searchword", takeaways=[evil("takeaway")], minutes=30))
        add(evil_id, "2026-09-05T11:00:00Z", ev.CommitmentMade(
            text=evil("promise"), due=at("2026-11-16T17:00:00Z")))
        add(evil_id, "2026-09-06T10:00:00Z", ev.NoteAdded(text=evil("note") + " searchword"))
        add(evil_id, "2026-11-15T10:00:00Z", ev.MeetingScheduled(
            at=at("2026-11-17T15:00:00Z"), where=evil("where")))
        add(old_id, "2026-06-01T10:00:00Z", ev.ContactAdded(name=evil("old")))
        add(old_id, "2026-06-02T10:00:00Z", ev.CheckinDone(
            channel="email", note=evil("checkin")))
    finally:
        store.close()
    run.now = NOW
    yield run


def leaks(text: str) -> list[str]:
    """The lines of ``text`` holding a character a terminal would act on."""
    return [line for line in text.split("\n") if RAW.search(line)]


COMMANDS = [
    ("show", "evil"), ("show", "referrer"), ("show", "old-friend"), ("contacts",),
    ("due", "--all"), ("today",), ("reconnect",), ("search", "searchword"), ("log",),
    ("log", "--all"), ("referrals",), ("referrals", "referrer"), ("stats",),
    ("stats", "--by", "template"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_no_raw_control_reaches_stdout(hostile: InProcessCLI, args: tuple[str, ...]) -> None:
    result = hostile.run(*args)
    assert leaks(result.out) == []
    assert leaks(result.err) == []


def shown(label: str) -> str:
    """What ``evil(label)`` looks like in text output: every control as an escape."""
    from coffeechat.errors import visible

    return visible(evil(label))


def test_show_keeps_each_profile_line_one_line_and_bounded(hostile: InProcessCLI) -> None:
    out = hostile.run("show", "evil").out
    lines = out.split("\n")
    assert lines[0] == f"{shown('name')} (evil)"  # the header: one line, the name escaped
    assert "\\x1b[31mEvil\\x0aSecond line\\u202e" in lines[0]
    facts = lines[1]
    assert facts.startswith("  Acme xxx") and f"· {shown('role')} · {shown('email')}" in facts
    company = facts.split(" · ")[0].strip()
    assert len(company) == 500 and company.endswith("x…")  # 3,000 characters, cut
    profile = lines[:lines.index("Timeline")]
    assert f"  how met: {shown('howmet')}" in profile
    assert f"  referred by: {shown('referrer')}" in profile
    assert f"  tags: {shown('tag')}, plain" in profile
    [promise] = [line for line in profile if "promised" in line or "promise:" in line]
    assert shown("promise") in promise
    assert all(len(line) < 1_100 for line in lines)
    # --json keeps every value as it is stored, for scripts
    document = hostile.json("show", "evil")
    assert (document["name"], document["company"]) == (evil("name"), LONG)


def test_the_referral_tree_names_people_on_one_line_each(hostile: InProcessCLI) -> None:
    lines = hostile.run("referrals").out.split("\n")
    assert lines[:2] == [f"{shown('referrer')} [referrer]",
                         f"└── {shown('name')} [evil]  (2026-09-01)"]


def test_today_keeps_each_line_one_line(hostile: InProcessCLI) -> None:
    lines = hostile.run("today").out.split("\n")
    [meeting] = [line for line in lines if line.startswith("  2026-11-17 15:00")]
    assert meeting == f"  2026-11-17 15:00  {shown('name')} (30 min, {shown('where')})"
    [promise] = [line for line in lines if "commitment" in line]
    assert shown("promise") in promise and promise.endswith("end")
    [reconnect] = [line for line in lines if line.startswith(f"  {shown('old')} (")]
    assert "last: checkin:" in reconnect
    [prep] = [line for line in lines if line.startswith(f"      {shown('role')} at Acme")]
    assert len(prep) == 1_000 and prep.endswith("x…")  # the 3,000-character company, cut


def test_a_rendered_template_keeps_its_lines_and_escapes_the_rest(
        hostile: InProcessCLI) -> None:
    out = hostile.run("template", "render", "ask", "evil").out
    assert leaks(out) == []
    assert shown("name").split("\\x0a")[0] in out  # (the ask greets them by name)
    assert out.startswith("Subject: ") and "\n\n" in out  # its own lines are kept
    assert hostile.json("template", "render", "ask", "evil")["body"].count("\x1b") >= 1


def test_a_lookalike_warning_names_the_other_contact_escaped(hostile: InProcessCLI) -> None:
    from coffeechat import events as ev
    from coffeechat.store import NewEvent, open_store

    store = open_store(hostile.db)
    try:
        store.append([NewEvent(stream="contact:twin", occurred_at="2026-09-01T09:00:00Z",
                               payload=ev.ContactAdded(name=evil("twin"),
                                                       email="twin@example.com"))])
    finally:
        store.close()
    result = hostile.run("add", "Tess Win", "--email", "twin@example.com")
    assert leaks(result.err) == []
    [warning] = result.err.splitlines()
    assert warning.startswith("coffeechat: warning: Tess Win looks like "
                              f"{shown('twin')} (twin)")


@pytest.mark.parametrize("shell", ["zsh", "fish", "bash"])
def test_completion_offers_each_contact_on_one_line(
        hostile: InProcessCLI, monkeypatch: pytest.MonkeyPatch, shell: str) -> None:
    from click.shell_completion import get_completion_class

    from coffeechat.cli.main import App, cli

    hostile.run("contacts")  # (completion reads the projections as they are)
    monkeypatch.setenv("COFFEECHAT_DB", str(hostile.db))
    completer = get_completion_class(shell)
    assert completer is not None
    complete = completer(cli, {"obj": App()}, "coffeechat", "_COFFEECHAT_COMPLETE")
    for args, incomplete in ((["show"], "ev"), (["done"], ""), (["done"], "0")):
        items = complete.get_completions(args, incomplete)
        assert items, (args, incomplete)
        text = "\n".join(complete.format_completion(item) for item in items)
        assert leaks(text) == []
    [item] = complete.get_completions(["show"], "ev")
    assert item.help == shown("name")


def test_an_import_report_names_people_escaped(run: InProcessCLI, tmp_path: Path) -> None:
    from coffeechat import events as ev
    from coffeechat.store import NewEvent, open_store

    csv = tmp_path / "li.csv"
    csv.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                   "Jane,Doe,https://www.linkedin.com/in/janedoe,jane@example.com,Acme,"
                   "Engineer,12 Mar 2024\n", encoding="utf-8")
    run.run("import", "linkedin", str(csv))
    store = open_store(run.db)
    try:  # (their name and company changed by another door than the CLI)
        store.append([NewEvent(stream="contact:jane-doe", occurred_at="2026-11-02T08:00:00Z",
                               payload=ev.ContactUpdated(name=evil("jane"), company="NewCo"))])
    finally:
        store.close()
    out = run.run("import", "linkedin", str(csv)).out
    assert leaks(out) == []
    assert f"kept your values where the file differs: {shown('jane')} (company)" in out


def test_the_watchers_lines_show_controls_as_escapes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from coffeechat.cli.watch import Terminal

    Terminal(False, str(tmp_path)).warn(f"view failed: {evil('view')}")
    err = capsys.readouterr().err
    assert err == f"coffeechat: warning: view failed: {shown('view')}\n"


def test_a_plugins_failure_quoting_a_name_is_shown_escaped(hostile: InProcessCLI,
                                                           tmp_path: Path) -> None:
    # A plugin's error may quote what it was handed: here a rule's, the contact's name.
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "picky_rule.py").write_text(
        "from coffeechat import hookimpl\n\n\n"
        "def picky(state):\n"
        "    raise ValueError(f'no rule for {state.name}')\n\n\n"
        "@hookimpl\n"
        "def register_followup_rules(register):\n"
        "    register('picky', picky)\n", encoding="utf-8")
    result = hostile.run("--plugins-dir", str(folder), "due", "--all",
                         COFFEECHAT_LOAD_PLUGINS="picky_rule")
    assert leaks(result.err) == [] and leaks(result.out) == []
    assert "ValueError: no rule for name:\\x1b[31mEvil Second line\\u202ereversed" in result.err
