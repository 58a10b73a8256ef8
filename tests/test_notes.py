"""Reading a notes folder with `watch --once`: ingestion, idempotency, edits, bad notes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI

JANE = """---
type: contact
contact: Jane Doe
company: Acme
role: Staff Engineer
email: jane@example.com
date: 2026-11-01
tags: [frontend]
---
Met at the accessibility talk.
"""

MEETING = """---
type: meeting
contact: Jane Doe
date: 2026-11-20 10:00
takeaways:
  - build one end-to-end project before applying
referrals:
  - name: Bob Smith
    company: Acme
    note: leads the data platform team
commitments:
  - text: send my portfolio link
    due: 2026-11-25
---
We talked about how her team hires.
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def notes(run: CLI) -> Path:
    folder = run.home / "notes"
    folder.mkdir()
    run.now = "2026-11-21T09:00:00Z"
    return folder


def once(cli: CLI, folder: Path, expect: int = 0) -> dict[str, Any]:
    return cli.run("watch", str(folder), "--once", "--json", expect=expect).json()


def live(cli: CLI, source: str) -> list[dict[str, Any]]:
    """The events a note file recorded that are in effect (not its own bookkeeping)."""
    return [e for e in cli.json("log") if e["source"] == source and not e.get("retracted")
            and e["type"] != "event.retracted" and e["stream"].startswith("contact:")]


def test_notes_become_events_and_views(run: CLI, notes: Path) -> None:
    write(notes, "people/jane.md", JANE)
    write(notes, "2026/jane-meeting.md", MEETING)
    write(notes, "groceries.md", "# Groceries\n- milk\n")
    write(notes, "journal.md", "---\ntitle: my day\ntags: [life]\n---\nNot for coffeechat.\n")
    write(notes, ".obsidian/hidden.md", JANE.replace("Jane Doe", "Hidden Person"))
    result = once(run, notes)
    assert sorted(result["recorded"]) == ["2026/jane-meeting.md", "people/jane.md"]
    assert result["errors"] == []
    assert [c["name"] for c in run.json("contacts")] == ["Bob Smith", "Jane Doe"]
    meeting = [e["type"] for e in live(run, "notes:2026/jane-meeting.md")]
    assert meeting == ["meeting.held", "contact.added", "referral.made", "commitment.made"]
    jane = run.json("show", "jane")
    assert jane["company"] == "Acme" and jane["stage"] == "met" and jane["tags"] == ["frontend"]
    assert {d["kind"] for d in run.json("due", "--all")} >= {"thank-you", "commitment",
                                                               "referral-outreach"}
    views = notes / "_coffeechat"
    due = (views / "due.md").read_text()
    assert "thank-you" in due and "[Jane Doe](contacts/jane-doe.md)" in due
    contacts = (views / "contacts.md").read_text()
    assert "| [Jane Doe](contacts/jane-doe.md) | Acme | met |" in contacts
    assert '-->|"0 meetings"|' in (views / "referrals.md").read_text()
    page = (views / "contacts" / "jane-doe.md").read_text()
    assert "build one end-to-end project" in page
    assert "# Notes with problems\n\nNone" in (views / "errors.md").read_text()


def test_running_again_on_an_unchanged_folder_appends_nothing(run: CLI, notes: Path) -> None:
    write(notes, "jane.md", JANE)
    write(notes, "meeting.md", MEETING)
    once(run, notes)
    count = run.count()
    views = {p: p.stat().st_mtime_ns for p in (notes / "_coffeechat").rglob("*.md")}
    again = once(run, notes)
    assert (again["recorded"], again["events"], again["views"]) == ([], 0, [])
    assert run.count() == count
    assert {p: p.stat().st_mtime_ns for p in (notes / "_coffeechat").rglob("*.md")} == views


