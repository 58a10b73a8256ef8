"""Session 7 review: a privacy audit of every file coffeechat makes and every output.

Part 1, files: under a permissive umask (000 and 022) coffeechat is made to
create every file and folder it can (the store and its WAL files, the head,
the plugin cache, drafts and the outbox, backups, every export, the report,
the views, a reset head), and each must be 0600 (folders 0700), with no
temporary file left behind. A file the user made 0644 and coffeechat writes
over is tightened to 0600.

Part 2, credentials: the SMTP server (aiosmtpd) and the CalDAV server
(Radicale, and a hand-made HTTP server for the answers Radicale never gives)
fail every way they can, with the password given as the docs allow (the
environment, a `user:password@` in [calendar] url). The password, and the
forms it travels in (base64 in AUTH PLAIN/LOGIN and in HTTP Basic), must never
appear in stdout, stderr, `--json`, the log, the views, the report, what
`plugins`, `paths` and `verify` print, a plugin trace, or any file coffeechat
keeps other than config.toml.
"""

from __future__ import annotations

import base64
import os
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import CLI, InProcessCLI, Result
from tests.test_calendar import PASSWORD as RADICALE_PASSWORD
from tests.test_calendar import radicale  # noqa: F401 - a fixture
from tests.test_email import certificate, free_port, server_context  # noqa: F401 - a fixture

NOW = "2026-11-02T09:00:00Z"


# -- part 1: files ---------------------------------------------------------------------------

