"""`import jsonl` trusts a file no further than it can check it: the export's hash
chain, one event per id, and events the log can keep; a dry run records nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from coffeechat.chain import chain_hash
from tests.conftest import CLI, InProcessCLI, Result

Line = dict[str, Any]


@pytest.fixture
def exported(run: InProcessCLI, tmp_path: Path) -> Path:
    """A small log's export: Jane added, asked and noted; Bob added."""
    run.run("add", "Jane Doe", "--company", "Acme")
    run.run("ask", "jane")
    run.run("note", "jane", "Prefers mornings")
    run.run("add", "Bob Smith")
    path = tmp_path / "a.jsonl"
    run.run("export", "jsonl", "--out", str(path))
    return path


def elsewhere(run: InProcessCLI, name: str = "other") -> InProcessCLI:
    """The same CLI on another, empty store (another device)."""
    device = InProcessCLI(run.home)
    device.db = run.home / f"{name}.db"
    return device


def lines_of(path: Path) -> list[Line]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write(path: Path, lines: list[Line], *, rechain: bool = False) -> Path:
    """Write lines back; with ``rechain``, hashes are recomputed as a careful forger would."""
    path.write_text("\n".join(line_texts(lines, rechain=rechain)) + "\n")
    return path


def line_texts(lines: list[Line], *, rechain: bool) -> list[str]:
    """Lines as export writes them; with ``rechain``, seq and hashes made anew."""
    previous = ""
    texts = []
    for number, line in enumerate(lines, start=1):
        data = json.dumps(line["data"], separators=(",", ":"), ensure_ascii=False)
        envelope = {k: v for k, v in line.items() if k != "data"}
        if rechain:
            envelope["seq"] = number
            previous = envelope["hash"] = chain_hash(previous, (
                envelope["id"], envelope["stream"], str(envelope["version"]), envelope["type"],
                str(envelope["schema"]), envelope["occurred_at"], envelope["recorded_at"],
                envelope["source"], envelope["key"] or "", envelope["batch"] or "", data))
        texts.append(json.dumps(envelope, ensure_ascii=False)[:-1] + f',"data":{data}}}')
    return texts


def refused(device: CLI, path: Path, line: int) -> str:
    """The one error line of an import that must record nothing, naming file and line."""
    result = device.run("import", "jsonl", str(path), expect=None)
    assert result.code == 1 and "Traceback" not in result.err, result
    [message] = result.err.strip().splitlines()
    assert message.startswith(f"coffeechat: error: {path}: line {line}: "), message
    assert message.endswith("nothing was imported")
    assert device.count() == 0
    return message


def note(lines: list[Line]) -> Line:
    return next(line for line in lines if line["type"] == "note.added")


def _edit_note(lines: list[Line]) -> None:
    note(lines)["data"]["text"] = "Prefers evenings"


def _zero_hash(lines: list[Line]) -> None:
    note(lines)["hash"] = "0" * 64


def _drop_hash(lines: list[Line]) -> None:
    del note(lines)["hash"]


def _drop_line(lines: list[Line]) -> None:
    lines.remove(note(lines))


def _swap(lines: list[Line]) -> None:
    lines[1], lines[2] = lines[2], lines[1]


# -- the chain ------------------------------------------------------------------------------

@pytest.mark.parametrize(("tamper", "line", "words"), [
    (_edit_note, 3, "its hash does not match its content: the line was changed"),
    (_zero_hash, 3, "its hash does not match its content"),
    (_drop_hash, 3, "this line has no hash but the first line has one"),
    (_drop_line, 3, "seq 4 where 3 was expected: lines were removed, added or moved"),
    (_swap, 2, "seq 3 where 2 was expected"),
])
def test_a_line_changed_since_the_export_imports_nothing(
        run: InProcessCLI, exported: Path, tamper: Callable[[list[Line]], None], line: int,
        words: str) -> None:
    lines = lines_of(exported)
    tamper(lines)
    assert words in refused(elsewhere(run), write(exported, lines), line)


