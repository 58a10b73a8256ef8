"""An idle watcher costs (almost) nothing: a tick with nothing to read asks the store one
question, and still sees at once what another process recorded.

A watcher wakes once a second to look for half-saved notes, a replaced folder and
time passing; at 4 wake-ups a second with a few queries each, an idle watcher
used 4-8% of a CPU. Now a tick runs one statement (SQLite's data version) while
the file is as the last step left it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coffeechat.config import Config
from coffeechat.events import ContactAdded
from coffeechat.plugin_manager import Plugins
from coffeechat.plugins.notes_sync import NotesFolder
from coffeechat.plugins.notes_watch import Watcher
from coffeechat.projections.projector import Projector
from coffeechat.store import NewEvent, open_store
from tests.test_notes import JANE, write


def test_an_idle_tick_asks_one_question_and_another_writer_is_seen(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COFFEECHAT_LOAD_PLUGINS", "")  # (the built-in plugins only)
    notes = tmp_path / "notes"
    write(notes, "jane.md", JANE)
    store = open_store(tmp_path / "events.db")
    plugins = Plugins(Config())
    projector = Projector(store, plugins=plugins)
    folder = NotesFolder(str(notes), store, plugins.note_parsers(),
                         catch_up=projector.catch_up_locked)
    watcher = Watcher(folder, projector, plugins.views())
    contacts = notes / "_coffeechat" / "contacts.md"
    first = watcher.step(None)  # the first scan
    assert first.report is not None and first.report.recorded == ["jane.md"]
    assert "Jane Doe" in contacts.read_text()

    statements: list[str] = []
    store.conn.exec_trace = lambda _cursor, sql, _bindings: statements.append(sql) or True
    idle = [watcher.step(set()) for _ in range(3)]
    assert statements == ["PRAGMA data_version"] * 3
    assert [(u.changed, u.due, u.overdue) for u in idle] == [
        (False, first.due, first.overdue)] * 3

    other = open_store(tmp_path / "events.db")  # another process's `coffeechat add`
    other.append([NewEvent(stream="contact:eve-park", occurred_at="2026-11-20T10:00:00Z",
                           payload=ContactAdded(name="Eve Park"))])
    other.close()
    statements.clear()
    seen = watcher.step(set())
    assert len(statements) > 1 and seen.changed
    assert "Eve Park" in contacts.read_text()
    store.close()
