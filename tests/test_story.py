"""What a user reads: `show`, `log`, `referrals` and the contact pages tell the story in words.

Text names people (JSON keeps ids); a merge, an undo, a kept promise and a
skipped or snoozed follow-up read as sentences; a note saved ten times is one
meeting (every version with --all), and each save costs the log a few events.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coffeechat.summary import Names, describe_document, timeline_lines, with_names
from tests.conftest import CLI

TEST_PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
def priya(run: CLI) -> CLI:
    """Priya introduced me to Marcus (added by hand) and to Dana (`refer`)."""
    run.ids("add", "Priya Natarajan", "--company", "Acme")
    run.ids("add", "Marcus O'Brien", "--referred-by", "priya")
    run.ids("refer", "priya", "Dana Whitfield", "--company", "Beta")
    return run


def profile(text: str) -> str:
    """The lines of `show` above its timeline."""
    return text.split("Timeline")[0]


def test_text_names_people_and_json_keeps_ids(priya: CLI) -> None:
    marcus = priya.run("show", "marcus").out
    assert "referred by: Priya Natarajan" in marcus
    assert "how met: introduced by Priya Natarajan" in marcus
    assert "Marcus O'Brien (referred by Priya Natarajan)" in marcus
    assert "priya-natarajan" not in marcus
    assert priya.json("show", "marcus")["referred_by"] == "priya-natarajan"
    assert "introduced me to Dana Whitfield, Beta" in priya.run("show", "priya").out
    log = priya.run("log").out
    assert "priya-natarajan" not in log
    assert {line.split()[4] + " " + line.split()[5] for line in log.splitlines()[1:]} >= {
        "Priya Natarajan", "Marcus O'Brien", "Dana Whitfield"}
    assert {e["stream"] for e in priya.json("log")} == {
        "contact:priya-natarajan", "contact:marcus-o-brien", "contact:dana-whitfield"}
    tree = priya.run("referrals").out
    assert tree.startswith("Priya Natarajan [priya-natarajan]")
    assert "Marcus O'Brien [marcus-o-brien]" in tree
    assert priya.run("referrals", "marcus").out == "Marcus O'Brien has not referred anyone yet.\n"


def test_a_renamed_referrer_is_named_as_they_are_now(priya: CLI) -> None:
    priya.ids("edit", "priya", "--name", "Priya Natarajan-Lee")
    assert "referred by: Priya Natarajan-Lee" in priya.run("show", "marcus").out
    assert "name is now Priya Natarajan-Lee" in priya.run("log").out
    assert "Marcus O'Brien (referred by Priya Natarajan-Lee)" in priya.run("log").out


def merged_becker(run: CLI, tmp_path: Path) -> None:
    """Tom Becker from a LinkedIn import, merged into Thomas Becker (added by hand)."""
    csv = tmp_path / "Connections.csv"
    csv.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                   "Tom,Becker,https://www.linkedin.com/in/tb,,Gamma,Engineer,01 Nov 2026\n")
    run.run("import", "linkedin", str(csv))
    run.ids("add", "Thomas Becker", "--email", "tom@example.com")
    run.ids("merge", "thomas-becker", "tom-becker", "--on", "2026-11-12T10:00")


def test_a_merge_is_told_from_the_side_of_the_contact_that_stays(run: CLI,
                                                                tmp_path: Path) -> None:
    merged_becker(run, tmp_path)
    shown = run.run("show", "thomas").out
    assert ("Tom Becker (from the LinkedIn import) merged into this contact on 2026-11-12"
            in shown)
    assert "Tom Becker, Gamma, Engineer" in shown  # what the merged contact brought
    timeline = run.json("show", "thomas")["timeline"]
    assert {e["stream"] for e in timeline} == {"contact:thomas-becker", "contact:tom-becker"}
    merge = next(line for line in run.run("log").out.splitlines() if "contact.merged" in line)
    assert "Tom Becker" in merge and "merged into Thomas Becker" in merge
    assert next(e for e in run.json("log") if e["type"] == "contact.merged")["data"] == {
        "into": "thomas-becker"}


def test_undo_kept_promises_and_changes_read_as_words(run: CLI) -> None:
    run.ids("add", "Jane Doe")
    [note] = run.ids("note", "jane", "met at the fair")
    run.ids("undo", note)
    run.ids("commit", "jane", "send my portfolio", "--due", "2026-11-10")
    [commitment] = [i["commitment"] for i in run.json("due", "--all")
                    if i["kind"] == "commitment"]
    run.ids("done", commitment)
    run.ids("edit", "jane", "--company", "Acme", "--email", "jane@example.com")
    shown = run.run("show", "jane").out
    assert "(undone) met at the fair" in shown
    assert "undid “met at the fair”" in shown
    assert "kept: send my portfolio (due 2026-11-10 23:59)" in shown
    assert "company is now Acme; email is now jane@example.com" in shown
    log = run.run("log").out
    assert "undid “met at the fair”" in log and "kept: send my portfolio" in log
    assert commitment not in log.replace(commitment + "\n", "")  # only in its ID column


def test_skipped_and_snoozed_follow_ups_are_in_the_timeline(run: CLI) -> None:
    run.ids("add", "Jane Doe")
    run.ids("met", "jane", "--on", "2026-11-01T15:00")
    items = {i["kind"]: i["handle"] for i in run.json("due", "--all")}
    run.run("snooze", items["thank-you"], "2026-11-05")
    run.run("skip", items["check-in"], "--reason", "we talk every week")
    shown = run.run("show", "jane").out
    assert "thank-you: snoozed until 2026-11-05" in shown
    assert "check-in: skipped (we talk every week)" in shown


def test_plugin_and_unknown_event_types_describe_themselves(run: CLI) -> None:
    gifts = {"COFFEECHAT_LOAD_PLUGINS": "event_type_gift"}
    run.run("--plugins-dir", str(TEST_PLUGINS), "add", "Jane Doe", **gifts)
    run.run("--plugins-dir", str(TEST_PLUGINS), "gift", "jane", "a book", **gifts)
    assert "sent a gift: a book" in run.run("--plugins-dir", str(TEST_PLUGINS), "log",
                                            **gifts).out
    assert '(unknown type: its plugin is not installed) {"item":"a book"}' in run.run(
        "log").out


def test_a_names_lookup_that_fails_leaves_the_ids() -> None:
    def broken(_key: str) -> None:
        raise RuntimeError("the store went away")

    names = Names(contacts=broken, events=broken, own=broken)
    merged = {"id": "e1", "type": "contact.merged", "schema": 1, "stream": "contact:tom",
              "occurred_at": "2026-11-12T10:00:00Z", "source": "cli",
              "data": '{"into":"jane-doe"}'}
    assert describe_document(merged, names) == "merged into jane-doe"
    assert timeline_lines([merged], "jane-doe", names) == [
        "tom merged into this contact on 2026-11-12"]
    undo = {**merged, "type": "event.retracted", "data": '{"target":"e0"}'}
    assert describe_document(undo, names) == "undid e0"
    assert names.person("tom") == "tom" and "jane-doe" not in names
    people = Names.of({"jane-doe": "Jane Doe"})
    assert with_names("introduced by jane-doe at PyCon", people) == \
        "introduced by Jane Doe at PyCon"
    assert describe_document(merged, people) == "merged into Jane Doe"


# -- a note saved again and again -----------------------------------------------------------

JANE = "---\ntype: contact\ncontact: Jane Doe\ncompany: Acme\ndate: 2026-11-01\n---\n"


def meeting(body: str, promise: str = "send my portfolio link") -> str:
    return f"""---