def test_editing_deleting_and_renaming(run: CLI, notes: Path) -> None:
    write(notes, "jane.md", JANE)
    meeting = write(notes, "meeting.md", MEETING)
    once(run, notes)
    bob = run.json("show", "bob")["id"]
    # Edit: the old version's events are retracted, the new ones recorded.
    write(notes, "meeting.md", MEETING.replace("build one end-to-end project", "ship a demo"))
    assert once(run, notes)["recorded"] == ["meeting.md"]
    held = [e for e in live(run, "notes:meeting.md") if e["type"] == "meeting.held"]
    assert [e["data"]["takeaways"] for e in held] == [["ship a demo before applying"]]
    assert run.json("show", "bob")["id"] == bob  # the referral keeps its contact
    assert len(run.json("contacts")) == 2
    # Back to the first version: recorded again (a new revision), not silently skipped.
    write(notes, "meeting.md", MEETING)
    once(run, notes)
    held = [e for e in live(run, "notes:meeting.md") if e["type"] == "meeting.held"]
    assert held[0]["data"]["takeaways"] == ["build one end-to-end project before applying"]
    # Rename: retracted under the old path, recorded under the new one; the facts stay.
    meeting.rename(notes / "2026-11-20-jane.md")
    result = once(run, notes)
    assert (result["recorded"], result["retracted"]) == (["2026-11-20-jane.md"], ["meeting.md"])
    assert live(run, "notes:meeting.md") == []
    assert run.json("show", "jane")["stage"] == "met"
    # Delete: everything the file said is taken back.
    (notes / "2026-11-20-jane.md").unlink()
    assert once(run, notes)["retracted"] == ["2026-11-20-jane.md"]
    assert run.json("show", "jane")["stage"] == "prospect"
    assert [c["id"] for c in run.json("contacts")] == ["jane-doe"]
    assert not (notes / "_coffeechat" / "contacts" / f"{bob}.md").exists()
    assert run.run("verify").code == 0



def test_a_note_without_a_date_keeps_the_time_it_was_first_recorded_at(
        run: CLI, notes: Path) -> None:
    write(notes, "jane.md", JANE)
    undated = MEETING.replace("date: 2026-11-20 10:00\n", "")
    meeting = write(notes, "meeting.md", undated)
    first = 1_794_304_800  # 2026-11-10T10:00:00Z, the file's time when first read
    os.utime(meeting, (first, first))
    once(run, notes)

    def held_at() -> list[str]:
        return [e["occurred_at"] for e in live(run, "notes:meeting.md")
                if e["type"] == "meeting.held"]

    assert held_at() == ["2026-11-10T10:00:00Z"]
    # Saved again days later: what it says changes, when it happened does not.
    write(notes, "meeting.md", undated.replace("how her team hires", "how her team grows"))
    os.utime(meeting, (first + 5 * 86_400, first + 5 * 86_400))
    assert once(run, notes)["recorded"] == ["meeting.md"]
    assert held_at() == ["2026-11-10T10:00:00Z"]
    # A date written into it later is the date.
    write(notes, "meeting.md", MEETING)
    once(run, notes)
    assert held_at() == ["2026-11-20T10:00:00Z"]

BAD = [
    ("invalid-yaml.md", "---\ncontact: Jane Doe\ntakeaways: [unclosed\n---\n", 3, None,
     "invalid YAML"),
    ("unknown-key.md", "---\ncontact: Jane Doe\ntype: note\nmood: happy\n---\nx\n", 4, "mood",
     "unknown key"),
    ("wrong-type.md", "---\ncontact: Jane Doe\ntype: meeting\ntakeaways: 42\n---\n", 4,
     "takeaways", "Expected `array`, got `int`"),
    ("unknown-contact.md", "---\ncontact: Nobody Known\n---\nhello\n", 2, "contact",
     "no contact matches 'Nobody Known'"),
    ("ambiguous.md", "---\ntype: ask\ncontact: Jan\n---\n", 3, "contact",
     "matches 2 contacts"),
    ("bad-date.md", "---\ncontact: Jane Doe\ndate: next fryday\n---\nhi\n", 3, "date",
     "cannot read 'next fryday'"),
    ("bad-due.md", "---\ntype: commitment\ncontact: Jane Doe\ncommitments:\n  - text: x\n"
     "    due: someday\n---\n", 4, "commitments", "cannot read 'someday'"),
    ("unknown-type.md", "---\ntype: party\ncontact: Jane Doe\n---\n", 2, "type",
     "unknown note type 'party'"),
]


