"""Keeping in touch: a check-in skipped or snoozed is not asked for again by `reconnect`.

The insight review found that after `skip` on a check-in, `due` moved it a
cadence on while `reconnect` and `today` went on listing the person: a round the
user chose to skip kept coming back.
"""

from __future__ import annotations

from tests.conftest import InProcessCLI


def reconnect_ids(run: InProcessCLI) -> list[str]:
    return [r["id"] for r in run.json("reconnect")]


def today_ids(run: InProcessCLI) -> list[str]:
    return [r["id"] for r in run.json("today")["reconnect"]]


def met_in_september(run: InProcessCLI) -> str:
    """Ann and Bo met on 1 September; by mid-December both are past the 90-day check-in."""
    run.now = "2026-09-01T10:00:00Z"
    for name in ("Ann Lee", "Bo Kim"):
        run.run("add", name)
        run.run("met", name.split()[0].lower())
    run.now = "2026-12-15T10:00:00Z"
    assert reconnect_ids(run) == ["ann-lee", "bo-kim"] == today_ids(run)
    [item] = [i for i in run.json("due", "--all") if i["contact"] == "ann-lee"
              and i["kind"] == "check-in"]
    return str(item["handle"])


def test_a_skipped_check_in_leaves_reconnect_until_it_is_due_again(run: InProcessCLI) -> None:
    handle = met_in_september(run)
    run.run("skip", handle)
    assert reconnect_ids(run) == ["bo-kim"] == today_ids(run)
    # Warmth is still counted from the last touch: skipping is not talking.
    [ann] = [c for c in run.json("contacts") if c["id"] == "ann-lee"]
    assert ann["warmth"] == "due"
    # A cadence after the skip, the round comes back, counted from the last touch.
    run.now = "2027-03-16T10:00:00Z"
    found = {r["id"]: r["days_past_ideal"] for r in run.json("reconnect")}
    assert set(found) == {"ann-lee", "bo-kim"} and found["ann-lee"] == found["bo-kim"]


def test_a_snoozed_check_in_leaves_reconnect_until_the_snooze_ends(run: InProcessCLI) -> None:
    handle = met_in_september(run)
    run.run("snooze", handle, "2026-12-20")
    assert reconnect_ids(run) == ["bo-kim"]
    run.now = "2026-12-21T10:00:00Z"
    assert reconnect_ids(run) == ["ann-lee", "bo-kim"]
    assert reconnect_ids(run) == [r["id"] for r in run.json(
        "reconnect", "--as-of", "2026-12-21T10:00:00Z")]


def merged_archived(run: InProcessCLI) -> str:
    """Ann met and thanked on 1 September; A. Lee, her duplicate, archived and merged into
    her; the clock on 15 December. The merge's event id."""
    run.now = "2026-09-01T10:00:00Z"
    run.run("add", "Ann Lee")
    run.run("met", "ann-lee")
    run.run("thank", "ann-lee")
    run.run("add", "A. Lee")
    run.run("archive", "a-lee")
    [merge] = run.ids("merge", "ann-lee", "a-lee")
    run.now = "2026-12-15T10:00:00Z"
    return merge


def test_merging_in_an_archived_duplicate_keeps_the_contact_in_touch(run: InProcessCLI) -> None:
    """A duplicate set aside with `archive`, then merged into the contact kept: its archive
    was its own, so the one kept stays met, warm or due, with its check-ins (before, the
    merge archived Ann and her check-ins were gone from due and stats)."""
    merged_archived(run)
    [ann] = [c for c in run.json("contacts") if c["id"] == "ann-lee"]
    assert ann["stage"] == "met" and ann["warmth"] == "due"
    assert [i["kind"] for i in run.json("due", "--all") if i["contact"] == "ann-lee"] \
        == ["check-in"]
    assert run.json("stats")["follow_through"]["checkins"]["still_due"] == 1
    # Archiving the contact kept still archives it.
    run.run("archive", "ann-lee")
    assert [c["stage"] for c in run.json("contacts") if c["id"] == "ann-lee"] == ["archived"]
