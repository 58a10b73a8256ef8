"""The views and maintenance commands as people and scripts see them."""

from __future__ import annotations

import stat
from pathlib import Path

import apsw
import pytest

from tests.conftest import CLI

EVENT_KEYS = {"id", "seq", "type", "occurred_at", "recorded_at", "source", "data"}
TEST_PLUGINS = Path(__file__).parent / "plugins"


@pytest.fixture
def met(run: CLI) -> CLI:
    run.ids("add", "Jane Doe", "--company", "Acme", "--role", "Staff Engineer")
    run.ids("ask", "jane", "--via", "linkedin")
    run.now = "2026-11-05T16:00:00Z"
    run.ids("met", "jane", "--notes", "Talked about platform teams",
            "--takeaway", "write a design doc", "--referral", "Bob Smith",
            "--commitment", "send my portfolio", "--due", "2026-11-07")
    run.ids("refer", "bob", "Carol Jones", "--company", "Initech", "--note", "runs hiring")
    return run


def test_global_json_flag_before_or_after_the_command(met: CLI) -> None:
    after = met.run("due", "--json").json()
    before = met.run("--json", "due").json()
    assert after == before and after


def test_show_gives_profile_follow_ups_and_timeline(met: CLI) -> None:
    shown = met.json("show", "jane")
    assert shown["id"] == "jane-doe" and shown["stage"] == "met"
    assert [e["type"] for e in shown["timeline"]] == [
        "contact.added", "request.sent", "meeting.held", "referral.made", "commitment.made"]
    for event in shown["timeline"]:
        assert set(event) >= EVENT_KEYS
        assert event["occurred_at"].endswith("Z")
    assert shown["timeline"][2]["data"]["takeaways"] == ["write a design doc"]
    assert {f["kind"] for f in shown["followups"]} == {"thank-you", "commitment", "check-in"}

    text = met.run("show", "jane").out
    assert "Jane Doe (jane-doe)" in text
    assert "Acme · Staff Engineer" in text
    assert "thank-you due 2026-11-06 16:00" in text
    assert "write a design doc" in text


def test_undone_events_stay_in_the_timeline_marked_retracted(met: CLI) -> None:
    [note] = met.ids("note", "jane", "temporary")
    met.ids("undo")
    timeline = met.json("show", "jane")["timeline"]
    marked = {e["id"]: e.get("retracted", False) for e in timeline}
    assert marked[note] is True
    assert timeline[-1]["type"] == "event.retracted"
    assert next(e for e in met.json("log") if e["id"] == note)["retracted"] is True


def test_log_filters(met: CLI) -> None:
    everything = met.json("log")
    assert [e["seq"] for e in everything] == list(range(1, len(everything) + 1))
    assert {e["type"] for e in met.json("log", "--type", "contact.added")} == {"contact.added"}
    assert {e["stream"] for e in met.json("log", "--contact", "bob")} == {"contact:bob-smith"}
    assert met.json("log", "--since", "2026-11-05")[0]["type"] == "meeting.held"
    assert len(met.json("log", "--as-of", "2026-11-02T09:00:00Z")) == 2
    assert "SEQ" in met.run("log").out


def test_referral_tree(met: CLI) -> None:
    tree = met.json("referrals")
    assert tree[0]["id"] == "jane-doe"
    assert tree[0]["referred"][0]["id"] == "bob-smith"
    assert tree[0]["referred"][0]["referred"][0]["id"] == "carol-jones"
    text = met.run("referrals").out.splitlines()
    assert text[0].startswith("Jane Doe [jane-doe]")
    assert text[1].startswith("└── Bob Smith [bob-smith]")
    assert text[2].startswith("    └── Carol Jones [carol-jones]")
    assert met.json("referrals", "bob")[0]["referred"][0]["id"] == "carol-jones"
    assert met.json("contacts", "--stage", "prospect")[0]["referred_by"] == "jane-doe"


