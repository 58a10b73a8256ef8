"""A store that lost a table beside the log heals itself, and verify says it was lost.

The projections' tables are derived from the log, and ``projections``, ``meta``
and ``migrations`` are coffeechat's bookkeeping: a table of either kind dropped
behind coffeechat's back (an edit with sqlite3, a half-copied file) is reported
by ``verify`` and recreated by the next command, with the same answers a fresh
rebuild gives; ``add`` after a drop records its contact once and succeeds.
"""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest

from coffeechat.migrations import MIGRATIONS
from coffeechat.projections import SHADOWS, VERSIONS
from coffeechat.store import BOOKKEEPING, open_store
from tests.conftest import InProcessCLI

PROJECTION_TABLES = list(VERSIONS)  # each built-in projection's table has its name
TABLES = PROJECTION_TABLES + list(BOOKKEEPING)
SHADOW_TABLES = [table for tables in SHADOWS.values() for table in tables]  # FTS5's own

# Every read command, as a script would run it (--json: the whole answer compared).
READS = [
    ("contacts",), ("show", "jane"), ("due",), ("referrals",), ("search", "portfolio"),
    ("log",), ("reconnect",), ("today",), ("stats",), ("due", "--as-of", "2026-11-04"),
]


def _sql(db: Path, statement: str) -> None:
    conn = apsw.Connection(str(db))
    try:
        conn.execute(statement)
    finally:
        conn.close()


def _drop(db: Path, table: str) -> None:
    _sql(db, f"DROP TABLE {table}")


@pytest.fixture
def recorded(run: InProcessCLI) -> InProcessCLI:
    """A store with a row in every projection: contacts, a merge, a referral, follow-ups, notes."""
    run.now = "2026-11-02T09:00:00Z"
    run.run("add", "Jane Doe", "--company", "Acme", "--email", "jane@acme.example")
    run.run("add", "J. Doe", "--company", "Acme")
    run.run("merge", "jane", "j-doe")
    run.run("ask", "jane")
    run.now = "2026-11-05T15:00:00Z"
    run.run("met", "jane", "--notes", "talked about portfolio reviews", "--takeaway",
            "keep it short", "--referral", "Bob Smith", "--commitment", "send my portfolio",
            "--due", "2026-11-09")
    run.now = "2026-11-06T09:00:00Z"
    return run


def _answers(run: InProcessCLI) -> list[object]:
    return [run.json(*command) for command in READS]


def _problems(run: InProcessCLI) -> list[str]:
    result = run.run("verify", "--json", expect=None)
    document = result.json()
    assert (result.code == 0) == document["ok"]
    return list(document["problems"])


@pytest.mark.parametrize("table", TABLES)
def test_every_read_works_after_a_table_is_dropped(recorded: InProcessCLI, table: str) -> None:
    run = recorded
    run.run("rebuild")
    fresh = _answers(run)
    assert _problems(run) == []
    for command, answer in zip(READS, fresh, strict=True):
        _sql(run.db, f"DROP TABLE IF EXISTS {table}")  # (log --json reads no view: none made)
        problems = _problems(run)
        assert len(problems) == 1 and f"the table {table} is missing" in problems[0]
        assert "`coffeechat rebuild`" in problems[0]
        result = run.run(*command, "--json", expect=None)
        assert (result.code, result.err) == (0, ""), (command, result.err)
        assert result.json() == answer, command
    run.run("contacts")  # (log --json and --as-of read no live view: they leave it missing)
    assert _problems(run) == []


@pytest.mark.parametrize("table", TABLES)
def test_a_recording_command_works_after_a_table_is_dropped(recorded: InProcessCLI,
                                                            table: str) -> None:
    run = recorded
    _drop(run.db, table)
    result = run.run("note", "jane", "after the drop", expect=None)
    assert (result.code, result.err) == (0, "")
    shown = run.json("show", "jane")
    assert "after the drop" in str(shown)
    after = _answers(run)
    run.run("rebuild")
    assert _answers(run) == after
    assert _problems(run) == []


@pytest.mark.parametrize("table", TABLES)
def test_rebuild_recreates_a_dropped_table(recorded: InProcessCLI, table: str) -> None:
    run = recorded
    fresh = _answers(run)
    _drop(run.db, table)
    run.run("rebuild")
    assert _problems(run) == []
    assert _answers(run) == fresh


