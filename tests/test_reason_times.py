"""A follow-up's reason is stored with its day and time already shown in the local
zone (the follow-ups projection): each read must still show the reader's zone, and
names as they are now."""

from __future__ import annotations

from tests.conftest import CLI


def test_an_as_of_read_shows_days_in_the_readers_zone(run: CLI) -> None:
    run.ids("add", "Jane Doe")
    run.run("met", "jane", "--on", "2026-11-20T03:00:00Z", TZ="Asia/Tokyo")
    run.run("due", TZ="Asia/Tokyo")  # the stored view is computed in Tokyo
    later = "2026-12-01"
    tokyo = run.run("due", "--all", "--json", "--as-of", later, TZ="Asia/Tokyo").json()
    los_angeles = run.run("due", "--all", "--json", "--as-of", later,
                          TZ="America/Los_Angeles").json()
    assert tokyo[0]["reason"] == "met on 2026-11-20"
    assert los_angeles[0]["reason"] == "met on 2026-11-19"
    # and back in Tokyo without --as-of, the stored view follows the zone again
    assert run.run("due", "--all", "--json", TZ="Asia/Tokyo").json()[0]["reason"] == (
        "met on 2026-11-20")


def test_a_reason_names_a_renamed_contact_at_once_and_shows_the_zones_day(run: CLI) -> None:
    run.ids("add", "Priya Natarajan")
    run.run("add", "Marcus Obi", "--referred-by", "priya", TZ="Asia/Tokyo")
    run.run("due", TZ="Asia/Tokyo")
    run.ids("edit", "priya", "--name", "Priya {day} Lee")  # braces in a name stay as typed
    tokyo = run.run("due", "--all", "--json", TZ="Asia/Tokyo").json()
    reasons = {i["name"]: i["reason"] for i in tokyo}
    assert reasons["Marcus Obi"] == "introduced by Priya {day} Lee on 2026-11-02"
    samoa = run.run("due", "--all", "--json", TZ="Pacific/Pago_Pago").json()
    assert {i["name"]: i["reason"] for i in samoa}["Marcus Obi"] == (
        "introduced by Priya {day} Lee on 2026-11-01")
