"""What `export ics --out` says it wrote: counts with the right noun, one or many."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import InProcessCLI


def test_one_of_each_is_said_in_the_singular(run: InProcessCLI, tmp_path: Path) -> None:
    run.run("add", "Ana Souza", "--birthday", "03-05")
    run.run("schedule", "ana", "--at", "2026-11-10T15:00")
    run.run("skip", next(i["handle"] for i in run.json("due", "--all")
                         if i["kind"] == "record-meeting"))
    out = tmp_path / "cal.ics"
    said = run.run("export", "ics", "--out", str(out)).out.strip()
    # one meeting; one follow-up (the prep: the record-meeting item was skipped); one birthday
    assert said == f"Wrote 1 meeting, 1 follow-up and 1 birthday or date to {out}"


def test_many_and_none_are_said_in_the_plural(run: InProcessCLI, tmp_path: Path) -> None:
    run.run("add", "Ana Souza", "--birthday", "03-05", "--date", "started=2020-01-02")
    run.run("add", "Ben Okafor")
    out = tmp_path / "cal.ics"
    said = run.run("export", "ics", "--out", str(out)).out.strip()
    # no meeting; a reach-out for each of the two; her birthday and her other date
    assert said == f"Wrote 0 meetings, 2 follow-ups and 2 birthdays and dates to {out}"
    assert run.json("export", "ics", "--out", str(out)) == {
        "out": str(out), "events": 0, "todos": 2, "dates": 2}