@pytest.mark.parametrize("table", PROJECTION_TABLES)
def test_add_after_a_drop_records_once_and_succeeds(recorded: InProcessCLI, table: str) -> None:
    run = recorded
    before = len(run.json("log"))
    _drop(run.db, table)
    result = run.run("add", "After Drop", expect=None)
    assert result.code == 0 and "error" not in result.err, result.err
    assert len(run.json("log")) == before + 1
    names = [c["name"] for c in run.json("contacts")]
    assert names.count("After Drop") == 1


def test_a_backup_of_a_store_missing_its_bookkeeping_works(recorded: InProcessCLI,
                                                           tmp_path: Path) -> None:
    run = recorded
    fresh = run.json("contacts")
    _drop(run.db, "projections")
    _drop(run.db, "meta")
    copy = tmp_path / "copy.db"
    run.run("backup", str(copy))
    assert run.json("--db", str(copy), "contacts") == fresh
    assert run.run("--db", str(copy), "verify").code == 0


def test_recreated_bookkeeping_tables_are_as_a_new_store_makes_them(recorded: InProcessCLI,
                                                                    tmp_path: Path) -> None:
    def columns(db: Path) -> dict[str, list[tuple[object, ...]]]:
        conn = apsw.Connection(str(db))
        try:
            return {name: conn.execute(f"PRAGMA table_info({name})").fetchall()
                    for name in BOOKKEEPING}
        finally:
            conn.close()

    new = tmp_path / "new.db"
    open_store(new).close()
    for table in BOOKKEEPING:
        _drop(recorded.db, table)
    recorded.run("contacts")
    assert columns(recorded.db) == columns(new)


def test_a_lost_migrations_table_does_not_run_migrations_again(recorded: InProcessCLI) -> None:
    """user_version says how many migrations ran: the next one runs alone, once."""
    run = recorded
    name, _step = MIGRATIONS[-1]
    _drop(run.db, "migrations")
    # As if the last migration were new: its index gone and user_version one behind.
    _sql(run.db, "DROP INDEX events_merges")
    _sql(run.db, f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    assert run.run("contacts").code == 0
    conn = apsw.Connection(str(run.db))
    try:
        assert [row[0] for row in conn.execute("SELECT name FROM migrations ORDER BY name")
                ] == sorted(n for n, _ in MIGRATIONS)
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'events_merges'"
                            ).get == 1
        assert conn.execute("PRAGMA user_version").get == len(MIGRATIONS)
    finally:
        conn.close()
    assert name.startswith("0004")  # (the index above is this migration's)


def test_add_that_fails_after_its_commit_says_recorded_and_succeeds(
        recorded: InProcessCLI) -> None:
    # A contacts table whose columns were changed by hand (still there, so nothing is
    # rebuilt): `add` records, then its look for people like the new one fails. What
    # is committed is not a failure: exit 0, one warning, the contact there once.
    recorded.run("due")  # (the projections caught up: the append projects nothing first)
    _sql(recorded.db, "ALTER TABLE contacts RENAME COLUMN linkedin_key TO tampered")
    result = recorded.run("add", "Lena Fox", "--linkedin", "https://linkedin.com/in/lena")
    assert result.code == 0
    [warning] = result.err.splitlines()
    assert warning.startswith("coffeechat: warning: recorded, but people like them could "
                              "not be looked for: SQLError: ")
    assert "rebuild" in warning
    recorded.run("rebuild")
    assert [c["name"] for c in recorded.json("contacts")].count("Lena Fox") == 1


@pytest.mark.parametrize("table", SHADOW_TABLES)
def test_the_search_index_missing_a_table_of_its_own_mends_itself(recorded: InProcessCLI,
                                                                   table: str) -> None:
    # FTS5 cannot open (nor drop) an index one of whose tables is gone: every search,
    # verify and rebuild failed. Now verify names it, and the next command or a rebuild
    # makes the index again, with the answers of before.
    run = recorded
    fresh = _answers(run)  # (the first search built the index)
    for first in ("contacts", "rebuild"):
        _drop(run.db, table)
        assert any(f"the table {table} is missing" in p for p in _problems(run))
        result = run.run(first, expect=None)
        assert (result.code, result.err) == (0, "")
        assert _answers(run) == fresh
        assert _problems(run) == []
