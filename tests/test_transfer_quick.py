"""`import jsonl` checks a block of lines at once where it can, and line by line where it
cannot (coffeechat.jsonl_file): both ways must import and refuse exactly the same files,
naming the same line in the same words, whatever the size of a block."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from coffeechat import transfer
from coffeechat.chain import chain_hash, exported_hashes
from coffeechat.errors import BadInput
from coffeechat.jsonl_file import JsonlFile
from coffeechat.store import open_store
from coffeechat.transfer import import_jsonl
from coffeechat.usable import all_stamps, stamp_problem
from tests.conftest import InProcessCLI
from tests.test_transfer_tamper import line_texts

Line = dict[str, Any]
Edit = Callable[[list[bytes]], list[bytes]]


@pytest.fixture
def exported(run: InProcessCLI, tmp_path: Path) -> list[bytes]:
    """A varied log's export, as its lines: several people, a batch, a key, escapes."""
    run.run("add", "Jane Doe", "--company", "Acme", "--tag", "ml")
    run.run("add", "Zoë Ångström", "--email", "zoe@example.com")
    run.run("ask", "jane")
    run.run("note", "jane", 'Said "hi"\\ then: line one\nline two')
    run.now = "2026-11-03T09:00:00Z"
    run.run("answer", "jane", "accepted")
    run.run("add", "Bob Smith")
    run.run("note", "bob", "Plain")
    path = tmp_path / "a.jsonl"
    run.run("export", "jsonl", "--out", str(path))
    return path.read_bytes().splitlines(keepends=True)


def parsed(lines: list[bytes]) -> list[Line]:
    return [json.loads(line) for line in lines]


def unparsed(lines: list[Line], *, rechain: bool = True) -> list[bytes]:
    """Lines written back; with ``rechain``, seq and hashes made anew (a careful forger)."""
    return [(text + "\n").encode("utf-8", "surrogatepass")
            for text in line_texts(lines, rechain=rechain)]


def field(name: str, value: object, index: int = 3) -> Edit:
    def edit(lines: list[bytes]) -> list[bytes]:
        changed = parsed(lines)
        changed[index][name] = value
        return unparsed(changed)
    return edit


def raw(function: Callable[[list[bytes]], list[bytes]]) -> Edit:
    return function


EDITS: dict[str, Edit] = {
    "untouched": raw(lambda lines: lines),
    "blank lines": raw(lambda lines: [lines[0], b"\n", *lines[1:4], b"   \r\n", *lines[4:]]),
    "CRLF": raw(lambda lines: [line.replace(b"\n", b"\r\n") for line in lines]),
    "no final line break": raw(lambda lines: [*lines[:-1], lines[-1].rstrip(b"\n")]),
    "BOM": raw(lambda lines: [b"\xef\xbb\xbf" + lines[0], *lines[1:]]),
    "two objects on a line": raw(lambda lines: [lines[0], lines[1].rstrip() + b" {}\n",
                                                *lines[2:]]),
    "an object over two lines": raw(lambda lines: [lines[0], *lines[1].split(b",", 1)[0:1],
                                                   b"\n," + lines[1].split(b",", 1)[1],
                                                   *lines[2:]]),
    "the two together": raw(lambda lines: [lines[0].split(b",", 1)[0] + b"\n",
                                           b"," + lines[0].split(b",", 1)[1].rstrip()
                                           + b" " + lines[1], *lines[2:]]),
    "invalid UTF-8 in a payload": raw(lambda lines: [
        *lines[:3], lines[3].replace(b'"text":"', b'"text":"\xc3'), *lines[4:]]),
    "a hash changed": raw(lambda lines: [*lines[:2], lines[2].replace(b'"hash":"', b'"hash":"0'),
                                         *lines[3:]]),
    "a line removed": raw(lambda lines: [*lines[:2], *lines[3:]]),
    "a line copied": raw(lambda lines: [*lines, lines[1]]),
    "a line twice": lambda lines: unparsed([*parsed(lines), parsed(lines)[1]]),
    "no hashes": lambda lines: unparsed([{k: v for k, v in line.items() if k != "hash"}
                                         for line in parsed(lines)], rechain=False),
    "one hash missing": lambda lines: unparsed([
        {k: v for k, v in line.items() if k != "hash" or n != 2}
        for n, line in enumerate(parsed(lines))], rechain=False),
    "one hash among none": lambda lines: unparsed([
        {k: v for k, v in line.items() if k != "hash" or n == 2}
        for n, line in enumerate(parsed(lines))], rechain=False),
    "occurred_at with a line break": field("occurred_at", "2026-11-01T10:00:00Z\n"),
    "occurred_at of 30 February": field("occurred_at", "2026-02-30T10:00:00Z"),
    "occurred_at before 1900": field("occurred_at", "1800-01-01T10:00:00Z"),
    "occurred_at in other digits": field("occurred_at", "٢٠٢٦-11-01T10:00:00Z"),
    "occurred_at not a stamp": field("occurred_at", "yesterday"),
    "recorded_at at 25 o'clock": field("recorded_at", "2026-11-01T25:00:00Z"),
    "recorded_at after 2200": field("recorded_at", "2201-01-01T10:00:00Z", index=0),
    "a control character in source": field("source", "cli\x01"),
    "DEL in the id": field("id", "abc\x7f"),
    "a tab in the key": field("key", "k\t"),
    "a unit separator in the batch": field("batch", "b\x1f"),
    "a line separator in source": field("source", "cli\u2028"),
    "DEL in a payload": field("data", {"text": "a\x7fb"}),
    "a lone surrogate in source": raw(lambda lines: [
        *lines[:3], lines[3].replace(b'"source":"', b'"source":"\\ud800'), *lines[4:]]),
    "a schema from the future": field("schema", 99),
    "schema 0": field("schema", 0),
    "not a contact stream": field("stream", "contact:two words"),
    "another stream": field("stream", "settings"),
    "an empty id": field("id", ""),
    "an unknown type": field("type", "plugin.thing"),
    "a payload of the wrong shape": field("data", {"text": 5}),
    "a version missing": field("version", None),
    "a key twice": lambda lines: unparsed([
        {**line, "key": "note-1"} if n in (2, 4) else line
        for n, line in enumerate(parsed(lines))]),
    "an id twice, other content": lambda lines: unparsed(
        [*parsed(lines), {**parsed(lines)[3], "source": "elsewhere"}]),
    # which is named depends on how many lines are read before the merge sees them
    "a conflict, then a line changed": lambda lines: [
        *(rechained := unparsed([parsed(lines)[0], {**parsed(lines)[0], "source": "b"},
                                 *parsed(lines)[1:]]))[:3],
        rechained[3].replace(b'"hash": "', b'"hash": "0'), *rechained[4:]],
}


