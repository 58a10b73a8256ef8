"""Contact pages: read for many contacts at once, each must be the page it is alone.

The views plugin reads what the pages show (profiles, open follow-ups, stories)
for all the contacts it renders in a few queries; a page rendered by itself (a
save in the notes folder touched one contact) takes the one-contact queries.
Both must write the same page, whatever the story holds: merges, undos, notes
superseded by a later save, referrals, kept promises, birthdays.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coffeechat import queries
from coffeechat.plugins import markdown_views
from coffeechat.plugins.markdown_views import render_pages
from coffeechat.store import open_store
from coffeechat.views import ViewContext
from tests.conftest import CLI
from tests.test_notes import JANE, MEETING, write
from tests.test_story import merged_becker

NOW = "2026-11-21T09:00:00Z"


def story(run: CLI, tmp_path: Path) -> None:
    """Twenty-odd contacts (so the at-once path is taken) and every kind of story."""
    for n in range(20):
        run.ids("add", f"Person {n:02d}", "--company", "Acme", "--tag", "research")
    run.ids("add", "Priya Natarajan", "--birthday", "1985-11-30", "--company", "Acme")
    run.ids("add", "Marcus O'Brien", "--referred-by", "priya")
    run.ids("refer", "priya", "Dana Whitfield", "--company", "Beta")
    merged_becker(run, tmp_path)
    run.ids("met", "thomas", "--on", "2026-11-13T15:00")
    notes = run.home / "notes"
    write(notes, "jane.md", JANE)
    write(notes, "meeting.md", MEETING)
    run.run("watch", str(notes), "--once")
    write(notes, "meeting.md", MEETING.replace("how her team hires", "how her team grows"))
    run.run("watch", str(notes), "--once")  # the first save's events are superseded
    [note] = run.ids("note", "jane", "met at the fair")
    run.ids("undo", note)
    run.ids("commit", "marcus", "send my portfolio", "--due", "2026-11-10")
    [commitment] = [i["commitment"] for i in run.json("due", "--all")
                    if i["kind"] == "commitment" and i["contact"] == "marcus-o-brien"]
    run.ids("done", commitment)
    run.run("due")  # (the projections caught up)


@pytest.mark.parametrize("at_once", [500, 7])  # (7: the pages are read in four slices)
def test_every_page_rendered_at_once_is_the_page_rendered_alone(
        run: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at_once: int) -> None:
    monkeypatch.setattr(markdown_views, "PAGES_AT_ONCE", at_once)
    run.now = NOW
    story(run, tmp_path)
    store = open_store(run.db)
    try:
        every = render_pages(ViewContext(store, "main", NOW, [], None))
        assert len(every) > 20
        ids = [rel.removeprefix("contacts/").removesuffix(".md") for rel in every]
        for rel, contact_id in zip(every, ids, strict=True):
            assert render_pages(ViewContext(store, "main", NOW, [], {contact_id})) == {
                rel: every[rel]}
        # What the pages read at once is what `show` reads for one contact.
        stories = queries.stories(store, ids)
        items = queries.due_by_contact(store.conn, "main", NOW, ids)
        for contact_id in ids:
            assert stories[contact_id] == queries.events(store, contact_id=contact_id,
                                                         by_time=True)
            assert items[contact_id] == queries.due(store.conn, "main", NOW, None,
                                                    contact_id=contact_id)
    finally:
        store.close()
    jane, thomas = every["contacts/jane-doe.md"], every["contacts/thomas-becker.md"]
    assert "how her team grows" in jane and "how her team hires" not in jane
    assert "~~" in jane and "met at the fair" in jane  # the undone note, struck through
    assert "Tom Becker" in thomas and "merged" in thomas  # the merged contact's story
    assert "birthday" in every["contacts/priya-natarajan.md"]
    assert "kept: send my portfolio" in every["contacts/marcus-o-brien.md"]