@pytest.fixture(params=[0o000, 0o022], ids=["umask000", "umask022"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """A permissive umask for the whole test (in-process runs and the subprocesses alike)."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def tree(root: Path) -> dict[str, int]:
    """Every path under ``root`` (itself too): its mode, files and folders alike."""
    return {str(p.relative_to(root.parent)): mode(p) for p in [root, *root.rglob("*")]}


def loose(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Whatever under ``root`` is not private (files 0600, folders 0700), or is a leftover."""
    found = {}
    for path in [root, *root.rglob("*")]:
        if path.name in skip:
            continue
        want = 0o700 if path.is_dir() else 0o600
        if path.is_symlink() or mode(path) != want:
            found[str(path)] = oct(mode(path))
        if path.name.endswith((".partial", ".new", "-journal")):
            found[str(path)] = "a temporary file left behind"
    return found


def test_every_file_and_folder_a_session_makes_is_private(tmp_path: Path, umask: int,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    home = tmp_path / "new" / "home"  # COFFEECHAT_HOME, and its parent, not there yet
    run = InProcessCLI(home)
    run.now = NOW
    run.run("init")
    assert home.is_dir()

    outbox = tmp_path / "mail" / "coffeechat" / "drafts"  # [email] outbox, made by coffeechat
    (home / "config.toml").write_text(
        f'[me]\nname = "Maya López"\nemail = "maya@example.com"\n'
        f'[email]\noutbox = "{outbox}"\n')
    run.run("add", "Jane Doe", "--email", "jane@acme.example", "--birthday", "1990-03-04")
    run.run("add", "Leo Park", "--linkedin", "https://www.linkedin.com/in/leo-park")
    run.run("ask", "jane")
    run.run("schedule", "jane", "--at", "2026-11-05T15:00:00Z", "--where", "Blue Bottle")
    run.now = "2026-11-06T09:00:00Z"
    run.run("met", "jane", "--notes", "portfolio review", "--takeaway", "ship small",
            "--commitment", "send my portfolio", "--due", "2026-11-10")
    run.run("thank", "jane", "--draft")                    # an .eml draft
    run.run("ask", "leo", "--via", "linkedin", "--draft")  # a .txt draft

    mine = tmp_path / "mine"  # a folder the user made: its own mode is theirs
    mine.mkdir()
    run.run("export", "jsonl", "--out", str(mine / "log.jsonl"))
    run.run("export", "ics", "--out", str(mine / "calendar.ics"))
    run.run("report", "--out", str(mine / "named.html"), "--contacts", "2")
    monkeypatch.chdir(mine)
    run.run("report")  # the default: report.html where you are
    run.run("due", "--as-of", "2026-11-03")
    run.run("report", "--as-of", "2026-11-03", "--out", str(mine / "then.html"))
    backups = tmp_path / "backups" / "2026" / "november"  # made by `backup`
    run.run("backup", str(backups / "copy.db"))
    run.run("verify", "--reset-head")
    run.run("rebuild")

    notes = tmp_path / "notes"
    notes.mkdir(mode=0o700)  # private notes: the views inside follow it
    (notes / "leo.md").write_text("---\ncontact: Leo Park\n---\nMet at the meetup.\n")
    run.run("watch", str(notes), "--once")
    views = tmp_path / "elsewhere" / "views"  # views outside the notes folder: private
    run.run("watch", str(notes), "--once", "--views", str(views))

    assert {p.name for p in mine.iterdir()} == {"log.jsonl", "calendar.ics", "named.html",
                                                "report.html", "then.html"}
    assert {p.name for p in outbox.iterdir()} and len(list(outbox.iterdir())) == 2
    assert (home / ".cache" / "entry-points.json").is_file()
    assert (backups / "copy.db.head").is_file() and (home / "coffeechat.db.head").is_file()
    assert (views / "contacts").is_dir() and (views / "report.html").is_file()
    assert (notes / "_coffeechat" / "report.html").is_file()
    problems: dict[str, str] = {}
    for root in (tmp_path / "new", tmp_path / "mail", tmp_path / "backups",
                 tmp_path / "elsewhere", notes / "_coffeechat"):
        problems |= loose(root, skip=("config.toml",))
    for path in mine.iterdir():
        problems |= loose(path)
    assert problems == {}, tree(tmp_path)


def test_the_store_s_wal_files_are_private_while_it_is_open(tmp_path: Path, umask: int
                                                            ) -> None:
    from coffeechat.store import open_store

    run = InProcessCLI(tmp_path / "home")
    run.now = NOW
    run.run("add", "Jane Doe")
    store = open_store(run.db)
    try:
        store.count()
        wal = [Path(f"{run.db}{suffix}") for suffix in ("-wal", "-shm")]
        assert all(p.exists() for p in wal)
        assert {mode(p) for p in [run.db, *wal]} == {0o600}
    finally:
        store.close()


class Default(InProcessCLI):
    """The CLI with neither COFFEECHAT_HOME nor COFFEECHAT_DB: the XDG folders under HOME."""

    def env(self, **extra: str) -> dict[str, str]:
        env = super().env(**extra)
        for key in ("COFFEECHAT_HOME", "COFFEECHAT_DB", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
                    "XDG_CACHE_HOME"):
            env.pop(key, None)
        env["HOME"] = str(self.home)
        return env


def test_the_default_folders_a_first_run_makes_are_private(tmp_path: Path, umask: int) -> None:
    user = tmp_path / "user"
    user.mkdir()  # the user's home: theirs
    run = Default(user)
    run.now = NOW
    run.run("add", "Leo Park")
    run.run("ask", "leo", "--via", "linkedin", "--draft")
    data = user / ".local" / "share" / "coffeechat"
    assert (data / "coffeechat.db").is_file() and (data / "outbox").is_dir()
    assert (user / ".cache" / "coffeechat" / "entry-points.json").is_file()
    # Folders coffeechat made (.local and .local/share too, when they were missing) are 0700.
    problems = loose(user / ".local") | loose(user / ".cache")
    assert problems == {}, tree(user)


@pytest.mark.parametrize("command", [
    ("export", "jsonl", "--out"), ("export", "ics", "--out"), ("report", "--out"),
    ("backup", "--force"),
])
def test_a_file_the_user_made_0644_is_tightened_when_written_over(
        run: InProcessCLI, tmp_path: Path, command: tuple[str, ...]) -> None:
    run.now = NOW
    run.run("add", "Jane Doe", "--email", "jane@acme.example")
    target = tmp_path / "theirs"
    target.write_text("old\n")
    target.chmod(0o644)
    run.run(*command, str(target)) if command[0] != "backup" else \
        run.run("backup", str(target), "--force")
    assert target.read_bytes() != b"old\n" and mode(target) == 0o600


@pytest.mark.xfail(strict=True, reason="export jsonl --out writes into OUT.partial with "
                   "O_CREAT|O_TRUNC, following a link there and keeping an existing file's "
                   "mode, then renames it over OUT: the log lands in the link's target "
                   "(0644 here) and OUT becomes that link")
def test_export_jsonl_does_not_write_through_a_partial_file_it_did_not_make(
        run: InProcessCLI, tmp_path: Path) -> None:
    run.now = NOW
    run.run("add", "Jane Doe", "--email", "jane@acme.example")
    elsewhere = tmp_path / "someone-elses.txt"
    elsewhere.write_text("")
    elsewhere.chmod(0o644)
    out = tmp_path / "shared" / "log.jsonl"
    out.parent.mkdir()
    (tmp_path / "shared" / "log.jsonl.partial").symlink_to(elsewhere)
    run.run("export", "jsonl", "--out", str(out), expect=None)
    assert b"jane" not in elsewhere.read_bytes()
    assert not out.is_symlink() and mode(out) == 0o600


def test_under_umask_000_a_separate_process_makes_private_files_too(cli: CLI, tmp_path: Path
                                                                    ) -> None:
    old = os.umask(0)
    try:
        cli.run("add", "Jane Doe")
        cli.run("export", "jsonl", "--out", str(tmp_path / "log.jsonl"))
        cli.run("backup", str(tmp_path / "new" / "copy.db"))
    finally:
        os.umask(old)
    made = [*cli.home.iterdir(), tmp_path / "new"]  # (the home folder is the test's own)
    assert {"coffeechat.db", ".cache"} <= {p.name for p in made}
    assert [loose(p) for p in made] == [{}] * len(made)
    assert mode(tmp_path / "log.jsonl") == 0o600
