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


class InProcessCLI(CLI):
    """The same interface as :class:`CLI`, run inside the test process (much faster).

    ``coffeechat.cli.main.main`` runs with the same environment a subprocess
    would get and its stdout and stderr captured; use :class:`CLI` where the
    process boundary is the point (signals, two writers, the entry point).
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
        with runner.isolation(env=overrides) as (out, err, _):
            time.tzset()
            try:
                main(list(args))
            except SystemExit as done:
                code = done.code if isinstance(done.code, int) else 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
        time.tzset()
        result = Result(code, out.getvalue().decode(errors="replace"),
                        err.getvalue().decode(errors="replace"))
        if expect is not None:
            assert result.code == expect, (
                f"coffeechat {' '.join(args)} exited {result.code}, expected {expect}\n"
                f"stdout: {result.out}\nstderr: {result.err}"
            )
        return result


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
