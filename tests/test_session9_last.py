"""Probes of the last hour's fixes (b4a6970..): where each may not reach.

Passing tests guard what the fixes promise in forms they were not tested in;
strict xfails are bugs reported to the core's owner (see each reason).
"""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLI, InProcessCLI
from tests.test_session9_insight import checkins, met_and_thanked
from tests.test_session9_keep import merged_archived
from tests.test_session9_review import front, notes_folder, span_and_place, vevents
from tests.test_session9_trust import cases_plugin, plugin_folder

NOW = "2026-11-02T09:00:00Z"


def live(run: InProcessCLI) -> list[tuple[str, str, str | None]]:
    return [span_and_place(e) for e in vevents(run) if str(e.get("STATUS")) != "CANCELLED"]


def kinds(run: InProcessCLI, *args: str) -> list[str]:
    return [d["kind"] for d in run.json("due", "--all", *args)]


# -- 1. schedule: moved before it is over, a new meeting after ----------------------------

def test_prep_for_a_meeting_that_gave_way_does_not_carry_to_the_new_one(
        run: InProcessCLI) -> None:
    """Prepared for 10 November, the meeting passed unrecorded; on the 12th a meeting on
    the 20th is scheduled: a new one (the warning says it gives way), to prepare anew."""
    run.now = NOW
    run.run("add", "Grace Hopper")
    run.run("schedule", "grace", "--at", "2026-11-10T15:00Z")
    [prep] = [d["handle"] for d in run.json("due", "--all") if d["kind"] == "prep"]
    run.run("done", prep)
    run.now = "2026-11-12T09:00:00Z"
    gave = run.run("schedule", "grace", "--at", "2026-11-20T15:00Z")
    assert "gives way to a new" in gave.err
    run.run("add", "Bo Kim")  # (beside her: a meeting the same day, never prepared)
    run.run("schedule", "bo", "--at", "2026-11-20T16:00Z")
    run.now = "2026-11-20T09:00:00Z"
    preps = [d["contact"] for d in run.json("due", "--all") if d["kind"] == "prep"]
    assert "bo-kim" in preps
    assert "grace-hopper" in preps


def test_a_move_under_way_then_undone_puts_the_meeting_back(run: InProcessCLI) -> None:
    run.now = NOW
    run.run("add", "Grace Hopper")
    run.run("schedule", "grace", "--at", "2026-11-10T15:00Z", "--minutes", "45",
            "--where", "Blue Bottle")
    run.now = "2026-11-10T15:05:00Z"
    [move] = run.ids("schedule", "grace", "--at", "2026-11-10T15:30Z")
    run.run("undo", move)
    assert live(run) == [("2026-11-10 15:00", "15:45", "Blue Bottle")]
    run.now = "2026-11-10T16:00:00Z"
    assert kinds(run) == ["record-meeting"]


def test_met_after_a_move_under_way_holds_the_moved_meeting(run: InProcessCLI) -> None:
    run.now = NOW
    run.run("add", "Grace Hopper")
    run.run("schedule", "grace", "--at", "2026-11-10T15:00Z", "--minutes", "45",
            "--where", "Blue Bottle")
    run.now = "2026-11-10T15:05:00Z"
    run.run("schedule", "grace", "--at", "2026-11-10T15:30Z")
    run.now = "2026-11-10T16:20:00Z"
    assert kinds(run) == ["record-meeting"]
    run.run("met", "grace")
    assert "record-meeting" not in kinds(run)
    [c] = run.json("contacts")
    assert c["stage"] == "met"


def test_the_warning_says_moved_at_the_last_minute_and_gives_way_at_the_end(
        run: InProcessCLI) -> None:
    run.now = NOW
    run.run("add", "Grace Hopper")
    run.run("schedule", "grace", "--at", "2026-11-10T15:00Z", "--minutes", "45")
    run.now = "2026-11-10T15:44:59Z"
    moved = run.run("schedule", "grace", "--at", "2026-11-11T15:00Z")
    assert "is now on" in moved.err and "gives way" not in moved.err
    run.now = "2026-11-11T15:45:00Z"
    gave = run.run("schedule", "grace", "--at", "2026-11-12T15:00Z")
    assert "gives way" in gave.err, gave.err
    # The one that gave way stays in the calendar as it was; the new one lasts 30 minutes.
    assert sorted(live(run)) == [("2026-11-11 15:00", "15:45", None),
                                 ("2026-11-12 15:00", "15:30", None)]