def test_an_untouched_export_still_imports_exactly(run: InProcessCLI, exported: Path,
                                                   tmp_path: Path) -> None:
    copy = elsewhere(run)
    assert copy.json("import", "jsonl", str(exported)) == {"read": 4, "added": 4, "skipped": 0}
    again = tmp_path / "again.jsonl"
    copy.run("export", "jsonl", "--out", str(again))
    assert again.read_bytes() == exported.read_bytes()
    copy.run("verify")
    # The store's head (its last event, kept beside it) follows the import.
    from coffeechat.integrity import read_head

    head = read_head(str(copy.db))
    assert head is not None and (head.seq, head.hash) == (4, lines_of(exported)[-1]["hash"])


def test_an_old_export_without_hashes_imports_with_a_warning(run: InProcessCLI,
                                                            exported: Path) -> None:
    lines = lines_of(exported)
    for line in lines:
        del line["hash"]
    copy = elsewhere(run)
    result = copy.run("import", "jsonl", str(write(exported, lines)), "--json")
    assert json.loads(result.out) == {"read": 4, "added": 4, "skipped": 0}
    [warning] = result.err.strip().splitlines()
    assert warning.startswith(f"coffeechat: warning: {exported}: no line has a hash")
    copy.run("verify")
    # One hash among lines without: refused, like one missing among lines with.
    lines[2]["hash"] = "0" * 64
    words = "this line has a hash but the first line has none"
    assert words in refused(elsewhere(run, "third"), write(exported, lines), 3)


# -- one id, one event ------------------------------------------------------------------------

def test_two_events_with_one_id_in_a_file_are_a_conflict(run: InProcessCLI,
                                                         exported: Path) -> None:
    lines = lines_of(exported)
    twin = json.loads(json.dumps(note(lines)))
    twin["data"]["text"] = "Something else entirely"
    twin["version"] += 1
    lines.append(twin)
    message = refused(elsewhere(run), write(exported, lines, rechain=True), 5)
    assert f"event {twin['id']} conflicts: an earlier line of the file has an event with " \
           "this id and a different data" in message
    # The same event twice (same content) is simply already here.
    lines[-1] = json.loads(json.dumps(note(lines)))
    lines[-1]["version"] += 1
    copy = elsewhere(run, "third")
    result = copy.json("import", "jsonl", str(write(exported, lines, rechain=True)))
    assert result == {"read": 5, "added": 4, "skipped": 1}


def test_an_event_that_differs_from_the_one_the_store_has_is_a_conflict(
        run: InProcessCLI, exported: Path, tmp_path: Path) -> None:
    lines = lines_of(exported)
    note(lines)["data"]["text"] = "Prefers evenings"
    note(lines)["occurred_at"] = "2026-01-01T00:00:00Z"
    forged = write(tmp_path / "forged.jsonl", lines, rechain=True)
    before = run.count()
    result = run.run("import", "jsonl", str(forged), expect=1)
    [message] = result.err.strip().splitlines()
    assert message.startswith(f"coffeechat: error: {forged}: line 3: event {note(lines)['id']} "
                              "conflicts: the store already has an event with this id and a "
                              "different occurred_at, data; nothing was imported")
    assert run.count() == before
    # A dry run lists every conflict and records nothing either.
    dry = run.run("import", "jsonl", str(forged), "--dry-run", "--json", expect=1)
    report = json.loads(dry.out)
    assert report["dry_run"] is True and report["added"] == 0 and report["skipped"] == 3
    assert [(c["line"], c["id"]) for c in report["conflicts"]] == [(3, note(lines)["id"])]
    assert "importing this file would import nothing" in dry.err.strip().splitlines()[-1]
    assert run.count() == before


# -- events the log cannot keep -----------------------------------------------------------

def _far_future(lines: list[Line]) -> None:
    note(lines)["occurred_at"] = "9999-99-99T99:99:99Z"


def _bad_recorded(lines: list[Line]) -> None:
    note(lines)["recorded_at"] = "2026-02-30T10:00:00Z"


def _ancient_meeting(lines: list[Line]) -> None:
    line = note(lines)
    line["type"], line["data"] = "meeting.scheduled", {"at": "0001-01-01T10:00:00Z"}