@pytest.mark.parametrize(("name", "text", "line", "key", "words"), BAD,
                         ids=[b[0] for b in BAD])
def test_a_bad_note_is_reported_and_records_nothing(
    run: CLI, notes: Path, name: str, text: str, line: int, key: str | None, words: str
) -> None:
    write(notes, "jane.md", JANE)
    write(notes, "janet.md", JANE.replace("Jane Doe", "Janet Roe"))
    once(run, notes)
    write(notes, name, text)
    write(notes, "good.md", "---\ncontact: Jane Doe\n---\nA good note in the same scan.\n")
    result = once(run, notes, expect=1)
    [error] = result["errors"]
    assert (error["path"], error["line"], error["key"]) == (name, line, key)
    assert words in error["message"]
    assert result["recorded"] == ["good.md"]  # other files are unaffected
    assert len(live(run, "notes:good.md")) == 1
    assert not any(e["source"] == f"notes:{name}" for e in run.json("log"))
    errors_view = (notes / "_coffeechat" / "errors.md").read_text()
    assert f"`{name}` line {line}" in errors_view
    # Fixing the file records it, and the error goes away.
    write(notes, name, "---\ncontact: Jane Doe\n---\nfixed now\n")
    fixed = once(run, notes)
    assert fixed["recorded"] == [name] and fixed["errors"] == []
    assert "None: every note was read." in (notes / "_coffeechat" / "errors.md").read_text()


def test_a_bad_note_keeps_its_last_good_version(run: CLI, notes: Path) -> None:
    write(notes, "jane.md", JANE)
    write(notes, "meeting.md", MEETING)
    once(run, notes)
    events = live(run, "notes:meeting.md")
    write(notes, "meeting.md", MEETING.replace("contact: Jane Doe", "contact: [oops"))
    assert once(run, notes, expect=1)["errors"][0]["path"] == "meeting.md"
    assert live(run, "notes:meeting.md") == events


def test_notes_in_any_order_and_the_views_folder_is_skipped(run: CLI, notes: Path) -> None:
    # "a-meeting" sorts before "z-contact", yet it names the contact that file creates.
    write(notes, "a-meeting.md", MEETING)
    write(notes, "z-contact.md", JANE)
    write(notes, "_coffeechat/stray.md", JANE.replace("Jane Doe", "Views Person"))
    result = once(run, notes)
    assert sorted(result["recorded"]) == ["a-meeting.md", "z-contact.md"]
    assert "Views Person" not in [c["name"] for c in run.json("contacts")]


def test_a_custom_views_folder(run: CLI, notes: Path, tmp_path: Path) -> None:
    write(notes, "jane.md", JANE)
    views = tmp_path / "elsewhere"
    run.run("watch", str(notes), "--views", str(views), "--once")
    assert (views / "due.md").exists() and not (notes / "_coffeechat").exists()


def test_the_example_notes_folder(run: CLI, tmp_path: Path) -> None:
    import shutil

    example = Path(__file__).resolve().parent.parent / "examples" / "notes"
    folder = tmp_path / "notes"
    shutil.copytree(example, folder, ignore=shutil.ignore_patterns("_coffeechat"))
    run.now = "2026-11-23T09:00:00Z"
    result = once(run, folder)
    assert result["errors"] == []
    names = {c["name"] for c in run.json("contacts")}
    assert {"Priya Raman", "Tomás Silva", "Dana Kim"} <= names
    assert not any(p.endswith(("groceries.md", "reading-list.md")) for p in result["recorded"])
    assert os.path.exists(folder / "_coffeechat" / "referrals.md")


