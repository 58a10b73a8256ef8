"""The fold is total: no event the log can hold breaks a command.

Rows are planted straight into the events table with SQL (the append-only
triggers allow INSERT), the way an older or newer version, another device or a
hand with sqlite3 could leave them; then every command must still work, show
the planted rows for what they are, and be able to undo them.
"""

from __future__ import annotations

import json
from pathlib import Path

import apsw
import pytest

from tests.conftest import InProcessCLI

# (name, type, occurred_at, data, schema, stream)
PLANTED = [
    ("bad-time", "meeting.held", "9999-99-99T99:99:99Z", "{}", 1, None),
    ("far-future", "request.sent", "9999-12-31T00:00:00Z", '{"channel":"email"}', 1, None),
    ("year-one", "meeting.scheduled", "2026-11-03T09:00:00Z",
     '{"at":"0001-01-01T00:00:00Z"}', 1, None),
    ("promise-9999", "commitment.made", "2026-11-03T09:00:00Z",
     '{"text":"x","due":"9999-12-31T23:59:59Z"}', 1, None),
    ("naive-time", "meeting.scheduled", "2026-11-03T09:00:00Z",
     '{"at":"2026-12-01T10:00:00"}', 1, None),
    ("not-json", "note.added", "2026-11-03T09:00:00Z", "garbage{", 1, None),
    ("wrong-shape", "contact.updated", "2026-11-03T09:00:00Z", '{"name": 42}', 1, None),
    ("newer-schema", "note.added", "2026-11-03T09:00:00Z", '{"text":"hi"}', 99, None),
    ("bad-retraction", "event.retracted", "2026-11-03T09:00:00Z", '{"nope":1}', 1, None),
    ("unknown-bad-json", "plugin.thing", "2026-11-03T09:00:00Z", "[[[", 1, None),
    ("number-time", "note.added", 20261103, '{"text":"t"}', 1, None),
    ("evil-stream", "contact.added", "2026-11-03T09:00:00Z", '{"name":"Evil"}', 1,
     "contact:../../evil"),
    ("merge-anywhere", "contact.merged", "2026-11-03T09:00:00Z", '{"into":"../x"}', 1, None),
    ("huge-minutes", "meeting.scheduled", "2026-11-03T09:00:00Z",
     '{"at":"2026-12-01T10:00:00Z","minutes":999999999999}', 1, None),
]


def plant(db: Path, rows: list[tuple[str, str, object, str, int, str | None]]) -> list[str]:
    """Insert rows behind coffeechat's back; return their ids."""
    conn = apsw.Connection(str(db))
    ids = []
    try:
        seq, version = conn.execute(
            "SELECT max(seq), (SELECT max(version) FROM events WHERE stream = "
            "'contact:jane-doe') FROM events").fetchone()
        for name, event_type, occurred_at, data, schema, stream in rows:
            seq += 1
            version += 1
            event_id = f"00000000-0000-7000-8000-{seq:012d}"
            conn.execute(
                "INSERT INTO events(seq, id, stream, version, type, schema, occurred_at, "
                "recorded_at, source, key, batch, data, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, '2026-11-03T09:00:00Z', ?, NULL, ?, ?, 'x')",
                (seq, event_id, stream or "contact:jane-doe", version, event_type, schema,
                 occurred_at, f"planted:{name}", f"batch-{name}", data))
            ids.append(event_id)
    finally:
        conn.close()
    return ids


@pytest.fixture
def planted(run: InProcessCLI) -> tuple[InProcessCLI, list[str]]:
    run.run("add", "Jane Doe", "--company", "Acme", "--email", "jane@example.com")
    run.run("ask", "jane")
    run.run("add", "Bob Smith")
    run.now = "2026-11-03T10:00:00Z"
    return run, plant(run.db, PLANTED)


def _one_line_or_ok(result: object) -> None:
    assert "Traceback" not in result.err, result.err  # type: ignore[attr-defined]


