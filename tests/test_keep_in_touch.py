"""Keep-in-touch tiers, warmth and `reconnect`, end to end through the CLI with the clock moving."""

from __future__ import annotations

from typing import Any

from tests.conftest import CLI

TIERS = """\
[keep_in_touch]
mentor = { ideal = 30, max = 60 }
Peer = { ideal = 90 }
"""


def warmth(run: CLI, *args: str) -> dict[str, Any]:
    return {c["id"]: c["warmth"] for c in run.json("contacts", *args)}


def check_in_due(run: CLI, contact: str) -> str:
    [item] = [i for i in run.json("due", "--all") if i["contact"] == contact
              and i["kind"] == "check-in"]
    return str(item["due_at"])


def people(run: CLI) -> CLI:
    (run.home / "config.toml").write_text(TIERS)
    run.now = "2026-01-05T10:00:00Z"
    run.ids("add", "Jane Doe", "--tag", "mentor", "--tag", "peer", "--email", "jane@example.com")
    run.ids("add", "Pat Kim", "--tag", "peer")
    run.ids("add", "Sam Lee")  # no tier: checkin_days (90), longest 180
    for who in ("jane", "pat", "sam"):
        run.ids("met", who, "--takeaway", f"{who} says: read the SRE book")
    return run


def test_tiers_give_warmth_as_the_clock_moves_and_a_touch_resets_it(run: CLI) -> None:
    people(run)
    assert warmth(run) == {"jane-doe": "warm", "pat-kim": "warm", "sam-lee": "warm"}
    # The check-in comes after the tightest tier's ideal gap (mentor: 30, not peer's 90).
    assert check_in_due(run, "jane-doe") == "2026-02-04T10:00:00Z"
    assert check_in_due(run, "pat-kim") == "2026-04-05T10:00:00Z"

    run.now = "2026-02-04T09:59:00Z"  # a minute before the ideal gap runs out
    assert warmth(run)["jane-doe"] == "warm"
    run.now = "2026-02-04T10:00:00Z"
    assert warmth(run) == {"jane-doe": "due", "pat-kim": "warm", "sam-lee": "warm"}
    assert [c["id"] for c in run.json("contacts", "--warmth", "due")] == ["jane-doe"]

    run.now = "2026-03-07T10:00:00Z"  # 61 days: past the mentor tier's max
    assert warmth(run)["jane-doe"] == "cold"
    assert "warmth: cold" in run.run("show", "jane").out
    line = next(x for x in run.run("contacts").out.splitlines() if x.startswith("jane-doe"))
    assert " cold " in line

    run.ids("note", "jane", "Saw her talk online")  # a note is not a touch
    assert warmth(run)["jane-doe"] == "cold"
    run.ids("checkin", "jane", "--via", "email")  # a check-in is
    assert warmth(run)["jane-doe"] == "warm"
    assert check_in_due(run, "jane-doe") == "2026-04-06T10:00:00Z"

    run.now = "2026-04-05T10:00:00Z"  # 90 days: peer's ideal; its max is twice that
    assert warmth(run) == {"jane-doe": "warm", "pat-kim": "due", "sam-lee": "due"}
    run.now = "2026-07-04T10:00:00Z"  # 180 days
    assert warmth(run, "--warmth", "cold") == {"jane-doe": "cold", "pat-kim": "cold",
                                               "sam-lee": "cold"}
    # A cadence of its own overrides the tier.
    run.ids("cadence", "pat", "20")
    run.ids("checkin", "pat", "--via", "phone")
    run.now = "2026-07-24T10:00:00Z"
    assert warmth(run)["pat-kim"] == "due"
    assert check_in_due(run, "pat-kim") == "2026-07-24T10:00:00Z"
    # --as-of judges then.
    assert warmth(run, "--as-of", "2026-02-01")["jane-doe"] == "warm"


def test_changing_the_tiers_recomputes_the_check_ins(run: CLI) -> None:
    people(run)
    assert check_in_due(run, "sam-lee") == "2026-04-05T10:00:00Z"
    (run.home / "config.toml").write_text(TIERS + "vip = { ideal = 14, max = 21 }\n")
    run.ids("edit", "sam", "--tag", "vip")
    assert check_in_due(run, "sam-lee") == "2026-01-19T10:00:00Z"
    (run.home / "config.toml").write_text(TIERS + "vip = { ideal = 7 }\n")
    assert check_in_due(run, "sam-lee") == "2026-01-12T10:00:00Z"
    run.now = "2026-01-20T10:00:00Z"  # 15 days: past 7, not past 14
    assert warmth(run)["sam-lee"] == "cold"


def test_no_warmth_for_archived_declined_or_unanswered(run: CLI) -> None:
    people(run)
    run.ids("archive", "sam")
    run.ids("add", "Dee Nye")
    run.ids("ask", "dee")
    run.ids("answer", "dee", "declined")
    assert warmth(run) == {"jane-doe": "warm", "pat-kim": "warm", "sam-lee": None,
                           "dee-nye": None}
    run.now = "2027-01-01T10:00:00Z"
    assert warmth(run)["sam-lee"] is None
    assert "sam-lee" not in {d["id"] for d in run.json("reconnect", "--limit", "50")}