def test_the_format_example_in_the_docs_is_a_valid_note(run: CLI, notes: Path) -> None:
    import re

    doc = (Path(__file__).resolve().parent.parent / "docs" / "notes.md").read_text()
    [example] = re.findall(r"```markdown\n(.*?)```", doc, re.DOTALL)
    write(notes, "jane.md", JANE)
    write(notes, "from-the-docs.md", example)
    result = once(run, notes)
    assert result["errors"] == [] and "from-the-docs.md" in result["recorded"]
    assert {"thank-you", "commitment", "referral-outreach"} <= {
        d["kind"] for d in run.json("due", "--all")}


def test_the_views_folder_cannot_be_the_notes_folder(run: CLI, notes: Path) -> None:
    write(notes, "contacts/jane.md", JANE)
    result = run.run("watch", str(notes), "--views", str(notes), "--once", expect=1)
    assert "holds the notes folder itself" in result.err
    assert (notes / "contacts" / "jane.md").exists()


def test_only_files_coffeechat_wrote_are_pruned(run: CLI, notes: Path, tmp_path: Path) -> None:
    views = tmp_path / "shared"
    write(views, "contacts/my-own-page.md", "# mine\n")
    write(notes, "jane.md", JANE)
    run.run("watch", str(notes), "--views", str(views), "--once")
    assert (views / "contacts" / "jane-doe.md").exists()
    assert (views / "contacts" / "my-own-page.md").read_text() == "# mine\n"


def stage(cli: CLI, contact: str) -> str:
    return cli.json("show", contact)["stage"]


def test_renaming_the_person_in_a_contact_note_keeps_their_history(run: CLI,
                                                                   notes: Path) -> None:
    write(notes, "jon.md", "---\ntype: contact\ncontact: Jon Smith\ndate: 2026-11-01\n---\n")
    once(run, notes)
    run.ids("met", "jon", "--commitment", "send CV")
    write(notes, "jon.md", "---\ntype: contact\ncontact: John Smith\ndate: 2026-11-01\n---\n")
    once(run, notes)
    [john] = run.json("contacts")
    assert (john["id"], john["name"], john["stage"]) == ("jon-smith", "John Smith", "met")
    assert "commitment" in {d["kind"] for d in run.json("due", "--all")}


def test_renaming_a_contact_note_file_keeps_the_contact(run: CLI, notes: Path) -> None:
    write(notes, "people/bob.md", "---\ntype: contact\ncontact: Bob Smith\ncompany: Acme\n"
                                  "date: 2026-11-01\n---\n")
    once(run, notes)
    run.ids("ask", "bob")
    (notes / "people" / "bob.md").rename(notes / "people" / "bob-smith.md")
    result = once(run, notes)
    assert (result["recorded"], result["retracted"]) == (["people/bob-smith.md"],
                                                         ["people/bob.md"])
    [bob] = run.json("contacts")
    assert (bob["id"], bob["company"], bob["stage"]) == ("bob-smith", "Acme", "asked")


def test_an_undo_of_a_notes_events_sticks_until_the_note_changes(run: CLI,
                                                                  notes: Path) -> None:
    write(notes, "jane.md", JANE)
    meeting = write(notes, "meeting.md", MEETING)
    once(run, notes)
    assert stage(run, "jane") == "met"
    run.ids("undo")  # the last batch: the meeting note's
    assert stage(run, "jane") == "prospect"
    assert once(run, notes)["recorded"] == []  # unchanged file: the undo stands
    assert stage(run, "jane") == "prospect"
    meeting.write_text(MEETING.replace("hires", "hires engineers"))
    assert once(run, notes)["recorded"] == ["meeting.md"]
    assert stage(run, "jane") == "met"


def test_undo_of_a_note_edit_brings_back_the_previous_version(run: CLI, notes: Path) -> None:
    write(notes, "jane.md", JANE)
    write(notes, "meeting.md", MEETING)
    once(run, notes)
    write(notes, "meeting.md", MEETING.replace("build one", "ship one"))
    once(run, notes)
    run.ids("undo")
    held = [e for e in live(run, "notes:meeting.md") if e["type"] == "meeting.held"]
    assert [e["data"]["takeaways"] for e in held] == [
        ["build one end-to-end project before applying"]]
    assert stage(run, "jane") == "met"