# -- 8. merge: a duplicate's archive is its own --------------------------------------------

def stages(run: InProcessCLI, *args: str) -> dict[str, str]:
    return {c["id"]: c["stage"] for c in run.json("contacts", *args)}


def test_archive_named_by_the_merged_duplicate_archives_the_kept(run: InProcessCLI) -> None:
    merged_archived(run)
    run.run("archive", "a-lee")
    assert stages(run) == {"ann-lee": "archived"}
    assert kinds(run) == []


def test_undoing_the_merge_leaves_the_duplicate_archived(run: InProcessCLI) -> None:
    merge = merged_archived(run)
    run.run("undo", merge)
    s = stages(run)
    assert s["ann-lee"] == "met" and s["a-lee"] == "archived", s


def test_as_of_before_the_merge_shows_the_duplicate_archived_and_ann_met(
        run: InProcessCLI) -> None:
    run.now = "2026-09-01T10:00:00Z"
    met_and_thanked(run, "Ann Lee")
    run.run("add", "A. Lee")
    run.now = "2026-09-02T10:00:00Z"
    run.run("archive", "a-lee")
    run.now = "2026-09-03T10:00:00Z"
    run.run("merge", "ann-lee", "a-lee")
    run.now = "2026-12-15T10:00:00Z"
    assert stages(run, "--as-of", "2026-09-02") == {"ann-lee": "met", "a-lee": "archived"}
    assert stages(run) == {"ann-lee": "met"}
    assert checkins(run, "--as-of", "2026-12-01")["still_due"] == 1


def test_keeping_the_archived_one_keeps_it_archived(run: InProcessCLI) -> None:
    run.now = "2026-09-01T10:00:00Z"
    run.run("add", "Ann Lee")
    run.run("met", "ann-lee")
    run.run("add", "A. Lee")
    run.run("archive", "a-lee")
    run.run("merge", "a-lee", "ann-lee")
    assert stages(run) == {"a-lee": "archived"}  # (the one kept: its own archive stands)


def test_a_chain_of_merges_with_archives(run: InProcessCLI) -> None:
    run.now = "2026-09-01T10:00:00Z"
    met_and_thanked(run, "Ann Lee")
    run.run("add", "A. Lee")
    run.run("add", "Annie Lee")
    run.run("archive", "annie-lee")
    run.run("merge", "a-lee", "annie-lee")
    run.run("archive", "a-lee")
    run.run("merge", "ann-lee", "a-lee")
    run.now = "2026-12-15T10:00:00Z"
    assert stages(run) == {"ann-lee": "met"}
    assert checkins(run)["still_due"] == 1


def test_export_import_jsonl_keeps_the_kept_contact_in_touch(run: InProcessCLI,
                                                              tmp_path: Path) -> None:
    merged_archived(run)
    before = run.run("contacts", "--json").out
    dump = tmp_path / "log.jsonl"
    dump.write_text(run.run("export", "jsonl").out)
    other = InProcessCLI(tmp_path / "other")
    (tmp_path / "other").mkdir()
    other.now = run.now
    other.run("import", "jsonl", str(dump))
    assert other.run("contacts", "--json").out == before


# -- 5. stats: skipped check-ins ----------------------------------------------------------

def skip_first(run: InProcessCLI) -> str:
    run.now = "2026-09-01T10:00:00Z"
    met_and_thanked(run, "Ann Lee")
    run.now = "2026-12-01T10:00:00Z"
    [handle] = [d["handle"] for d in run.json("due") if d["kind"] == "check-in"]
    [skip] = run.ids("skip", handle)
    return skip


def test_undoing_a_skip_makes_the_check_in_still_due_again(run: InProcessCLI) -> None:
    skip = skip_first(run)
    run.run("undo", skip)
    run.now = "2026-12-20T10:00:00Z"
    assert kinds(run) == ["check-in"]
    got = checkins(run)
    assert got["skipped"] == 0 and got["still_due"] == 1
    assert "skipped" not in run.run("stats").out