def test_every_command_survives_every_planted_row(planted: tuple[InProcessCLI, list[str]],
                                                  tmp_path: Path) -> None:
    run, _ids = planted
    notes = tmp_path / "notes"
    notes.mkdir()
    commands = [
        ["contacts"], ["contacts", "--json"], ["show", "jane"], ["show", "jane", "--json"],
        ["due"], ["due", "--all", "--json"], ["log"], ["log", "--json"],
        ["log", "--contact", "jane"], ["search", "hi"], ["referrals"],
        ["due", "--as-of", "2026-11-03"], ["show", "jane", "--as-of", "2026-11-03"],
        ["export", "jsonl"], ["export", "ics"], ["rebuild"],
        ["watch", str(notes), "--once"], ["plugins"],
        ["add", "Carol King"], ["ask", "carol"], ["met", "jane", "--takeaway", "ok"],
        ["thank", "jane"], ["note", "jane", "still fine"], ["checkin", "jane"],
        ["template", "render", "prep", "jane"],
    ]
    for args in commands:
        result = run.run(*args)
        _one_line_or_ok(result)
    for args in (["contacts", "--json"], ["log", "--json"], ["show", "jane", "--json"],
                 ["due", "--all", "--json"]):
        json.loads(run.run(*args).out)  # valid JSON, whatever the rows hold


def test_planted_rows_are_left_out_of_the_views(planted: tuple[InProcessCLI, list[str]]
                                                ) -> None:
    run, _ids = planted
    jane = run.json("show", "jane")
    assert jane["stage"] == "asked"  # the planted meeting did not count
    assert jane["name"] == "Jane Doe"  # nor the contact.updated with a number for a name
    assert [c["id"] for c in run.json("contacts")] == ["bob-smith", "jane-doe"]
    kinds = {item["kind"] for item in run.json("due", "--all")}
    assert "commitment" not in kinds and "prep" not in kinds


def test_show_and_log_mark_each_unusable_event(planted: tuple[InProcessCLI, list[str]]
                                               ) -> None:
    run, ids = planted
    timeline = {e["id"]: e for e in run.json("show", "jane")["timeline"]}
    by_name = dict(zip([p[0] for p in PLANTED], ids, strict=True))
    for name in ("bad-time", "far-future", "year-one", "promise-9999", "naive-time",
                 "not-json", "wrong-shape", "newer-schema", "number-time", "huge-minutes"):
        assert "unusable" in timeline[by_name[name]], name
    text = run.run("show", "jane").out
    assert "cannot be used" in text
    logged = {e["id"]: e for e in run.json("log")}
    assert isinstance(logged[by_name["not-json"]]["data"], str)  # kept, as text
    assert logged[by_name["unknown-bad-json"]]["unusable"]


def test_verify_reports_the_unusable_events_and_undo_takes_them_back(
        planted: tuple[InProcessCLI, list[str]]) -> None:
    run, ids = planted
    by_name = dict(zip([p[0] for p in PLANTED], ids, strict=True))
    result = run.run("verify", expect=1)
    assert "Traceback" not in result.err
    assert f"event {by_name['far-future']}" in result.err
    assert "cannot use it" in result.err
    run.run("undo", by_name["far-future"])
    run.run("undo", by_name["not-json"])
    after = run.run("verify", expect=1).err
    assert f"event {by_name['far-future']}): this version" not in after
    assert f"event {by_name['bad-time']}): this version" in after
    retracted = {e["id"] for e in run.json("show", "jane")["timeline"] if e.get("retracted")}
    assert {by_name["far-future"], by_name["not-json"]} <= retracted


def test_plain_undo_walks_back_over_planted_batches(planted: tuple[InProcessCLI, list[str]]
                                                    ) -> None:
    run, _ids = planted
    for _ in range(len(PLANTED) + 3):
        result = run.run("undo", expect=None)
        _one_line_or_ok(result)
        assert result.code in (0, 1)
    run.run("contacts")


def test_a_planted_row_in_a_merged_contact_does_not_break_the_merge(
        planted: tuple[InProcessCLI, list[str]]) -> None:
    run, _ids = planted
    run.run("merge", "jane", "bob")
    assert [c["id"] for c in run.json("contacts")] == ["jane-doe"]
    run.run("undo")
    assert len(run.json("contacts")) == 2
