"""Session 8 review of merges, moves and the details a contact shows (tests only).

Attacks commit 5e41dbc (a merge fills gaps with the merged contact's current
details; a moved meeting stays prepared; the merge warning; ``thank --on``
refused only before the meeting on its day or before any meeting) the way a
careful user and an adversary would: chains of merges undone in other orders,
two devices merging the same pair each way, imports after a merge and an edit,
birthdays and referrals brought by a merged contact, the calendar export across
a merge, and thank-yous between two meetings. After each scenario the views
must equal a full ``rebuild``. The bugs found were strict xfails; all are fixed
now, and the tests guard the fixes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import InProcessCLI
from tests.test_email import Inbox, inbox  # noqa: F401 - a fixture
from tests.test_email import configure as configure_mail
from tests.test_reimport import HEADER, JANE, write
from tests.test_session7_stateful import rebuilt
from tests.test_session8_review import two_janes_each_with_a_meeting


def show(run: InProcessCLI, contact: str, **env: str) -> dict[str, Any]:
    return run.json("show", contact, **env)  # type: ignore[no-any-return,unused-ignore]


def due(run: InProcessCLI, **env: str) -> list[tuple[str, str, str, str]]:
    return [(i["kind"], i["contact"], i["due_at"], i["reason"])
            for i in run.json("due", "--all", **env)]


def names(run: InProcessCLI, **env: str) -> list[str]:
    return [c["name"] for c in run.json("contacts", **env)]


def same_after_rebuild(run: InProcessCLI) -> None:
    assert run.json("due", "--all") == rebuilt(run, "due", "--all")
    assert run.json("contacts") == rebuilt(run, "contacts")


def merge(run: InProcessCLI, keep: str, other: str) -> str:
    return str(run.json("merge", keep, other)["recorded"][0]["id"])


def calendar(run: InProcessCLI) -> dict[str, tuple[str, str]]:
    """UID → (start, status) of every VEVENT ``export ics`` gives."""
    import icalendar

    cal = icalendar.Calendar.from_ical(run.run("export", "ics").out)
    found: dict[str, tuple[str, str]] = {}
    events: list[Any] = cal.walk("VEVENT")
    for event in events:
        start: Any = event["DTSTART"].dt
        found[str(event["UID"])] = (start.isoformat(), str(event.get("STATUS")))
    return found


# -- bugs found (strict xfails when written; fixed since) ------------------------------------------


def test_a_chain_of_merges_fills_with_what_the_merged_contact_showed(run: InProcessCLI) -> None:
    run.run("add", "Ann Lee")
    run.run("add", "Ann B", "--email", "b@example.com", "--company", "BCo")
    run.run("add", "Ann C", "--email", "c@example.com", "--company", "CCo")
    run.now = "2026-11-03T09:00:00Z"
    run.run("edit", "ann-c", "--email", "c2@example.com")  # C's address, changed later
    run.now = "2026-11-04T09:00:00Z"
    merge(run, "ann-b", "ann-c")
    b = show(run, "ann-b")
    assert (b["email"], b["company"]) == ("b@example.com", "BCo")  # B's own win over C's
    merge(run, "ann-lee", "ann-b")  # Ann Lee lacks both: B (as it shows) fills them
    a = show(run, "ann-lee")
    assert (a["email"], a["company"]) == ("b@example.com", "BCo")


def test_merging_a_referral_into_its_referrer_refers_nobody_to_themselves(
        run: InProcessCLI) -> None:
    run.run("add", "Priya Natarajan")
    run.run("refer", "priya", "Bob Smith")  # Bob turns out to be Priya's other address
    run.now = "2026-11-03T09:00:00Z"
    run.run("merge", "priya", "bob")
    assert show(run, "priya")["referred_by"] != "priya-natarajan"
    assert [i for i in due(run) if i[0] == "referral-outreach"] == []


def test_a_merge_that_drops_a_meeting_cancels_it_in_the_calendar(run: InProcessCLI) -> None:
    two_janes_each_with_a_meeting(run)
    before = calendar(run)
    assert sorted(before.values()) == [("2026-11-20T15:00:00+00:00", "CONFIRMED"),
                                       ("2026-11-25T15:00:00+00:00", "CONFIRMED")]
    run.run("merge", "jane-doe", "jane-d")
    after = calendar(run)
    assert set(before) <= set(after)  # every UID a calendar has is still told of
    confirmed = [start for start, status in after.values() if status == "CONFIRMED"]
    assert confirmed == ["2026-11-25T15:00:00+00:00"]  # the one kept, once


# -- guards ---------------------------------------------------------------------------------------


def test_a_chain_undone_in_either_order_gives_each_step_back(run: InProcessCLI) -> None:
    run.run("add", "Ann Lee", "--tag", "a")
    run.run("add", "Ann B", "--email", "b@example.com", "--tag", "b")
    run.run("add", "Ann C", "--email", "c@example.com", "--phone", "555 0100", "--tag", "c")
    alone = (names(run), due(run))
    run.now = "2026-11-03T09:00:00Z"
    first = merge(run, "ann-b", "ann-c")
    run.now = "2026-11-04T09:00:00Z"
    second = merge(run, "ann-lee", "ann-b")
    a = show(run, "ann-c")  # C's id leads to the end of the chain
    assert (a["id"], a["tags"], a["email"], a["phone"]) == \
        ("ann-lee", ["a", "b", "c"], "b@example.com", "555 0100")
    same_after_rebuild(run)
    run.run("undo", first)  # the inner merge first: C stands alone, B stays in Ann Lee
    assert names(run) == ["Ann C", "Ann Lee"]
    a = show(run, "ann-lee")
    assert (a["tags"], a["email"], a["phone"]) == (["a", "b"], "b@example.com", None)
    same_after_rebuild(run)
    run.run("undo", second)
    assert (names(run), due(run)) == alone
    same_after_rebuild(run)
    undo_first = next(e["id"] for e in run.json("log") if e["type"] == "event.retracted")
    run.run("undo", undo_first)  # the inner merge back: B holds C again, Ann Lee alone
    assert names(run) == ["Ann B", "Ann Lee"]
    assert show(run, "ann-c")["id"] == "ann-b"
    assert show(run, "ann-b")["tags"] == ["b", "c"]
    same_after_rebuild(run)


def test_a_merged_contacts_birthday_is_due_and_the_as_of_view_is_before(
        run: InProcessCLI) -> None:
    run.run("add", "Ann Lee")
    run.run("add", "Ann B", "--birthday", "11-20", "--date", "anniversary=2020-12-01")
    run.now = "2026-11-03T09:00:00Z"
    run.run("merge", "ann-lee", "ann-b")
    assert ("birthday", "ann-lee", "2026-11-17T00:00:00Z", "Ann Lee has a birthday on Nov 20") \
        in due(run)
    assert show(run, "ann-lee")["dates"] == {"anniversary": "2020-12-01"}
    assert names(run) == ["Ann Lee"]
    assert sorted(c["name"] for c in run.json("contacts", "--as-of", "2026-11-02")) == \
        ["Ann B", "Ann Lee"]
    same_after_rebuild(run)


def test_clearing_a_detail_a_merged_contact_brought_clears_it_or_is_refused(
        run: InProcessCLI) -> None:
    run.run("add", "Ann Lee")
    run.run("add", "Ann B", "--birthday", "11-20", "--company", "BCo", "--tag", "b")
    run.now = "2026-11-03T09:00:00Z"
    run.run("merge", "ann-lee", "ann-b")
    count = run.count()
    result = run.run("edit", "ann-lee", "--birthday", "", "--company", "", "--no-tags",
                     expect=None)
    a = show(run, "ann-lee")
    cleared = result.code == 0 and (a["birthday"], a["company"], a["tags"]) == (None, None, [])
    refused = result.code != 0 and run.count() == count
    assert cleared or refused
    if cleared:
        assert "birthday" not in [i[0] for i in due(run)]


def test_two_devices_merging_the_same_pair_each_way_agree(run: InProcessCLI) -> None:
    run.run("add", "Ann Lee")
    run.run("add", "Ann B")
    other = str(run.home / "other.db")
    run.run("backup", other)
    run.now = "2026-11-03T09:00:00Z"
    run.run("merge", "ann-lee", "ann-b")
    run.run("merge", "ann-b", "ann-lee", COFFEECHAT_DB=other)  # the other laptop, the other way
    here, there = run.home / "here.jsonl", run.home / "there.jsonl"
    run.run("export", "jsonl", "--out", str(here))
    run.run("export", "jsonl", "--out", str(there), COFFEECHAT_DB=other)
    run.run("import", "jsonl", str(there))
    run.run("import", "jsonl", str(here), COFFEECHAT_DB=other)
    # (a cycle is cut: both stay, on both devices, and nothing is lost)
    assert names(run) == names(run, COFFEECHAT_DB=other) == ["Ann B", "Ann Lee"]
    assert due(run) == due(run, COFFEECHAT_DB=other)
    same_after_rebuild(run)


def test_an_export_of_a_merged_chain_imports_to_the_same_views(run: InProcessCLI) -> None:
    run.run("add", "Ann Lee", "--company", "Acme")
    run.run("add", "Ann B", "--email", "b@example.com", "--referred-by", "ann-lee")
    run.run("add", "Ann C", "--phone", "555 0100")
    run.now = "2026-11-03T09:00:00Z"
    run.run("merge", "ann-b", "ann-c")
    run.run("add", "Raj Kumar", "--referred-by", "ann-c")  # C's id: now Ann B
    run.run("edit", "ann-c", "--company", "CCo")
    copy = run.home / "log.jsonl"
    run.run("export", "jsonl", "--out", str(copy))
    other = str(run.home / "other.db")
    run.run("import", "jsonl", str(copy), COFFEECHAT_DB=other)
    for args in (("contacts",), ("due", "--all"), ("referrals",), ("show", "ann-c")):
        assert run.json(*args) == run.json(*args, COFFEECHAT_DB=other)
    assert show(run, "raj-kumar")["referred_by"] == "ann-b"
    same_after_rebuild(run)


def test_an_import_after_a_merge_and_an_edit_keeps_the_edit(run: InProcessCLI,
                                                            tmp_path: Path) -> None:
    run.run("add", "Jane D", "--company", "MyCo")
    linkedin = write(tmp_path, "li.csv", HEADER + JANE)
    run.json("import", "linkedin", linkedin)
    run.run("merge", "jane-d", "jane-doe")  # the imported one is the duplicate
    run.now = "2026-11-03T09:00:00Z"
    run.run("edit", "jane-d", "--role", "CTO")
    count = run.count()
    again = run.json("import", "linkedin", linkedin)
    assert (again["added"], again["updated"], run.count()) == ([], [], count)
    jane = show(run, "jane-d")
    assert (jane["company"], jane["role"], jane["linkedin"]) == \
        ("MyCo", "CTO", "https://www.linkedin.com/in/janedoe")
    newer = write(tmp_path, "li2.csv", HEADER + JANE.replace("Acme,Engineer", "Acme,Director"))
    assert run.json("import", "linkedin", newer)["updated"] == ["jane-d"]  # LinkedIn moved on
    assert show(run, "jane-d")["role"] == "Director"
    same_after_rebuild(run)


def test_imports_find_the_end_of_a_chain_after_its_details_changed(run: InProcessCLI,
                                                                   tmp_path: Path) -> None:
    linkedin = write(tmp_path, "li.csv", HEADER + JANE)
    run.json("import", "linkedin", linkedin)
    run.run("add", "Jane B")
    run.run("add", "Jane A")
    run.run("merge", "jane-b", "jane-doe")
    run.run("merge", "jane-a", "jane-b")
    run.run("edit", "jane-a", "--email", "new@example.com",
            "--linkedin", "https://www.linkedin.com/in/jane-new")
    again = run.json("import", "linkedin", linkedin)
    assert (again["added"], again["updated"]) == ([], [])
    google = write(tmp_path, "g.csv", "First Name,Last Name,Organization Name,E-mail 1 - Label,"
                   "E-mail 1 - Value,Phone 1 - Value\nJane,Doe,Acme,* Home,jane@example.com,555\n")
    assert run.json("import", "google", google)["added"] == []
    cards = write(tmp_path, "c.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:Jane Doe\nORG:Acme\n"
                  "EMAIL:jane@example.com\nBDAY:1990-05-06\nEND:VCARD\n")
    assert run.json("import", "vcard", cards)["added"] == []
    jane = show(run, "jane-a")
    assert names(run) == ["Jane A"]
    assert (jane["email"], jane["linkedin"], jane["phone"], jane["birthday"]) == \
        ("new@example.com", "https://www.linkedin.com/in/jane-new", "555", "1990-05-06")
    same_after_rebuild(run)


def test_two_scheduled_meetings_merged_keep_the_later_and_undo_gives_both_back(
        run: InProcessCLI) -> None:
    run.run("add", "Jane Doe")
    run.run("add", "Jane D")
    run.run("schedule", "jane-doe", "--at", "2026-11-20T15:00")
    prep = next(i for i in run.json("due", "--all") if i["kind"] == "prep")
    run.run("done", prep["handle"])
    run.now = "2026-11-03T09:00:00Z"
    run.run("schedule", "jane-d", "--at", "2026-11-25T15:00")
    before = (due(run), calendar(run))
    warned = run.run("merge", "jane-doe", "jane-d").err
    assert "each had a meeting scheduled" in warned and "2026-11-25 15:00" in warned
    assert [(i[0], i[2]) for i in due(run) if i[0] == "record-meeting"] == \
        [("record-meeting", "2026-11-25T15:30:00Z")]
    same_after_rebuild(run)
    run.run("undo")
    assert (due(run), calendar(run)) == before
    same_after_rebuild(run)


def test_a_move_logged_between_the_first_scheduling_and_the_prep_stays_prepared(
        run: InProcessCLI) -> None:
    run.run("add", "Jane Doe")
    run.run("schedule", "jane", "--at", "2026-11-20T15:00")
    run.now = "2026-11-05T09:00:00Z"
    run.run("done", next(i["handle"] for i in run.json("due", "--all") if i["kind"] == "prep"))
    run.now = "2026-11-06T09:00:00Z"
    moved = run.json("schedule", "jane", "--at", "2026-11-22T15:00", "--on",
                     "2026-11-03T09:00")["recorded"][0]["id"]
    assert [i[0] for i in due(run)] == ["record-meeting"]
    same_after_rebuild(run)
    refused = run.run("schedule", "jane", "--at", "2026-11-23T15:00", "--on",
                      "2026-11-02T12:00", expect=1)
    assert "the meeting now scheduled was scheduled" in refused.err
    run.run("undo", moved)  # the move taken back: the 20th, still prepared
    assert [(i[0], i[2]) for i in due(run)] == [("record-meeting", "2026-11-20T15:30:00Z")]
    same_after_rebuild(run)


def test_a_thank_you_between_two_meetings_and_on_the_second_day(run: InProcessCLI) -> None:
    run.run("add", "Grace Hopper")
    run.run("met", "grace", "--on", "2026-11-01T10:00")
    run.now = "2026-11-05T09:00:00Z"
    run.run("met", "grace", "--on", "2026-11-05T08:00")
    count = run.count()
    for early in ("2026-11-05T07:00", "2026-11-05", "2026-11-01T09:00"):
        err = run.run("thank", "grace", "--on", early, expect=1).err
        assert "before the meeting it thanks for (2026-11-05 08:00)" in err
    assert run.count() == count
    run.run("thank", "grace", "--on", "2026-11-03T12:00")  # the first one's, sent late
    thanks = run.json("stats")["follow_through"]["thanks"]
    assert (thanks["late"], thanks["not_yet"]) == (1, 1)
    assert "thank-you" in [i[0] for i in due(run)]  # the second still open
    run.run("thank", "grace", "--on", "2026-11-05T08:30")
    assert "thank-you" not in [i[0] for i in due(run)]
    same_after_rebuild(run)


def test_a_thank_you_sent_on_the_second_day_before_it_is_refused_before_sending(
        run: InProcessCLI, inbox: tuple[Inbox, int]) -> None:  # noqa: F811
    box, port = inbox
    configure_mail(run, port)
    run.run("add", "Grace Hopper", "--email", "grace@example.com")
    run.run("met", "grace", "--on", "2026-11-01T10:00")
    run.now = "2026-11-05T09:00:00Z"
    run.run("met", "grace", "--on", "2026-11-05T08:00")
    count = run.count()
    run.run("thank", "grace", "--send", "--on", "2026-11-05T07:00", expect=1)
    assert (box.messages, run.count()) == ([], count)
    run.run("thank", "grace", "--send", "--on", "2026-11-03T12:00")  # for the first
    assert len(box.messages) == 1


def test_merging_a_contact_merged_away_takes_its_whole_family(run: InProcessCLI) -> None:
    run.run("add", "Ann Lee")
    run.run("add", "Ann B")
    run.run("add", "Xavier Ruiz")
    run.run("merge", "ann-lee", "ann-b")
    refused = run.run("merge", "ann-lee", "ann-b", expect=1)  # the same person twice
    assert "the same contact as CONTACT_A" in refused.err
    run.run("merge", "xavier", "ann-b")  # ann-b is Ann Lee now: she goes into Xavier
    assert names(run) == ["Xavier Ruiz"]
    assert show(run, "ann-b")["id"] == show(run, "ann-lee")["id"] == "xavier-ruiz"
    same_after_rebuild(run)