type: meeting
contact: Jane Doe
date: 2026-11-20 10:00
takeaways:
  - build one end-to-end project before applying
referrals:
  - name: Bob Smith
    company: Acme
commitments:
  - text: {promise}
    due: 2026-11-25
---
{body}
"""


@pytest.fixture
def notes(run: CLI) -> Path:
    folder = run.home / "notes"
    folder.mkdir()
    (folder / "jane.md").write_text(JANE)
    run.now = "2026-11-21T09:00:00Z"
    run.run("watch", str(folder), "--once")
    return folder


def save(run: CLI, notes: Path, text: str) -> int:
    """Save the meeting note and let `watch --once` read it: how many events that appended."""
    before = run.count()
    (notes / "meeting.md").write_text(text)
    run.run("watch", str(notes), "--once")
    return run.count() - before


def rows(text: str, kind: str) -> list[str]:
    return [line for line in text.splitlines() if f" {kind} " in line]


def test_ten_saves_of_a_note_are_one_meeting_and_cost_a_few_events_each(run: CLI,
                                                                       notes: Path) -> None:
    costs = [save(run, notes, meeting(f"We talked about hiring. Draft {n}."))
             for n in range(1, 11)]
    # The first save records the meeting, Bob, the referral, the promise and the file's
    # marker; each later one retracts the old meeting and records the new (and the marker):
    # the same three events however many saves came before.
    assert costs == [5] + [3] * 9
    shown = run.run("show", "jane").out
    [held] = rows(shown, "meeting.held")
    assert "Draft 10." in held and "Draft 9." not in shown
    assert "(18 events from earlier versions of notes and their bookkeeping not shown: " \
           "show --all shows them)" in shown
    [logged] = rows(run.run("log").out, "meeting.held")
    assert "Draft 10." in logged
    assert "notes.file-read" not in run.run("log").out
    page = (notes / "_coffeechat" / "contacts" / "jane-doe.md").read_text()
    assert page.count("meeting.held") == 1 and "Draft 10." in page
    # Every version, with --all (and always in JSON), the old ones marked undone.
    every = rows(run.run("show", "jane", "--all").out, "meeting.held")
    assert len(every) == 10 and sum("(undone)" in line for line in every) == 9
    assert len(rows(run.run("log", "--all").out, "meeting.held")) == 10
    assert "this version of the note" in run.run("log", "--all").out
    timeline = run.json("show", "jane")["timeline"]
    assert len([e for e in timeline if e["type"] == "meeting.held"]) == 10
    # What did not change kept its events: one referral, one promise, one Bob.
    assert len([e for e in timeline if e["type"] == "referral.made"]) == 1
    assert len([e for e in timeline if e["type"] == "commitment.made"]) == 1
    assert [c["name"] for c in run.json("contacts")] == ["Bob Smith", "Jane Doe"]


def test_a_save_changes_only_what_changed_and_going_back_restores(run: CLI,
                                                                 notes: Path) -> None:
    assert save(run, notes, meeting("First.")) == 5
    promise = [e["id"] for e in run.json("show", "jane")["timeline"]
               if e["type"] == "commitment.made"]
    assert save(run, notes, meeting("First.", promise="send two links")) == 3
    assert save(run, notes, meeting("First.")) == 3  # the first promise is back, not new
    live = [e["id"] for e in run.json("show", "jane")["timeline"]
            if e["type"] == "commitment.made" and not e.get("retracted")]
    assert live == promise
    assert save(run, notes, meeting("First.")) == 0  # unchanged: nothing
    assert run.json("show", "jane")["meetings"] == 1
    assert run.run("verify").code == 0


def test_an_undo_by_the_user_stays_in_view(run: CLI, notes: Path) -> None:
    save(run, notes, meeting("First."))
    run.ids("undo")  # the note's batch, undone by hand
    shown = run.run("show", "jane").out
    [held] = rows(shown, "meeting.held")
    assert "(undone) met: First." in held
    save(run, notes, meeting("Second."))  # a new version: recorded again
    shown = run.run("show", "jane").out
    assert len(rows(shown, "meeting.held")) == 2 and "(undone) met: First." in shown
