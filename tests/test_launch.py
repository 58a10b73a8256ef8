"""The console script's launcher (coffeechat.cli.launch) and the garbage collector."""

from __future__ import annotations

import gc
from pathlib import Path

from tests.conftest import CLI, InProcessCLI

PLUGINS = Path(__file__).parent / "plugins"


def gc_state(runner: CLI | InProcessCLI) -> dict[str, int]:
    result = runner.run("--plugins-dir", str(PLUGINS), "gc-state", "--json",
                        COFFEECHAT_LOAD_PLUGINS="cli_gcstate")
    return result.json()


def test_a_command_started_by_the_launcher_collects_its_own_garbage(cli: CLI) -> None:
    state = gc_state(cli)  # python -m coffeechat: the launcher, in a process of its own
    assert state["enabled"]
    assert state["frozen"] > 10_000  # what start-up made is kept out of every scan
    # 50,000 self-referencing objects made during the command: collected as it ran,
    # not piled up until exit (a `watch` runs for days).
    assert state["grew"] < 10_000


def test_running_the_cli_in_process_leaves_the_collector_alone(run: InProcessCLI) -> None:
    frozen = gc.get_freeze_count()
    state = gc_state(run)
    assert state["enabled"] and gc.isenabled()
    assert gc.get_freeze_count() == frozen


def test_the_launcher_gives_click_its_english_without_a_catalogue_search(cli: CLI) -> None:
    # click's strings come out as written; the search for a catalogue that is not there
    # (and the `locale` import it starts, 1-3 ms) is left out of every command.
    shown = cli.run("due", "--help", PYTHONPROFILEIMPORTTIME="1")
    assert "-h, --help" in shown.out and "Show this message and exit." in shown.out
    assert "Show the version and exit." in cli.run("--help").out
    assert cli.run("--version").out.startswith("coffeechat, version ")
    imported = {line.split("|")[-1].strip() for line in shown.err.splitlines()}
    assert "click.core" in imported and "locale" not in imported
    failed = cli.run("due", "--limit", "x", expect=2)
    assert "Error: Invalid value for '--limit'" in failed.err