def outcome(lines: list[bytes], quick: bool) -> tuple[Any, ...]:
    """What importing ``lines`` into a new store does: the report and rows, or the error."""
    store = open_store(":memory:")
    try:
        file = JsonlFile(lines, "x.jsonl", quick=quick)
        report = import_jsonl(store, file)
        rows = list(store.conn.execute("SELECT * FROM events ORDER BY seq"))
        return "imported", report.read, report.added, report.skipped, file.hashless, rows
    except BadInput as error:
        assert store.count() == 0
        return "refused", str(error)
    finally:
        store.close()


@pytest.mark.parametrize("chunk", [2, 5, transfer.CHUNK])
def test_checked_at_once_or_line_by_line_the_same(
        exported: list[bytes], monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(transfer, "CHUNK", chunk)
    differ = []
    for name, edit in EDITS.items():
        lines = edit(exported)
        quick = outcome(lines, True)
        if quick != outcome(lines, False):
            differ.append(name)
        if name == "untouched":
            assert quick[:4] == ("imported", len(exported), len(exported), 0)
        elif name == "a line twice":
            assert quick[:4] == ("imported", len(lines), len(exported), 1)
        elif name == "a key twice":
            assert quick[:4] == ("imported", len(lines), len(lines) - 1, 1)
        elif name not in ("blank lines", "CRLF", "no final line break", "no hashes",
                          "another stream", "an unknown type", "a line separator in source",
                          "DEL in a payload"):
            assert quick[0] == "refused", name
    assert differ == []


def test_an_export_is_checked_a_block_at_a_time(exported: list[bytes]) -> None:
    # (else the test above compares the line-by-line way with itself)
    assert JsonlFile(exported, "x.jsonl")._quick(exported, 1) is not None
    assert JsonlFile(exported[:3], "x.jsonl")._quick(EDITS["blank lines"](exported)[:3],
                                                     1) is None


def test_hashes_at_once_are_the_chain_hash(exported: list[bytes]) -> None:
    from coffeechat.jsonl_file import ExportedEvent

    events = [json.loads(line) for line in exported]
    decoded = [ExportedEvent(**{k: v for k, v in e.items() if k != "data"}, data=msgspec.Raw(b""))
               for e in events]
    datas = [json.dumps(e["data"], separators=(",", ":"), ensure_ascii=False) for e in events]
    befores = ["", *[e["hash"] for e in events[:-1]]]
    assert exported_hashes(befores, decoded, datas) == [e["hash"] for e in events]
    decoded[1].key = None
    decoded[1].batch = "b"
    assert exported_hashes(befores[1:2], decoded[1:2], datas[1:2]) == [chain_hash(
        befores[1], (decoded[1].id, decoded[1].stream, str(decoded[1].version),
                     decoded[1].type, str(decoded[1].schema), decoded[1].occurred_at,
                     decoded[1].recorded_at, decoded[1].source, "", "b", datas[1]))]


@pytest.mark.parametrize("texts", [
    [], ["2026-11-20T18:00:00Z"], ["2026-11-20T18:00:00Z", "1900-01-01T00:00:00Z"],
    ["2026-11-20T18:00:00Z", "2026-02-30T18:00:00Z"], ["2026-11-20T18:00:00Z\n"],
    ["2026-11-20T18:00:00Z\n2026-11-20T18:00:00Z", ""], ["2200-12-31T23:59:59Z"],
    ["2201-01-01T00:00:00Z"], ["1899-12-31T23:59:59Z"], ["٢٠٢٦-11-20T18:00:00Z"],
    ["2026-11-20 18:00:00Z"], ["2026-11-20T18:00:00+00:00"], ["2026-11-20T24:00:00Z"],
])
def test_stamps_at_once_as_one_by_one(texts: list[str]) -> None:
    assert all_stamps(texts) == all(stamp_problem(t, "x") is None for t in texts)


GOOD = {"contact.added": '{"name":"Jane Doe"}', "note.added": '{"text":"hi"}',
        "meeting.scheduled": '{"at":"2026-11-20T18:00:00Z"}'}
BAD = [
    ("note.added", 1, '{"text":5}'),  # the wrong shape
    ("note.added", 1, '{"text":"a"'),  # not JSON
    ("note.added", 2, '{"text":"from a newer schema"}'),
    ("note.added", 0, '{"text":"schema 0"}'),
    ("meeting.scheduled", 1, '{"at":"2026-11-20T18:00:00"}'),  # no time zone
    ("meeting.scheduled", 1, '{"at":"1800-11-20T18:00:00Z"}'),  # outside the window
    ("plugin.thing", 1, '{"any":"thing"}'),  # a type no plugin registers: usable
    ("plugin.thing", 1, "[1,"),
    ("note.added", 1, '{"text":"' + "x" * 300_000 + '"}'),  # over the size limit
]


@pytest.mark.parametrize("bad", [*BAD, None])
@pytest.mark.parametrize("where", [0, 3, 7])
def test_a_batch_of_payloads_is_judged_as_each_alone(bad: tuple[str, int, str] | None,
                                                     where: int) -> None:
    from coffeechat.usable import data_problem, first_data_problem

    batch = [(t, 1, d) for t, d in [*GOOD.items(), *GOOD.items(), *GOOD.items()]]
    if bad is not None:
        batch.insert(where, bad)
        batch.insert(where + 2, bad)
    types, schemas, datas = (list(column) for column in zip(*batch, strict=True))
    alone = next(((n, p) for n, (t, s, d) in enumerate(batch)
                  if (p := data_problem(t, s, d)) is not None), None)
    assert first_data_problem(types, datas, schemas) == alone
    if bad is None or bad[1] == 1:
        assert first_data_problem(types, datas) == alone
    for schema in (0, 2):  # every payload of one schema, not today's
        each = [data_problem(t, schema, d) for t, d in zip(types, datas, strict=True)]
        assert first_data_problem(types, datas, [schema] * len(types)) == next(
            (n, p) for n, p in enumerate(each) if p is not None)


def test_checks_made_a_piece_at_a_time_see_every_piece() -> None:
    from coffeechat.jsonl_file import _may_hold_control

    plain = [b'{"a":"b"}\n'] * 700
    assert not _may_hold_control(plain)
    for where in (0, 255, 256, 699):
        for mark in (b"\\n", b"\x7f"):
            block = list(plain)
            block[where] = b'{"a":"' + mark + b'"}\n'
            assert _may_hold_control(block)
    stamps = ["2026-11-20T18:00:00Z"] * 2500
    assert all_stamps(stamps)
    for where in (0, 1023, 1024, 2499):
        for wrong in ("2026-11-20T18:00:00", "2026-11-20T18:00:0Z0", "1800-11-20T18:00:00Z"):
            bad = list(stamps)
            bad[where] = wrong
            assert not all_stamps(bad)