def test_two_skips_in_a_row(run: InProcessCLI) -> None:
    skip_first(run)
    run.now = "2027-03-05T10:00:00Z"
    [handle] = [d["handle"] for d in run.json("due") if d["kind"] == "check-in"]
    run.run("skip", handle)
    run.now = "2027-03-10T10:00:00Z"
    got = checkins(run)
    assert got == {"done": 0, "fell_due": 2, "caught_up": 0, "skipped": 2, "still_due": 0}


def test_a_meeting_after_a_skip_starts_the_gap_again(run: InProcessCLI) -> None:
    skip_first(run)
    run.now = "2026-12-10T10:00:00Z"
    run.run("met", "ann")
    run.now = "2027-01-10T10:00:00Z"
    assert checkins(run) == {"done": 0, "fell_due": 1, "caught_up": 0, "skipped": 1,
                             "still_due": 0}
    run.now = "2027-03-15T10:00:00Z"  # (90 days after 10 December)
    assert checkins(run)["still_due"] == 1 and checkins(run)["skipped"] == 1


def test_windows_cutting_between_the_fall_and_the_skip(run: InProcessCLI) -> None:
    skip_first(run)
    run.now = "2026-12-20T10:00:00Z"
    # Up to the day before the skip: it fell due and was still due then.
    assert checkins(run, "--until", "2026-11-30") == {
        "done": 0, "fell_due": 1, "caught_up": 0, "skipped": 0, "still_due": 1}
    assert checkins(run, "--as-of", "2026-11-30")["still_due"] == 1
    # The whole time: skipped, not still due.
    assert checkins(run, "--until", "2026-12-20")["skipped"] == 1
    assert checkins(run, "--until", "2026-12-20")["still_due"] == 0


def test_snooze_is_not_a_skip(run: InProcessCLI) -> None:
    run.now = "2026-09-01T10:00:00Z"
    met_and_thanked(run, "Ann Lee")
    run.now = "2026-12-01T10:00:00Z"
    [handle] = [d["handle"] for d in run.json("due") if d["kind"] == "check-in"]
    run.run("snooze", handle, "2026-12-10")
    run.now = "2026-12-05T10:00:00Z"
    assert checkins(run)["skipped"] == 0
    assert "skipped" not in run.run("stats").out


# -- 4. NaN/infinity walk through dataclasses ------------------------------------------------

SHAPES = cases_plugin('''\
"""A plugin whose event type holds dataclasses in shapes a plugin author might write."""
import dataclasses
import math
from typing import Any

import click

from coffeechat import hookimpl
from coffeechat.events import Payload


@dataclasses.dataclass(frozen=True, slots=True)
class Frozen:
    x: float = 0.0


@dataclasses.dataclass
class Base:
    x: float = 0.0


@dataclasses.dataclass
class Child(Base):
    y: int = 0


@dataclasses.dataclass
class Node:
    items: list = dataclasses.field(default_factory=list)


class Shaped(Payload):
    type_name = "shaped.reading"
    touch = True
    data: Any = None


def cycle():
    node = Node()
    node.items.append(node)
    return Shaped(data=node)


CASES = {
    "frozen_slots": lambda: Shaped(data=Frozen(math.nan)),
    "inherited": lambda: Shaped(data=Child(x=math.inf)),
    "class_object": lambda: Shaped(data=Frozen),
    "cycle": cycle,
}

''', 'Shaped', 'shape')


@pytest.fixture
def shapes(tmp_path: Path) -> tuple[str, ...]:
    return plugin_folder(tmp_path, "shapes", SHAPES)


def shape(run: InProcessCLI, shapes: tuple[str, ...], case: str) -> Any:
    return run.run(*shapes, "shape", "jane", case, expect=None, COFFEECHAT_LOAD_PLUGINS="shapes")


def test_a_nan_in_a_frozen_slotted_or_inherited_dataclass_is_refused_by_name(
        run: InProcessCLI, shapes: tuple[str, ...]) -> None:
    run.now = NOW
    run.run("add", "Jane Doe")
    for case in ("frozen_slots", "inherited"):
        refused = shape(run, shapes, case)
        assert refused.code == 1 and "data.x: NaN and infinity cannot be stored" in refused.err
    assert [e["type"] for e in run.json("log")] == ["contact.added"]