def test_search(met: CLI) -> None:
    hits = met.json("search", "design doc")
    assert hits[0]["contact"] == "jane-doe" and hits[0]["type"] == "meeting.held"
    assert "[design]" in hits[0]["snippet"]
    assert met.json("search", "Initech")[0]["contact"] in ("carol-jones", "bob-smith")
    assert "No matches" in met.run("search", "zebra").out


def test_contacts_table_and_filters(met: CLI) -> None:
    out = met.run("contacts").out.splitlines()
    assert out[0].split() == ["ID", "NAME", "COMPANY", "STAGE", "WARMTH", "LAST", "TOUCH",
                              "NEXT"]
    assert any("jane-doe" in line and "thank-you in" in line for line in out)
    met.ids("edit", "jane", "--tag", "mentor", "--company", "Acme Corp")
    assert [c["id"] for c in met.json("contacts", "--tag", "mentor")] == ["jane-doe"]
    assert met.json("show", "jane")["company"] == "Acme Corp"
    met.ids("edit", "jane", "--company", "")
    assert met.json("show", "jane")["company"] is None
    met.ids("archive", "bob", "--reason", "moved abroad")
    assert met.json("show", "bob")["stage"] == "archived"
    assert "bob-smith" not in [d["contact"] for d in met.json("due", "--all")]


def test_due_limit_keeps_the_first(met: CLI) -> None:
    everything = met.json("due", "--all")
    assert len(everything) >= 3
    assert met.json("due", "--all", "--limit", "2") == everything[:2]
    assert met.run("due", "--limit", "0", expect=2).code == 2


def test_due_human_output_marks_overdue(met: CLI) -> None:
    met.now = "2026-11-08T12:00:00Z"
    out = met.run("due").out
    assert "overdue" in out and "thank-you" in out and "commitment" in out
    assert met.run("due", "--within", "1", "--as-of", "2026-11-01").out.startswith("Nothing due")


def test_verify_backup_rebuild_init(met: CLI, tmp_path: Path) -> None:
    assert met.run("verify").out.startswith("OK: 8 events")
    assert met.json("verify") == {"ok": True, "events": 8, "problems": []}
    dest = tmp_path / "backup.db"
    assert "Backed up 8 events" in met.run("backup", str(dest)).out
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert "exists" in met.run("backup", str(dest), expect=1).err
    met.run("backup", str(dest), "--force")
    assert met.run("--db", str(dest), "verify").code == 0
    assert met.json("--db", str(dest), "contacts") == met.json("contacts")

    before = (met.json("contacts"), met.json("due", "--all"))
    assert "Rebuilt the projections from 8 events" in met.run("rebuild").out
    assert (met.json("contacts"), met.json("due", "--all")) == before

    fresh = tmp_path / "fresh" / "new.db"
    assert met.json("--db", str(fresh), "init") == {"db": str(fresh), "events": 0}

    # Tampering behind coffeechat's back is found by verify (exit 1).
    raw = apsw.Connection(str(met.db))
    raw.execute("DROP TRIGGER events_no_update")
    raw.execute("UPDATE events SET data = json_set(data, '$.name', 'Mallory') WHERE seq = 1")
    raw.close()
    result = met.run("verify", expect=1)
    assert "seq 1" in result.err and "hash does not match" in result.err


def test_help_and_version(run: CLI) -> None:
    out = run.run("--help").out
    for command in ("add", "ask", "met", "due", "contacts", "undo", "verify", "backup"):
        assert f"  {command}" in out
    assert run.run("--version").out.startswith("coffeechat, version")
    assert "--commitment TEXT" in run.run("met", "--help").out


def test_done_takes_an_unambiguous_start_of_a_commitment_id(run: CLI) -> None:
    run.ids("add", "Bo Lind")
    ids = run.ids("met", "bo", "--referral", "R One", "--referral", "R Two",
                  "--referral", "R Three", "--commitment", "send deck",
                  "--commitment", "send notes")
    deck, notes = ids[-2], ids[-1]
    shared = next(n for n in range(len(deck)) if deck[n] != notes[n])
    assert "several" in run.run("done", deck[:shared], expect=1).err  # both commitments
    run.ids("done", deck[:shared + 1])  # the referral events sharing it are not commitments
    open_kinds = [d.get("commitment") for d in run.json("due", "--all")]
    assert deck not in open_kinds and notes in open_kinds
    assert "already done" in run.run("done", deck, expect=1).err


