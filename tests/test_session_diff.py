"""The speed work of issue 13 kept every answer the same.

Reads changed underneath (contacts v7 keeps lookalike keys, `today` and
`reconnect` read without folding, `due` skips the birthday look-up) and the
console script got a launcher of its own. What a user sees must not change:
a store kept up event by event answers exactly as one rebuilt from the log,
a store from before v7 upgrades to the same answers, and the console script
and ``python -m coffeechat`` behave alike.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import apsw
import pytest

from coffeechat.events import NoteAdded
from coffeechat.store import NewEvent, open_store
from tests.conftest import CLI, InProcessCLI

CONFIG = """[keep_in_touch]
mentor = { ideal = 30, max = 60 }
peer = { ideal = 90, max = 180 }
"""

# (clock, command): a history with merges of contacts that each have meetings, notes and
# birthdays; undo of asks, schedules and notes; back-dated entries; check-ins; cadences.
HISTORY: list[tuple[str, tuple[str, ...]]] = [
    ("2026-01-05T09:00:00Z", ("add", "José Álvarez", "--company", "Acme, Inc.",
                              "--email", "jose@acme.com", "--tag", "mentor",
                              "--birthday", "03-14")),
    ("2026-01-05T09:05:00Z", ("add", "Jose Alvarez", "--linkedin",
                              "https://www.linkedin.com/in/jalvarez/", "--birthday", "1990-07-02")),
    ("2026-01-05T09:10:00Z", ("add", "Mei Tanaka", "--company", "Globex", "--tag", "peer")),
    ("2026-01-05T09:15:00Z", ("add", "Ben Chen", "--referred-by", "Mei Tanaka")),
    ("2026-01-06T10:00:00Z", ("ask", "josé-álvarez", "--via", "linkedin")),
    ("2026-01-06T11:00:00Z", ("ask", "jose-alvarez", "--via", "email")),
    ("2026-01-06T11:05:00Z", ("undo",)),
    ("2026-01-07T10:00:00Z", ("ask", "Mei Tanaka", "--via", "phone", "--on", "2026-01-02")),
    ("2026-01-08T10:00:00Z", ("answer", "josé-álvarez", "accepted")),
    ("2026-01-08T10:05:00Z", ("schedule", "josé-álvarez", "--at", "2026-01-09T15:00:00Z",
                              "--where", "Café Z")),
    ("2026-01-08T12:00:00Z", ("schedule", "josé-álvarez", "--at", "2026-01-10T15:00:00Z")),
    ("2026-01-08T12:05:00Z", ("undo",)),
    ("2026-01-09T16:00:00Z", ("met", "josé-álvarez", "--notes", "Platform teams\nmore",
                              "--takeaway", "Read the SRE book", "--commitment", "send CV",
                              "--due", "2026-01-12T10:00:00Z", "--referral", "Rosa Rossi")),
    ("2026-01-10T09:00:00Z", ("note", "jose-alvarez", "Moved to Lisbon")),
    ("2026-01-10T09:05:00Z", ("note", "jose-alvarez", "Moved to Porto, not Lisbon")),
    ("2026-01-10T09:10:00Z", ("undo",)),
    ("2026-01-11T09:00:00Z", ("met", "jose-alvarez", "--notes", "Coffee")),
    ("2026-01-12T09:00:00Z", ("thank", "josé-álvarez", "--via", "in-person")),
    ("2026-01-20T09:00:00Z", ("merge", "josé-álvarez", "jose-alvarez")),
    ("2026-01-21T09:00:00Z", ("checkin", "Mei Tanaka", "--via", "video",
                              "--note", "New job!\nat Initech")),
    ("2026-01-22T09:00:00Z", ("cadence", "Ben Chen", "14")),
    ("2026-01-23T09:00:00Z", ("answer", "Mei Tanaka", "accepted")),
    ("2026-01-23T09:05:00Z", ("schedule", "Mei Tanaka", "--at", "2026-04-02T08:30:00Z")),
    ("2026-02-01T09:00:00Z", ("edit", "Ben Chen", "--company", "Acme")),
    ("2026-02-02T09:00:00Z", ("cancel", "Mei Tanaka")),
    ("2026-02-02T09:05:00Z", ("undo",)),
]
READS: list[tuple[str, ...]] = [
    ("due", "--json"), ("due", "--all", "--json"), ("due", "--all"),
    ("today", "--json"), ("today",), ("reconnect", "--json"), ("reconnect",),
    ("contacts", "--json"), ("contacts", "--warmth", "cold", "--json"), ("contacts",),
    ("show", "jose-alvarez", "--json"), ("show", "josé-álvarez", "--json"),
    ("show", "mei-tanaka", "--json"), ("show", "ben-chen"), ("log", "--json"),
    ("due", "--all", "--json", "--as-of", "2026-01-15"),
    ("reconnect", "--json", "--as-of", "2026-01-15"),
    ("show", "josé-álvarez", "--json", "--as-of", "2026-01-15"),
]
CLOCKS = ["2026-02-02T10:00:00Z", "2026-04-01T20:00:00Z", "2026-07-01T23:30:00Z"]


def record(run: InProcessCLI, tz: str) -> None:
    (run.home / "config.toml").write_text(CONFIG)
    for now, args in HISTORY:
        run.now = now
        run.run(*args, TZ=tz)


def everything(run: InProcessCLI, tz: str) -> dict[tuple[str, ...], tuple[int, str, str]]:
    seen = {}
    for now in CLOCKS:
        run.now = now
        for args in READS:
            result = run.run(*args, expect=None, TZ=tz)
            seen[(now, *args)] = (result.code, result.out, result.err)
    return seen


@pytest.mark.parametrize("tz", ["UTC", "Pacific/Chatham"])
def test_views_kept_up_event_by_event_answer_as_a_rebuild_does(run: InProcessCLI,
                                                               tz: str) -> None:
    record(run, tz)
    kept_up = everything(run, tz)
    assert "Rosa Rossi" in kept_up[(CLOCKS[0], "contacts")][1]
    run.run("rebuild", TZ=tz)
    rebuilt = everything(run, tz)
    assert [key for key in kept_up if kept_up[key] != rebuilt[key]] == []


def contacts_v6(db: Path) -> None:
    """Put the contacts projection back as version 6 left it (no lookalike keys)."""
    conn = apsw.Connection(str(db))
    try:
        with conn:
            for index in ("name_key", "company_key", "linkedin_key", "email"):
                conn.execute(f"DROP INDEX contacts_{index}")
            for column in ("name_key", "company_key", "linkedin_key"):
                conn.execute(f"ALTER TABLE contacts DROP COLUMN {column}")
            conn.execute("UPDATE projections SET version = 6 WHERE name = 'contacts'")
    finally:
        conn.close()


def test_a_store_from_before_contacts_v7_upgrades_to_the_same_answers(run: InProcessCLI) -> None:
    record(run, "UTC")
    before = everything(run, "UTC")
    contacts_v6(run.db)
    assert everything(run, "UTC") == before
    run.now = CLOCKS[-1]
    run.run("verify")
    # add's lookalike warnings come from the keys the upgrade wrote
    warned = run.run("add", "J. Alvarez", "--company", "ACME", "--email", "JOSE@acme.com",
                     "--linkedin", "linkedin.com/in/JAlvarez?trk=1").err
    assert warned.count("looks like José Álvarez (josé-álvarez)") == 1
    assert ("same email jose@acme.com, same LinkedIn profile linkedin.com/in/jalvarez, "
            "same company Acme, Inc.") in warned
    assert "same name" in run.run("add", "ben  CHEN").err


def console_script() -> str:
    script = Path(sys.executable).parent / "coffeechat"
    assert script.exists(), "the test environment installs the console script"
    return str(script)


@pytest.mark.parametrize("args", [
    ("--version",), ("--help",), ("nosuch",), ("show", "nobody"), ("add",),
    ("due", "--as-of", "garbage"), ("--json", "show", "nobody"),
])
def test_the_console_script_and_python_m_behave_alike(cli: CLI, args: tuple[str, ...]) -> None:
    cli.run("add", "Ana Okafor")
    script = subprocess.run([console_script(), *args], capture_output=True, text=True,
                            env=cli.env(), timeout=60)
    module = cli.run(*args, expect=None)
    assert (script.returncode, script.stdout, script.stderr) == (
        module.code, module.out, module.err)


def test_a_closed_pipe_ends_both_alike(cli: CLI) -> None:
    cli.run("add", "Ana Okafor")
    store = open_store(cli.db)
    try:  # (enough lines that `log` is still writing when head has gone)
        store.append([NewEvent(stream="contact:ana-okafor", payload=NoteAdded(f"note {index}"),
                               occurred_at="2026-11-01T09:00:00Z") for index in range(3000)],
                     source="cli")
    finally:
        store.close()
    ends = []
    for argv in ([console_script()], [sys.executable, "-m", "coffeechat"]):
        shell = f"{' '.join(argv)} log | head -1; echo \"rc=${{PIPESTATUS[0]}}\""
        done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True,
                              env=cli.env(), timeout=60)
        ends.append((done.stdout, done.stderr))
    assert ends[0] == ends[1]
    assert "Traceback" not in ends[0][1]