def test_a_dataclass_class_itself_in_an_any_field_is_a_clean_refusal(
        run: InProcessCLI, shapes: tuple[str, ...]) -> None:
    run.now = NOW
    run.run("add", "Jane Doe")
    refused = shape(run, shapes, "class_object")
    assert refused.code == 1 and "Traceback" not in refused.err
    assert [e["type"] for e in run.json("log")] == ["contact.added"]


def test_a_dataclass_holding_itself_is_refused_not_walked_for_ever(
        cli: CLI, shapes: tuple[str, ...]) -> None:
    cli.now = NOW
    cli.run("add", "Jane Doe")
    try:
        done = subprocess.run([sys.executable, "-m", "coffeechat", *shapes, "shape", "jane",
                               "cycle"], capture_output=True, text=True, timeout=8,
                              env=cli.env(COFFEECHAT_LOAD_PLUGINS="shapes"))
    except subprocess.TimeoutExpired:
        pytest.fail("shape jane cycle ran past 8 seconds (the walk goes round the cycle)")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# -- 2. watch --views: the user's own files are never written over ---------------------------

MARK = "<!-- written by coffeechat watch"


def test_the_default_folder_spelled_with_dots_and_a_slash_is_still_coffeechats(
        run: InProcessCLI, tmp_path: Path) -> None:
    run.now = NOW
    notes = notes_folder(tmp_path)
    (notes / "sub").mkdir()
    run.run("watch", str(notes), "--once")
    (notes / "_coffeechat" / "due.md").write_text("scribbled\n")
    run.run("watch", str(notes), "--once", "--views", f"{notes}/sub/../_coffeechat/")
    assert (notes / "_coffeechat" / "due.md").read_text().startswith(MARK)


def test_a_linked_views_folder_named_as_the_refusal_says_keeps_the_users_files(
        run: InProcessCLI, tmp_path: Path) -> None:
    """NOTES/_coffeechat is a link to a folder of the user's: watch refuses it and says
    to name it with --views; named so, it is a folder elsewhere, the user's, whose own
    files are never written over."""
    run.now = NOW
    notes, mine = notes_folder(tmp_path), tmp_path / "mine"
    mine.mkdir()
    (mine / "due.md").write_text("# my own list\n- [ ] water the plants\n")
    (notes / "_coffeechat").symlink_to(mine)
    refused = run.run("watch", str(notes), "--once", expect=1)
    assert "name it with --views DIR" in refused.err
    result = run.run("watch", str(notes), "--once", "--views", str(notes / "_coffeechat"))
    assert (mine / "due.md").read_text().startswith("# my own list")
    assert "not writing due.md" in result.err


# -- 3. notes: anchors --------------------------------------------------------------------------

def test_aliases_as_values_in_the_users_own_front_matter_are_left_alone(
        run: InProcessCLI, tmp_path: Path) -> None:
    run.now = NOW
    notes = notes_folder(tmp_path)
    (notes / "recipe.md").write_bytes(front(
        "title: &t Pancakes\nalias: *t\ntags: &tags [food, contact]\nmore: *tags\n"
        "who: &c contact\nagain: *c\nnested:\n  contact: &n x\n  other: *n"))
    result = run.run("watch", str(notes), "--once")
    assert "recipe.md" not in result.err


def test_anchors_in_front_matter_that_is_a_list_are_the_users_own(
        run: InProcessCLI, tmp_path: Path) -> None:
    run.now = NOW
    notes = notes_folder(tmp_path)
    (notes / "list.md").write_bytes(front("- &x contact\n- *x"))
    result = run.run("watch", str(notes), "--once", expect=None)
    assert result.code == 0 and "list.md" not in result.err, result.err


def two_devices(tmp_path: Path) -> tuple[InProcessCLI, InProcessCLI]:
    homes = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        homes.append(InProcessCLI(tmp_path / name))
    return homes[0], homes[1]


def carry(source: InProcessCLI, target: InProcessCLI, tmp_path: Path) -> None:
    dump = tmp_path / "carry.jsonl"
    dump.write_text(source.run("export", "jsonl").out)
    target.run("import", "jsonl", str(dump))