def test_add_referred_by_records_the_introduction(run: CLI) -> None:
    run.ids("add", "Jane Doe")
    recorded = run.json("add", "Dan Wu", "--referred-by", "jane")["recorded"]
    assert [r["type"] for r in recorded] == ["referral.made", "contact.added"]
    assert run.json("referrals")[0]["referred"][0]["id"] == "dan-wu"
    assert run.json("show", "dan")["how_met"] == "introduced by jane-doe"


def test_cancel_a_scheduled_meeting(run: CLI) -> None:
    run.ids("add", "Jane Doe")
    run.ids("ask", "jane")
    run.ids("schedule", "jane", "--at", "2026-11-05T15:00:00Z")
    assert [d["kind"] for d in run.json("due")] == ["prep", "record-meeting"]
    run.ids("cancel", "jane", "--reason", "she is travelling")
    assert run.json("show", "jane")["stage"] == "asked"
    # (no prep, no nudge: the ask was closed by the scheduling; a time is to be found again)
    assert [(d["kind"], d["reason"]) for d in run.json("due", "--all")] == [
        ("schedule", "meeting cancelled on 2026-11-02, not rebooked")]
    assert "no scheduled meeting" in run.run("cancel", "jane", expect=1).err


def test_undone_events_are_marked_in_plain_text_and_stay_in_the_log(run: CLI) -> None:
    run.ids("add", "Eve Park")
    run.ids("note", "eve", "met at the fair")
    run.ids("cadence", "eve", "30")
    run.ids("undo")
    assert "(undone) check in every 30 days" in run.run("show", "eve").out
    run.ids("undo")
    run.ids("undo")  # the add itself: Eve is gone from the views...
    assert "No contacts match." in run.run("contacts", "--tag", "nothing").out
    assert run.json("contacts") == []
    assert len(run.json("log", "--contact", "eve-park")) == 6  # ...but not from the log


def test_reasons_are_shown_in_the_readers_time_zone(run: CLI) -> None:
    run.ids("add", "Jane Doe")
    run.run("met", "jane", "--on", "2026-11-20T03:00:00Z", TZ="Asia/Tokyo")
    run.run("due", TZ="Asia/Tokyo")  # the follow-ups are folded in Tokyo...
    tokyo = run.run("due", "--all", "--json", TZ="Asia/Tokyo").json()
    los_angeles = run.run("due", "--all", "--json", TZ="America/Los_Angeles").json()
    assert tokyo[0]["reason"] == "met on 2026-11-20"
    assert los_angeles[0]["reason"] == "met on 2026-11-19"  # ...and read in Los Angeles


def test_each_in_process_run_starts_as_clean_as_a_new_process(run: CLI) -> None:
    """What one run loads (a plugin's event type and its commands) is gone for the
    next run, as it is for the next process (the ``run`` fixture puts it back)."""
    gifts = {"COFFEECHAT_LOAD_PLUGINS": "event_type_gift"}
    run.ids("add", "Jane Doe")
    run.run("--plugins-dir", str(TEST_PLUGINS), "gift", "jane", "a book", **gifts)
    with_plugin = run.json("--plugins-dir", str(TEST_PLUGINS), "show", "jane", **gifts)
    assert [e["known"] for e in with_plugin["timeline"] if e["type"] == "gift.sent"] == [True]
    without = run.json("show", "jane")
    assert [e["known"] for e in without["timeline"] if e["type"] == "gift.sent"] == [False]
    assert "  gift " not in run.run("--help").out
    assert run.run("gift", "jane", "a pen", expect=2).code == 2