def test_a_bad_tier_is_one_line_naming_the_key(run: CLI) -> None:
    run.ids("add", "Jane Doe")
    before = run.count()
    for text, says in (("peer = { ideal = 90, max = 30 }", "key keep_in_touch.peer: max (30) "
                        "must be at least ideal (90)"),
                       ("peer = { ideal = 0 }", "key keep_in_touch.peer.ideal: Expected `int` "
                        ">= 1"),
                       ("peer = 90", "key keep_in_touch.peer: Expected `object`, got `int`; "
                        "a tier is { ideal = DAYS, max = DAYS } (max may be left out)"),
                       ("peer = { max = 14 }", "key keep_in_touch.peer: Object missing "
                        "required field `ideal`; a tier is { ideal = DAYS")):
        (run.home / "config.toml").write_text(f"[keep_in_touch]\n{text}\n")
        for args in (("contacts",), ("add", "Bob Roe")):
            result = run.run(*args, expect=1)
            [line] = result.err.splitlines()
            assert says in line and "config.toml" in line, line
    assert run.count() == before


def test_reconnect_lists_the_furthest_past_first(run: CLI) -> None:
    people(run)
    run.now = "2026-01-20T10:00:00Z"
    run.ids("note", "pat", "Moving to Berlin in March\nmore lines")
    run.ids("add", "Ann Oak", "--linkedin", "https://www.linkedin.com/in/ann-oak")
    run.now = "2026-02-03T10:00:00Z"
    assert run.json("reconnect") == []
    assert "everyone is warm" in run.run("reconnect").out

    run.now = "2026-04-10T10:00:00Z"
    found = run.json("reconnect")
    # jane: 95 days since the meeting, ideal 30 → 65 past; pat, sam: 95 - 90 = 5;
    # ann (added 80 days ago, never touched): within her 90.
    assert [(d["id"], d["warmth"], d["days_past_ideal"]) for d in found] == [
        ("jane-doe", "cold", 65), ("pat-kim", "due", 5), ("sam-lee", "due", 5)]
    contact = run.json("contacts")
    for doc in found:  # the contact object of `contacts --json`, and more
        same = next(c for c in contact if c["id"] == doc["id"])
        assert {k: doc[k] for k in same} == same
    assert found[0]["last_talked_about"] == "jane says: read the SRE book"
    assert found[1]["last_talked_about"] == "Moving to Berlin in March"  # the latest, 1st line
    assert found[0]["suggestion"] == "check in (email)"  # her email address
    assert found[2]["suggestion"] == "check in (in-person)"  # no address at all
    assert found[0]["command"] == "coffeechat checkin jane-doe --via email --draft"
    assert [d["id"] for d in run.json("reconnect", "--limit", "1")] == ["jane-doe"]

    text = run.run("reconnect").out.splitlines()
    assert text[0].split() == ["NAME", "WARMTH", "LAST", "TOUCH", "PAST", "IDEAL", "LAST",
                               "TALKED", "ABOUT", "NEXT", "STEP"]
    assert text[1].split()[:4] == ["Jane", "Doe", "cold", "2026-01-05"]
    assert "65d" in text[1] and "check in (email)" in text[1]

    run.now = "2026-05-10T10:00:00Z"
    found = run.json("reconnect")
    assert found[-1]["id"] == "ann-oak"  # 125 days since she was added
    assert found[-1]["suggestion"] == "ask for a conversation (linkedin)"
    run.ids("checkin", "jane", "--via", "video")
    assert "jane-doe" not in [d["id"] for d in run.json("reconnect")]
    assert run.json("reconnect", "--as-of", "2026-05-09")[0]["id"] == "jane-doe"


def test_reconnect_lists_exactly_who_is_past_their_gap_whatever_sets_it(run: CLI) -> None:
    # reconnect reads only contacts untouched for the shortest ideal gap there is (a
    # cadence, a tier, checkin_days): a cadence below every tier must still be seen.
    people(run)
    run.ids("add", "Kim Ray")
    run.ids("cadence", "ray", "3")
    run.ids("checkin", "ray", "--via", "phone")
    for day in ("2026-01-07", "2026-01-08", "2026-01-09", "2026-02-04", "2026-04-05",
                "2026-07-04"):
        run.now = f"{day}T10:00:00Z"
        behind = {c["id"] for c in run.json("contacts") if c["warmth"] in ("due", "cold")}
        assert {d["id"] for d in run.json("reconnect", "--limit", "50")} == behind, day
        if day == "2026-01-07":
            assert behind == set()
        if day == "2026-01-08":  # three days after the check-in
            assert behind == {"kim-ray"}


def test_the_warmth_filter_offers_every_warmth() -> None:
    from coffeechat.cli.read import WARMTHS as OFFERED
    from coffeechat.keep_in_touch import WARMTHS

    assert OFFERED == WARMTHS


def test_an_imported_address_book_is_not_people_you_are_losing_touch_with(run: CLI) -> None:
    from tests.test_calendar import DATA

    (run.home / "config.toml").write_text(TIERS)
    run.now = "2026-11-20T12:00:00Z"
    run.run("import", "linkedin", str(DATA / "linkedin-connections.csv"))  # since 2022-2024
    run.ids("add", "Sam Lee")  # by hand, never touched: counts from today
    imported = {c["id"] for c in run.json("contacts")} - {"sam-lee"}
    assert imported and set(warmth(run).values()) == {None, "warm"}
    assert {i for i, w in warmth(run).items() if w is None} == imported
    assert run.json("reconnect") == [] and run.json("today")["reconnect"] == []
    # A tier's tag, a cadence or a touch: then it counts (the tag and cadence from the import).
    jane, raj, zoe = sorted(imported)[:3]
    run.ids("edit", jane, "--tag", "mentor")
    run.ids("cadence", raj, "60")
    run.now = "2027-06-01T12:00:00Z"
    run.ids("ask", zoe, "--via", "linkedin")
    cold = {c["id"] for c in run.json("reconnect")}
    assert cold == {jane, raj, "sam-lee"}  # (zoe's touch is recent: warm)
    assert warmth(run)[zoe] == "warm"