def test_a_second_device_archiving_the_duplicate_after_the_merge_archives_the_person(
        tmp_path: Path) -> None:
    one, two = two_devices(tmp_path)
    one.now = two.now = "2026-09-01T10:00:00Z"
    one.run("add", "Ann Lee")
    one.run("met", "ann-lee")
    one.run("thank", "ann-lee")
    one.run("add", "A. Lee")
    carry(one, two, tmp_path)
    one.now = "2026-09-02T10:00:00Z"
    one.run("merge", "ann-lee", "a-lee")
    two.now = "2026-09-03T10:00:00Z"
    two.run("met", "a-lee")
    two.now = "2026-09-04T10:00:00Z"
    two.run("archive", "a-lee")
    carry(two, one, tmp_path)
    one.now = "2026-09-05T10:00:00Z"
    [ann] = one.json("contacts", "--as-of", "2026-09-03T12:00:00Z")
    assert ann["id"] == "ann-lee" and ann["last_touch_at"] == "2026-09-03T10:00:00Z"
    assert stages(one) == {"ann-lee": "archived"}


# -- 6. import vcard: where a broken file breaks ----------------------------------------------

def test_a_card_never_closed_is_named_by_its_line(run: InProcessCLI, tmp_path: Path) -> None:
    card = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Lee\r\nEND:VCARD\r\n"
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bo Kim\r\nEND:VCALENDAR\r\n")
    path = tmp_path / "a.vcf"
    path.write_bytes(card.encode())
    refused = run.run("import", "vcard", str(path), expect=1)
    assert re.search(r"a\.vcf: line [58]: cannot read the vCard", refused.err), refused.err
    assert run.json("contacts") == []


def test_a_broken_line_after_a_tab_folded_line_and_in_a_cr_only_file_is_named(
        run: InProcessCLI, tmp_path: Path) -> None:
    tabbed = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann Lee\r\nNOTE:x\r\n\tbroken\r\n"
              "broken\r\nEND:VCARD\r\n")
    old_mac = ("BEGIN:VCARD\rVERSION:3.0\rFN:Ann Lee\rEND:VCARD\rBEGIN:VCARD\rVERSION:3.0\r"
               "FN:Bo Kim\rbroken\rEND:VCARD\r")
    for name, text, line in (("t.vcf", tabbed, 6), ("m.vcf", old_mac, 8)):
        (tmp_path / name).write_bytes(text.encode())
        refused = run.run("import", "vcard", str(tmp_path / name), expect=1)
        assert f"{name}: line {line}: cannot read the vCard (Failed to parse line: broken)" \
            in refused.err, refused.err
        assert "At line" not in refused.err


# -- 7. email: one "timed out" message -------------------------------------------------------

class Silent:
    """A server on 127.0.0.1 that takes the connection, says ``greeting`` (if any), then
    says nothing more until closed."""

    def __init__(self, greeting: bytes) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.greeting = greeting
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            conn, _ = self.sock.accept()
            with conn:
                conn.sendall(self.greeting)
                self.done.wait(30)

    def close(self) -> None:
        self.done.set()
        self.sock.close()


@pytest.mark.slow  # a real server, a second of timeout each
@pytest.mark.parametrize("greeting", [b"", b"220 quiet.example ESMTP\r\n"],
                         ids=["no-banner", "silent-after-banner"])
def test_a_silent_mail_server_is_said_to_have_timed_out(run: InProcessCLI,
                                                        greeting: bytes) -> None:
    server = Silent(greeting)
    try:
        run.now = NOW
        (run.home / "config.toml").write_text(
            '[me]\nname = "Maya"\nemail = "maya@example.com"\n[email]\nhost = "127.0.0.1"\n'
            f'port = {server.port}\nsecurity = "none"\ntimeout = 1\n')
        (run.home / "config.toml").chmod(0o600)
        run.run("add", "Jane Doe", "--email", "jane@acme.example")
        started = time.monotonic()
        failed = run.run("ask", "jane", "--send", expect=1)
        assert time.monotonic() - started < 4
        said = (f"the mail server at 127.0.0.1:{server.port} timed out: it did not take the "
                "message within 1 s ([email] timeout); nothing was recorded")
        assert said in failed.err, failed.err
        assert [e["type"] for e in run.json("log")] == ["contact.added"]
    finally:
        server.close()
