"""The log as JSON Lines: exact round trips, and two devices merging their logs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI

STABLE = ("id", "stream", "type", "schema", "occurred_at", "recorded_at", "source", "key",
          "batch", "data")


@pytest.fixture
def device_a(run: CLI) -> CLI:
    run.ids("add", "Jane Doe", "--company", "Acme")
    run.ids("ask", "jane")
    run.now = "2026-11-03T09:00:00Z"
    run.ids("answer", "jane", "accepted")
    run.ids("add", "Bob Smith")
    return run


def other(cli: CLI, name: str) -> CLI:
    """The same CLI (and runner) on another store: another device."""
    device = type(cli)(cli.home)
    device.db = cli.home / f"{name}.db"
    device.now = cli.now
    return device


def export(cli: CLI, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.jsonl"
    cli.run("export", "jsonl", "--out", str(path))
    return path


def views(cli: CLI) -> tuple[Any, ...]:
    timeline = [{k: e[k] for k in STABLE} | {"retracted": e.get("retracted", False)}
                for e in cli.json("show", "jane")["timeline"]]
    return (cli.json("contacts"), cli.json("due", "--all"), cli.json("referrals"), timeline)


def test_export_then_import_into_an_empty_store_is_identical(device_a: CLI,
                                                             tmp_path: Path) -> None:
    device_a.ids("undo")  # a retraction travels too
    first = export(device_a, tmp_path, "a")
    copy = other(device_a, "copy")
    assert copy.json("import", "jsonl", str(first)) == {"read": 5, "added": 5, "skipped": 0}
    assert copy.run("verify").code == 0
    assert export(copy, tmp_path, "copy").read_bytes() == first.read_bytes()
    assert views(copy) == views(device_a)
    # Importing the same file again adds nothing.
    assert copy.json("import", "jsonl", str(first)) == {"read": 5, "added": 0, "skipped": 5}


def test_two_devices_merge_both_ways_to_the_same_views(device_a: CLI, tmp_path: Path) -> None:
    device_b = other(device_a, "laptop")
    device_b.run("import", "jsonl", str(export(device_a, tmp_path, "shared")))
    # Offline, each device records something, some of it about the same contact.
    device_a.now = device_b.now = "2026-11-05T10:00:00Z"
    device_a.ids("schedule", "jane", "--at", "2026-11-10T15:00:00Z")
    device_a.ids("note", "jane", "Prefers mornings")
    device_b.now = "2026-11-05T11:00:00Z"
    device_b.ids("note", "jane", "Ask about the data platform team")
    device_b.ids("ask", "bob", "--via", "linkedin")
    device_b.ids("add", "Carol Jones")
    a_out, b_out = export(device_a, tmp_path, "a"), export(device_b, tmp_path, "b")
    device_a.now = device_b.now = "2026-11-06T09:00:00Z"
    assert device_a.json("import", "jsonl", str(b_out))["added"] == 3
    assert device_b.json("import", "jsonl", str(a_out))["added"] == 2
    assert views(device_a) == views(device_b)
    notes = [e["data"]["text"] for e in device_a.json("show", "jane")["timeline"]
             if e["type"] == "note.added"]
    assert sorted(notes) == ["Ask about the data platform team", "Prefers mornings"]
    for device in (device_a, device_b):
        assert device.run("verify").code == 0
    # Exchanging again changes nothing on either side.
    assert device_a.json("import", "jsonl", str(export(device_b, tmp_path, "b2")))["added"] == 0


def test_a_bad_line_imports_nothing(device_a: CLI, tmp_path: Path) -> None:
    path = export(device_a, tmp_path, "a")
    lines = path.read_text().splitlines()
    lines.insert(2, '{"id": "x", "stream": "contact:x"}')
    path.write_text("\n".join(lines) + "\n")
    copy = other(device_a, "copy")
    result = copy.run("import", "jsonl", str(path), expect=1)
    [message] = result.err.splitlines()
    assert message.startswith(f"coffeechat: error: {path}: line 3: ")
    assert "missing required field" in message
    assert copy.count() == 0


def test_the_same_note_on_two_devices_is_not_doubled(run: CLI, tmp_path: Path) -> None:
    # A synced notes folder read on both devices: same keys, different event ids.
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "jane.md").write_text("---\ntype: contact\ncontact: Jane Doe\ndate: 2026-11-01\n"
                                   "---\nhello\n")
    device_b = other(run, "b")
    for device in (run, device_b):
        device.run("watch", str(notes), "--once")
    report = run.json("import", "jsonl", str(export(device_b, tmp_path, "b")))
    assert report["skipped"] == 2  # the contact and the note: same keys on both devices
    assert [c["name"] for c in run.json("contacts")] == ["Jane Doe"]


LINE = ('{{"id":"0190aaaa-0000-7000-8000-000000000001","stream":"{stream}",'
        '"type":"contact.added","occurred_at":"2026-11-01T00:00:00Z",'
        '"recorded_at":"2026-11-01T00:00:00Z","source":"cli","schema":{schema},"data":{data}}}')


@pytest.mark.parametrize(("stream", "schema", "data", "words"), [
    ("contact:jane-doe", 1, '{"nom":"x"}', "Object missing required field `name`"),
    ("contact:../../pwned", 1, '{"name":"x"}', "not a contact stream"),
    ("contact:jane-doe", 0, '{"name":"x"}', "schema 0 is not between 1 and 1"),
])
def test_events_that_would_break_the_views_are_refused(run: CLI, tmp_path: Path, stream: str,
                                                       schema: int, data: str,
                                                       words: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(LINE.format(stream=stream, schema=schema, data=data) + "\n")
    result = run.run("import", "jsonl", str(path), expect=1)
    assert words in result.err and f"{path}: line 1: " in result.err
    assert run.count() == 0
    assert run.json("contacts") == []


def test_an_export_file_is_private_and_reported(device_a: CLI, tmp_path: Path) -> None:
    import stat

    out = tmp_path / "log.jsonl"
    report = device_a.json("export", "jsonl", "--out", str(out))
    assert report == {"out": str(out), "events": 4}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not (tmp_path / "log.jsonl.partial").exists()
    bad = device_a.run("export", "jsonl", "--out", str(tmp_path / "no" / "such" / "x"),
                       expect=1)
    assert "--out: cannot write" in bad.err


@pytest.mark.parametrize("kind", ["jsonl", "ics"])
def test_out_dash_is_stdout_as_for_the_report(run: CLI, tmp_path: Path, kind: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run.run("add", "Jane Doe")
    run.run("schedule", "jane", "--at", "2026-11-20 15:00")
    whole = run.run("export", kind).out
    assert whole and run.run("export", kind, "--out", "-").out == whole
    assert not (tmp_path / "-").exists()