def test_going_back_to_an_earlier_version_restores_it_without_doubling(run: CLI,
                                                                       notes: Path) -> None:
    write(notes, "jane.md", JANE)
    write(notes, "meeting.md", MEETING)
    once(run, notes)
    write(notes, "meeting.md", MEETING.replace("build one", "ship one"))
    once(run, notes)
    write(notes, "meeting.md", MEETING)
    once(run, notes)
    held = [e for e in live(run, "notes:meeting.md") if e["type"] == "meeting.held"]
    assert len(held) == 1 and held[0]["data"]["takeaways"][0].startswith("build one")
    assert run.json("show", "jane")["meetings"] == 1
    assert len([c for c in run.json("contacts") if c["name"] == "Bob Smith"]) == 1


def test_an_undone_contact_keeps_its_id_to_itself(run: CLI) -> None:
    [added] = run.ids("add", "Jane Doe", "--company", "Acme")
    run.ids("note", "jane", "private")
    run.ids("undo", added)
    [again] = run.json("add", "Jane Doe", "--company", "Globex")["recorded"]
    assert again["contact"] == "jane-doe-2"
    assert run.json("show", "jane-doe-2")["timeline"][0]["type"] == "contact.added"
    assert len(run.json("show", "jane-doe-2")["timeline"]) == 1


def test_a_contact_named_by_a_bad_note_is_not_there_for_the_next(run: CLI, notes: Path) -> None:
    """A note that fails after naming a new person records nothing, that person included:
    a later note in the same scan cannot find them."""
    write(notes, "people/jane.md", JANE)
    write(notes, "a-meeting.md", """---
type: meeting
contact: Jane Doe
date: 2026-11-20 10:00
referrals:
  - name: Zed Quux
commitments:
  - text: send it
    due: someday-ish
---
""")
    write(notes, "b-ask.md", "---\ntype: ask\ncontact: Zed Quux\ndate: 2026-11-20 11:00\n---\n")
    report = once(run, notes, expect=1)
    errors = {e["path"]: e["message"] for e in report["errors"]}
    assert "cannot read" in errors["a-meeting.md"]
    assert "no contact matches 'Zed Quux'" in errors["b-ask.md"]
    streams = {e["stream"] for e in run.json("log")}
    assert "contact:zed-quux" not in streams


def test_due_md_and_the_contact_pages_give_each_item_its_handle(run: CLI, notes: Path) -> None:
    run.now = "2026-11-20T12:00:00Z"
    run.run("add", "Jane Doe")
    run.run("ask", "jane", "--via", "email")
    run.run("watch", "--once", str(notes))
    [item] = run.json("due", "--all")
    views = notes / "_coffeechat"
    assert f"| `{item['handle']}` | " in (views / "due.md").read_text()
    assert f"(`{item['handle']}`)" in (views / "contacts" / "jane-doe.md").read_text()
    run.run("done", item["handle"])  # (what a handle copied from the view is for)
    assert item["handle"] not in {i["handle"] for i in run.json("due", "--all")}


def test_undo_of_what_a_note_recorded_says_the_note_still_says_it(run: CLI, notes: Path) -> None:
    run.run("add", "Jane Doe")
    (notes / "jane.md").write_text("---\ntype: meeting\ncontact: Jane Doe\n"
                                   "date: 2026-11-20 10:00\n---\nPlatform teams.\n")
    run.run("watch", "--once", str(notes))
    undone = run.run("undo")
    assert undone.err.strip() == (
        "coffeechat: warning: undone, but the note jane.md still says it, and a note is read "
        "again only when it changes: edit or delete the note to match (or `undo` the "
        "retraction to bring it back)")
    assert run.json("contacts")[0]["stage"] == "prospect"  # (undone it is)
    retraction = undone.out.split()[0]
    assert run.run("undo", retraction).err == ""  # (brought back: nothing to say)
    assert run.json("contacts")[0]["stage"] == "met"
    # What the CLI recorded has no note behind it: no warning.
    run.run("note", "jane", "likes tea")
    assert run.run("undo").err == ""
