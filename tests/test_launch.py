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
