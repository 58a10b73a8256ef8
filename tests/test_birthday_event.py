"""A birthday item's ``event`` is the id of the event that set the birthday (issue 11).

As for every other item, ``event`` in ``due --json`` and ``today --json`` names
the event that caused the item: here the ``contact.added``, ``contact.updated``
or import that recorded the birthday now in force (after a merge, the one of the
surviving birthday). ``skip`` and ``snooze`` take it, or an unambiguous start of
it. The handle names the contact's birthday item and stays through edits of the
birthday; the day of the occurrence is ``date``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import apsw

from coffeechat.handles import SHORT, handle_of
from tests.conftest import InProcessCLI


def birthday(run: InProcessCLI, *args: str, contact: str = "jane-doe") -> dict[str, Any]:
    [item] = [i for i in run.json("due", "--all", *args)
              if i["kind"] == "birthday" and i["contact"] == contact]
    return item


def test_due_and_today_name_the_event_that_set_the_birthday(run: InProcessCLI) -> None:
    run.ids("add", "Jane Doe")
    [edit] = run.ids("edit", "jane", "--birthday", "1990-11-04")
    item = birthday(run)
    assert (item["event"], item["date"], item["years"]) == (edit, "2026-11-04", 36)
    # the handle is the one the birthday item always had (the user guide shows it too)
    assert item["handle"] == handle_of("jane-doe", "birthday", "birthday")[:SHORT]
    # today (Nov 2, due from the 1st): under due_today, with the same id
    [today] = [i for i in run.json("today")["due_today"] if i["kind"] == "birthday"]
    assert today == item
    # the id is a real event's: the contact's timeline holds it, and show lists the item
    shown = run.json("show", "jane")
    [setting] = [e for e in shown["timeline"] if e["id"] == edit]
    assert (setting["type"], setting["data"]["birthday"]) == ("contact.updated", "1990-11-04")
    assert [i["event"] for i in shown["followups"] if i["kind"] == "birthday"] == [edit]


def test_skip_and_snooze_take_the_event_id_or_its_start(run: InProcessCLI) -> None:
    [added] = run.ids("add", "Jane Doe", "--birthday", "11-04")
    # the add caused two items (reach-out and birthday): its id names both, so it is refused
    refused = run.run("skip", added, expect=1).err
    assert "names several open follow-ups" in refused
    assert "(reach-out, Jane Doe)" in refused and "(birthday, Jane Doe)" in refused
    run.ids("edit", "jane", "--birthday", "11-04")
    item = birthday(run)
    [skipped] = run.ids("skip", item["event"][:13])
    # the skip closes that year's occurrence, named by its day as before
    event = run.json("show", "jane")["timeline"][-1]
    assert (event["id"], event["data"]) == (skipped, {"kind": "birthday", "event": "2026-11-04"})
    nxt = birthday(run)
    assert (nxt["date"], nxt["event"], nxt["handle"]) == ("2027-11-04", item["event"],
                                                          item["handle"])
    run.ids("undo", skipped)
    assert birthday(run) == item
    run.ids("snooze", item["event"], "2026-11-06")
    assert birthday(run)["due_at"] == "2026-11-06T23:59:59Z"
    # the id of a live event that set no open item is refused, naming what was typed
    [note] = run.ids("note", "jane", "hello")
    refused = run.run("skip", note, expect=1)
    assert refused.err == (f"coffeechat: error: HANDLE: no open follow-up has handle or event "
                           f"id '{note}' (see `coffeechat due`)\n")


def test_editing_the_birthday_moves_the_id_not_the_handle_and_undo_brings_it_back(
        run: InProcessCLI) -> None:
    run.ids("add", "Jane Doe")
    [added] = run.ids("edit", "jane", "--birthday", "11-04")
    first = birthday(run)
    assert first["event"] == added
    run.now = "2026-11-02T12:00:00Z"
    [edit] = run.ids("edit", "jane", "--birthday", "11-20")
    moved = birthday(run)
    assert (moved["event"], moved["date"], moved["handle"]) == (edit, "2026-11-20",
                                                                 first["handle"])
    # the old id no longer names an open item
    assert "no open follow-up" in run.run("skip", added, expect=1).err
    # an edit of other details leaves the birthday's event alone
    run.ids("edit", "jane", "--company", "Acme")
    assert birthday(run)["event"] == edit
    # --as-of before the edit was recorded: the older birthday and its event
    then = birthday(run, "--as-of", "2026-11-02T10:00:00Z")
    assert (then["event"], then["date"]) == (added, "2026-11-04")
    run.ids("undo", edit)
    assert birthday(run) == first
    # a birthday removed: no item; set again, the new edit's id
    run.ids("edit", "jane", "--birthday", "")
    assert [i for i in run.json("due", "--all") if i["kind"] == "birthday"] == []
    [again] = run.ids("edit", "jane", "--birthday", "11-04")
    assert birthday(run)["event"] == again


def test_after_a_merge_the_surviving_birthday_s_event(run: InProcessCLI) -> None:
    run.ids("add", "Jane Doe")
    [theirs] = run.ids("add", "Jane D", "--birthday", "11-04")
    [merged] = run.ids("merge", "jane-doe", "jane-d")
    item = birthday(run)
    # the kept contact had none: the merged contact's birthday fills it, with its event
    assert (item["contact"], item["event"], item["date"]) == ("jane-doe", theirs, "2026-11-04")
    assert item["handle"] == handle_of("jane-doe", "birthday", "birthday")[:SHORT]
    [skipped] = run.ids("skip", theirs)  # the id finds the merged item
    assert run.json("show", "jane-doe")["timeline"][-1]["data"] == {
        "kind": "birthday", "event": "2026-11-04"}
    run.ids("undo", skipped)
    # the kept contact's own birthday wins over the merged one
    [own] = run.ids("edit", "jane-doe", "--birthday", "11-10")
    assert (birthday(run)["event"], birthday(run)["date"]) == (own, "2026-11-10")
    run.ids("undo", merged)  # split again: each its own
    assert birthday(run)["event"] == own
    assert birthday(run, contact="jane-d")["event"] == theirs


def test_an_import_s_event_sets_it(run: InProcessCLI, tmp_path: Path) -> None:
    (tmp_path / "c.vcf").write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Dan Eng\nBDAY:--11-24\n"
                                    "END:VCARD\n")
    run.run("import", "vcard", str(tmp_path / "c.vcf"))
    [added] = [e for e in run.json("log") if e["type"] == "contact.added"]
    assert (added["source"], birthday(run, contact="dan-eng")["event"]) == (
        "import:vcard", added["id"])


def test_a_store_from_contacts_v7_rebuilds_and_gives_the_id(run: InProcessCLI) -> None:
    [added] = run.ids("add", "Jane Doe", "--birthday", "11-04")
    before = birthday(run)
    conn = apsw.Connection(str(run.db))
    try:  # the contacts projection as version 7 left it: no birthday_event
        with conn:
            conn.execute("DROP INDEX contacts_birthday_event")
            conn.execute("ALTER TABLE contacts DROP COLUMN birthday_event")
            conn.execute("UPDATE projections SET version = 7 WHERE name = 'contacts'")
    finally:
        conn.close()
    assert birthday(run) == before
    assert before["event"] == added
    run.run("verify")
