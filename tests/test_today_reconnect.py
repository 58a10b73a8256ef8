"""reconnect (and today's top three) read what was last said and the channel without folding:
the very answers the fold gives, through undo, undo undone, merges, edited notes and --as-of."""

from __future__ import annotations

from typing import Any

from coffeechat.codec import readable_payload
from coffeechat.events import CheckinDone, MeetingHeld, NoteAdded, Payload, RequestSent, ThanksSent
from coffeechat.keep_in_touch import first_line
from coffeechat.projections.folding import fold_family, links
from coffeechat.projections.merges import roots
from coffeechat.store import open_store
from tests.conftest import CLI

LATER = "2026-06-01T09:00:00Z"  # everyone below is past the default 90-day check-in by then

MEETING = """---
type: meeting
contact: Cleo Park
date: 2026-01-20 10:00
takeaways:
  - {takeaway}
---
Talked about her move to platform work.
"""


def by_the_fold(run: CLI, contact: str, recorded_by: str | None = None) -> tuple[Any, str]:
    """(last talked about, channel) worked out plainly from the contact's folded state."""
    store = open_store(run.db)
    try:
        root_of = roots(links(store.conn, recorded_by))
        family = sorted(alias for alias, root in root_of.items() if root == contact)
        state = fold_family(store.conn, contact, family, recorded_by)
    finally:
        store.close()
    newest_first: list[Payload] = [
        p for row in reversed(state.events)
        if (p := readable_payload(row.type, row.schema, row.data)) is not None]
    said = None
    for p in newest_first:
        if isinstance(p, MeetingHeld):
            said = (first_line(p.takeaways[-1]) if p.takeaways else None) or first_line(p.notes)
        elif isinstance(p, NoteAdded):
            said = first_line(p.text)
        elif isinstance(p, CheckinDone):
            said = first_line(p.note)
        if said:
            break
    channel = next((p.channel for p in newest_first
                    if isinstance(p, RequestSent | ThanksSent | CheckinDone)
                    and p.channel and p.channel != "other"), None)
    if channel is None:
        channel = next((f for f in ("email", "linkedin", "phone") if getattr(state, f)),
                       "in-person")
    return said, channel


def shown(run: CLI, *args: str) -> dict[str, tuple[Any, str]]:
    """Each contact reconnect lists: (last talked about, the channel its command names)."""
    found = run.json("reconnect", "--limit", "50", *args)
    return {d["id"]: (d["last_talked_about"], d["command"].split("--via ")[-1].split()[0]
                      if "--via" in d["command"] else "") for d in found}


def agrees_with_the_fold(run: CLI, *args: str, recorded_by: str | None = None
                         ) -> dict[str, tuple[Any, str]]:
    found = shown(run, *args)
    assert found, "nobody to reconnect with"
    for contact, (said, channel) in found.items():
        want_said, want_channel = by_the_fold(run, contact, recorded_by)
        assert said == want_said, contact
        assert channel in ("", want_channel), contact  # ("": a step with no channel)
    return found


def test_undo_and_undo_undone(run: CLI) -> None:
    run.now = "2026-01-05T10:00:00Z"
    run.ids("add", "Ann Lee", "--email", "ann@example.com")
    run.ids("met", "ann", "--takeaway", "first thought")
    run.now = "2026-01-06T10:00:00Z"
    [second] = run.ids("met", "ann", "--takeaway", "second thought")
    run.ids("checkin", "ann", "--via", "video", "--note", "")
    run.now = LATER
    assert agrees_with_the_fold(run)["ann-lee"] == ("second thought", "video")
    [undo] = run.ids("undo", second)
    assert agrees_with_the_fold(run)["ann-lee"] == ("first thought", "video")
    run.ids("undo", undo)  # the meeting is back
    assert agrees_with_the_fold(run)["ann-lee"] == ("second thought", "video")
    assert "last: second thought" in run.run("today").out


def test_a_merged_contacts_takeaway_and_channel(run: CLI) -> None:
    run.now = "2026-01-05T10:00:00Z"
    run.ids("add", "Ben Ode", "--linkedin", "https://www.linkedin.com/in/ben-ode")
    run.ids("met", "ben-ode", "--takeaway", "old news")
    run.ids("add", "Benjamin Ode", "--email", "ben@example.com")
    run.now = "2026-01-09T10:00:00Z"
    run.ids("met", "benjamin", "--notes", "Moving to Lisbon\nand more")
    run.ids("merge", "ben-ode", "benjamin-ode")
    run.now = LATER
    found = agrees_with_the_fold(run)
    # the merged one's meeting, and its email address filling the gap (before linkedin)
    assert found["ben-ode"] == ("Moving to Lisbon", "email")
    assert "benjamin-ode" not in found


def test_a_meeting_note_edited_twice_and_back(run: CLI) -> None:
    notes = run.home / "notes"
    notes.mkdir()
    run.now = "2026-01-02T10:00:00Z"
    run.ids("add", "Cleo Park")
    run.now = LATER
    note = notes / "cleo.md"
    for takeaway in ("alpha", "beta", "gamma", "alpha"):  # edits retract and re-record
        note.write_text(MEETING.format(takeaway=takeaway))
        run.run("watch", str(notes), "--once")
        assert agrees_with_the_fold(run)["cleo-park"][0] == takeaway


def test_as_of_reads_the_events_recorded_by_then(run: CLI) -> None:
    run.now = "2026-01-05T10:00:00Z"
    run.ids("add", "Dee Fox", "--phone", "+15550100")
    run.ids("met", "dee", "--takeaway", "what was known then")
    # recorded months later, about January (so Dee stays past her gap at every --as-of)
    run.now = "2026-05-01T10:00:00Z"
    [later] = run.ids("met", "dee", "--takeaway", "said later", "--on", "2026-01-07T10:00")
    run.ids("checkin", "dee", "--via", "email", "--on", "2026-01-07T11:00")
    run.now = "2026-05-03T10:00:00Z"
    run.ids("undo", later)
    run.now = LATER
    assert agrees_with_the_fold(run)["dee-fox"] == ("what was known then", "email")
    then = agrees_with_the_fold(run, "--as-of", "2026-04-30T12:00",
                                recorded_by="2026-04-30T12:00:00Z")
    assert then["dee-fox"] == ("what was known then", "phone")
    before_undo = agrees_with_the_fold(run, "--as-of", "2026-05-02T12:00",
                                       recorded_by="2026-05-02T12:00:00Z")
    assert before_undo["dee-fox"] == ("said later", "email")