def _huge_note(lines: list[Line]) -> None:
    note(lines)["data"]["text"] = "x" * 300_000


@pytest.mark.parametrize(("tamper", "words"), [
    (_far_future, "occurred_at: '9999-99-99T99:99:99Z' is not a UTC time"),
    (_bad_recorded, "recorded_at: '2026-02-30T10:00:00Z' is not a UTC time"),
    (_ancient_meeting, "at: 0001-01-01 is outside the dates coffeechat keeps"),
    (_huge_note, "payload: 300,011 bytes is over the limit of 262,144"),
])
def test_an_event_the_log_cannot_keep_is_refused_even_with_a_valid_hash(
        run: InProcessCLI, exported: Path, tamper: Callable[[list[Line]], None],
        words: str) -> None:
    lines = lines_of(exported)
    tamper(lines)
    assert words in refused(elsewhere(run), write(exported, lines, rechain=True), 3)


# -- dry runs ----------------------------------------------------------------------------------

def test_a_dry_run_reports_what_an_import_would_do_and_records_nothing(
        run: InProcessCLI, exported: Path) -> None:
    copy = elsewhere(run)
    dry = copy.json("import", "jsonl", str(exported), "--dry-run")
    assert dry == {"read": 4, "added": 4, "skipped": 0, "dry_run": True, "conflicts": []}
    assert copy.count() == 0
    text: Result = copy.run("import", "jsonl", str(exported), "--dry-run")
    assert "4 would be added, 0 are already here; nothing was recorded (dry run)" in text.out
    copy.run("import", "jsonl", str(exported))
    again = copy.json("import", "jsonl", str(exported), "--dry-run")
    assert (again["added"], again["skipped"]) == (0, 4)
    assert copy.count() == 4


# -- control characters and where a bad payload is ----------------------------------------------

@pytest.mark.parametrize(("field", "value"), [
    ("key", "a\u0001b"), ("source", "cli\n"), ("batch", "b\u007f"), ("stream", "contact:x\n"),
])
def test_a_control_character_in_the_envelope_is_refused_escaped_or_raw(
        run: InProcessCLI, exported: Path, field: str, value: str) -> None:
    # json.dumps escapes \x01 and \n (a backslash in the line) and writes DEL as it is.
    lines = lines_of(exported)
    note(lines)[field] = value
    path = write(exported, lines, rechain=True)
    assert ("\\" in path.read_text()) is (value != "b\u007f")
    message = refused(elsewhere(run), path, 3)
    assert "control characters" in message or "not a contact stream" in message


def test_a_line_break_in_a_payload_imports(run: InProcessCLI, exported: Path) -> None:
    lines = lines_of(exported)
    note(lines)["data"]["text"] = "Prefers mornings\nand tea\tno sugar"
    copy = elsewhere(run)
    result = copy.json("import", "jsonl", str(write(exported, lines, rechain=True)))
    assert result == {"read": 4, "added": 4, "skipped": 0}
    again = copy.home / "again.jsonl"
    copy.run("export", "jsonl", "--out", str(again))
    assert note(lines_of(again))["data"]["text"] == "Prefers mornings\nand tea\tno sugar"


def test_the_bad_payload_among_many_of_its_type_is_the_line_named(
        run: InProcessCLI, exported: Path) -> None:
    lines = lines_of(exported)
    template = note(lines)
    for n in range(6):  # meetings on lines 5 to 10; the one on line 8 is out of the window
        meeting = json.loads(json.dumps(template))
        meeting["id"] = f"{template['id'][:-2]}{n:02d}"
        meeting["type"] = "meeting.scheduled"
        meeting["data"] = {"at": "1800-01-01T10:00:00Z" if n == 3 else
                           f"2026-12-0{n + 1}T10:00:00Z"}
        meeting["version"] = template["version"] + n + 1
        lines.append(meeting)
    words = "at: 1800-01-01 is outside the dates coffeechat keeps"
    assert words in refused(elsewhere(run), write(exported, lines, rechain=True), 8)
