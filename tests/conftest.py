"""Shared fixtures: an isolated coffeechat folder and a way to run the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from coffeechat.store import Store, open_store


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class CLI:
    """Runs ``python -m coffeechat`` in a subprocess against one store, with a movable clock."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.db = home / "coffeechat.db"
        self.now = "2026-11-02T09:00:00Z"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COFFEECHAT_")}
        env.update(COFFEECHAT_HOME=str(self.home), COFFEECHAT_DB=str(self.db),
                   COFFEECHAT_LOAD_PLUGINS="",
                   COFFEECHAT_NOW=self.now, TZ="UTC")
        env.update(extra)
        return env

    def run(self, *args: str, expect: int | None = 0, **env: str) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "coffeechat", *args], capture_output=True, text=True,
            env=self.env(**env), timeout=60,
        )
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        if expect is not None:
            assert result.code == expect, (
                f"coffeechat {' '.join(args)} exited {result.code}, expected {expect}\n"
                f"stdout: {result.out}\nstderr: {result.err}"
            )
        return result

    def json(self, *args: str, **env: str) -> Any:
        return self.run(*args, "--json", **env).json()

    def ids(self, *args: str) -> list[str]:
        """Run a recording command and return the ids it printed."""
        return [r["id"] for r in self.json(*args)["recorded"]]

    def count(self) -> int:
        store = open_store(self.db)
        try:
            return store.count()
        finally:
            store.close()


# Modules whose module-level registries a command can add to (plugins register
# event types, upcasters and fold handlers): imported before a run is snapshotted.
_REGISTRY_MODULES = ("coffeechat.events", "coffeechat.codec", "coffeechat.fold")


class ProcessState:
    """What one in-process run can leave behind in this process, put back after it.

    A subprocess starts clean; an in-process run must look the same to the next
    one. Put back after each run: every dict, list and set held at module level
    by a loaded ``coffeechat`` module (registries such as the event types and
    upcasters plugins add to), the commands of the click group, and the modules
    ``--plugins-dir`` imports; and the ``functools`` caches of ``coffeechat.clock``
    are emptied (``local_day`` is keyed by the stamp, not by ``TZ``). The other
    caches are pure functions of their arguments and are kept: emptying
    ``usable._datetime_fields`` on every run cost the fuzz tests a quarter of their time.
    """

    # (module names, their containers, their caches): scanned again when modules change
    _scanned: tuple[tuple[str, ...], list[Any], list[Any]] = ((), [], [])

    def __init__(self) -> None:
        import importlib

        from coffeechat.cli.main import cli

        for name in _REGISTRY_MODULES:
            importlib.import_module(name)
        self.group = cli
        self.commands = dict(cli.commands)
        self.modules = set(sys.modules)
        containers, self.caches = self._scan()
        self.held = [(value, value.copy()) for value in containers]
        self.clear_caches()

    @classmethod
    def _scan(cls) -> tuple[list[Any], list[Any]]:
        names = tuple(n for n in sys.modules if n == "coffeechat" or n.startswith("coffeechat."))
        if cls._scanned[0] != names:
            containers: dict[int, Any] = {}
            caches: dict[int, Any] = {}
            for name in names:
                for attr, value in vars(sys.modules[name]).items():
                    if attr.startswith("__"):
                        continue
                    if type(value) in (dict, list, set):
                        containers[id(value)] = value
                    elif name == "coffeechat.clock" and hasattr(value, "cache_clear"):
                        caches[id(value)] = value
            cls._scanned = (names, list(containers.values()), list(caches.values()))
        return cls._scanned[1], cls._scanned[2]

    def clear_caches(self) -> None:
        for cached in self.caches:
            cached.cache_clear()

    def restore(self) -> None:
        for value, saved in self.held:
            if value != saved:
                value.clear()
                if isinstance(value, list):
                    value.extend(saved)
                else:
                    value.update(saved)
        if self.group.commands != self.commands:
            self.group.commands.clear()
            self.group.commands.update(self.commands)
        for name in set(sys.modules) - self.modules:
            if name.startswith("coffeechat_plugins_dir"):
                del sys.modules[name]
        self.clear_caches()


class InProcessCLI(CLI):
    """The same interface as :class:`CLI`, run inside the test process (much faster).

    ``coffeechat.cli.main.main`` runs with the same environment a subprocess
    would get and its stdout and stderr captured, and whatever the run left in
    the process is put back (see :class:`ProcessState`). Use :class:`CLI` where
    the process boundary is the point: signals, two processes at once, the
    entry point, a running ``watch``, a hard timeout around what may hang,
    memory caps, a real terminal.
    """

    def run(self, *args: str, expect: int | None = 0, **env: str) -> Result:
        from click.testing import CliRunner

        from coffeechat.cli.main import main

        runner = CliRunner()
        wanted = self.env(**env)
        # Unset what the subprocess would not see; CliRunner restores it all after.
        overrides: dict[str, str | None] = {k: None for k in os.environ if k not in wanted}
        overrides.update(wanted)
        code = 0
        state = ProcessState()
        try:
            with runner.isolation(env=overrides) as (out, err, _):
                time.tzset()
                try:
                    main(list(args))
                except SystemExit as done:  # as the interpreter reads it
                    if done.code is None or isinstance(done.code, int):
                        code = done.code or 0
                    else:
                        print(done.code, file=sys.stderr)
                        code = 1
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
        finally:
            time.tzset()
            state.restore()
        result = Result(code, out.getvalue().decode(errors="replace"),
                        err.getvalue().decode(errors="replace"))
        if expect is not None:
            assert result.code == expect, (
                f"coffeechat {' '.join(args)} exited {result.code}, expected {expect}\n"
                f"stdout: {result.out}\nstderr: {result.err}"
            )
        return result


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that runs the CLI in a subprocess (the ``cli`` fixture) is ``slow``.

    Other slow tests (real servers, processes started by hand, fuzzing) carry
    the mark themselves; ``make quick`` leaves all of them out.
    """
    for item in items:
        if "cli" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    for key in list(os.environ):
        if key.startswith("COFFEECHAT_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("COFFEECHAT_HOME", str(folder))
    monkeypatch.setenv("TZ", "UTC")
    return folder


@pytest.fixture
def cli(home: Path) -> CLI:
    return CLI(home)


@pytest.fixture
def run(home: Path) -> InProcessCLI:
    """The CLI run in-process: the default for tests of what a command does."""
    return InProcessCLI(home)


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The store contract runs on a file and in memory."""
    path = str(tmp_path / "contract.db") if request.param == "file" else ":memory:"
    opened = open_store(path)
    yield opened
    opened.close()
