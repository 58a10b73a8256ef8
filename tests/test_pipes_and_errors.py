"""Two conventions people expect of a command-line tool (issue 14).

When the program reading coffeechat's output stops early (``coffeechat log |
head -1``), coffeechat stops as Unix tools do: exit status 0, nothing on
stderr, no traceback and no "Exception ignored" from the interpreter, whichever
way it was started and however Python buffers stdout; what a recording command
recorded stays recorded. And an error raised by a plugin's command is told in
one line, as coffeechat's own are.

The pipes are real: the reader is a real pipe closed by this process, the
writer a real ``coffeechat`` process with more to say than a pipe holds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coffeechat.events import ContactAdded
from coffeechat.store import NewEvent, open_store
from tests.conftest import CLI, InProcessCLI

PLUGINS = Path(__file__).parent / "plugins"
LINES = {"COFFEECHAT_LOAD_PLUGINS": "cli_lines"}

# Both ways of starting coffeechat; stdout buffered as usual, and unbuffered as under
# `python -u` or PYTHONUNBUFFERED=1 (then a write goes straight to the pipe).
LAUNCHERS = {"script": [str(Path(sys.executable).parent / "coffeechat")],
             "python-m": [sys.executable, "-m", "coffeechat"]}
BUFFERING = {"buffered": "", "unbuffered": "1"}


def many_contacts(db: Path, count: int = 2000) -> None:
    """A store whose contacts, due list and log each run to well over a pipe's 64 KiB."""
    store = open_store(db)
    try:
        store.append([NewEvent(stream=f"contact:p{n}", payload=ContactAdded(name=f"Person {n}"),
                               occurred_at="2026-01-01T09:00:00Z") for n in range(count)])
    finally:
        store.close()


def read_a_little_then_close(argv: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
    """Run ``argv``, read its first bytes, close the pipe; its status, what was read, its stderr."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    head = proc.stdout.read(10)
    proc.stdout.close()
    try:
        err = proc.stderr.read()
        code = proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.stderr.close()
    return code, head, err


def into_a_closed_pipe(argv: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    """Run ``argv`` with stdout a pipe whose reader closed before it started."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(argv, stdout=writer, stderr=subprocess.PIPE, env=env, timeout=60)
    finally:
        os.close(writer)
    return done.returncode, done.stderr


@pytest.mark.parametrize("buffering", BUFFERING)
@pytest.mark.parametrize("launcher", LAUNCHERS)
@pytest.mark.parametrize("args", [("log",), ("contacts", "--json"), ("due",),
                                  ("--json", "log")])
def test_a_reader_that_stops_early_ends_the_run_quietly_with_0(
        cli: CLI, args: tuple[str, ...], launcher: str, buffering: str) -> None:
    many_contacts(cli.db)
    env = cli.env(PYTHONUNBUFFERED=BUFFERING[buffering])
    whole = subprocess.run([*LAUNCHERS[launcher], *args], capture_output=True, env=env,
                           timeout=60)
    assert whole.returncode == 0 and len(whole.stdout) > 3 * 65536  # (more than a pipe holds)
    code, head, err = read_a_little_then_close([*LAUNCHERS[launcher], *args], env)
    assert (code, err) == (0, b"")
    assert head == whole.stdout[:10]


def test_json_into_a_full_non_blocking_pipe_arrives_whole(cli: CLI) -> None:
    # Unbuffered, stdout is the raw file, and a write into a non-blocking pipe takes only
    # what fits: the rest must wait for the reader, not be dropped.
    many_contacts(cli.db)
    env = cli.env(PYTHONUNBUFFERED="1")
    argv = [*LAUNCHERS["script"], "contacts", "--json"]
    whole = subprocess.run(argv, capture_output=True, env=env, timeout=60).stdout
    reader, writer = os.pipe()
    os.set_blocking(writer, False)  # (the child shares this open file, flags and all)
    proc = subprocess.Popen(argv, stdout=writer, env=env)
    os.close(writer)
    time.sleep(0.5)  # (the pipe fills up meanwhile: 64 KiB of ~700 KB)
    with os.fdopen(reader, "rb") as pipe:
        got = pipe.read()
    assert proc.wait(timeout=60) == 0
    assert len(whole) > 3 * 65536 and got == whole


@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_a_recording_command_whose_reader_has_gone_still_records(cli: CLI,
                                                                  launcher: str) -> None:
    cli.run("add", "Ana Okafor")
    for buffering, name in [("", "Zoe Park"), ("1", "Mei Tanaka")]:
        env = cli.env(PYTHONUNBUFFERED=buffering)
        assert into_a_closed_pipe([*LAUNCHERS[launcher], "add", name], env) == (0, b"")
        assert into_a_closed_pipe([*LAUNCHERS[launcher], "ask", name, "--json"],
                                  env) == (0, b"")
    assert {c["name"] for c in cli.json("contacts")} == {"Ana Okafor", "Zoe Park",
                                                          "Mei Tanaka"}
    assert [e["type"] for e in cli.json("log")].count("request.sent") == 2


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("due", "--help")])
def test_help_into_a_closed_pipe_ends_quietly_too(cli: CLI, args: tuple[str, ...]) -> None:
    # (--help and --version print while click parses the arguments, before any command)
    assert into_a_closed_pipe([*LAUNCHERS["script"], *args], cli.env()) == (0, b"")


def test_what_is_left_in_stdouts_buffer_at_the_end_goes_quietly_too(cli: CLI) -> None:
    # (print() leaves its line in the buffer: the pipe breaks only when it is flushed)
    env = cli.env(PYTHONUNBUFFERED="", **LINES)
    argv = [*LAUNCHERS["script"], "--plugins-dir", str(PLUGINS), "prints", "3"]
    assert into_a_closed_pipe(argv, env) == (0, b"")
    assert subprocess.run(argv, capture_output=True, env=env,
                          timeout=60).stdout == b"line 0\nline 1\nline 2\n"
    code, head, err = read_a_little_then_close([*argv[:-1], "20000"], env)
    assert (code, head, err) == (0, b"line 0\nlin", b"")


def test_a_broken_pipe_with_stdout_fine_is_the_plugins_failure(run: InProcessCLI) -> None:
    # In-process stdout is a capture, never a pipe whose reader went away: a broken pipe
    # is then the plugin's own (a child process, a socket), and said so.
    before = sys.stdout, sys.stderr
    failed = run.run("--plugins-dir", str(PLUGINS), "pipe-breaks", expect=1, **LINES)
    assert failed.err.startswith("coffeechat: error: plugin command 'pipe-breaks' failed: "
                                 "BrokenPipeError: ")
    assert (sys.stdout, sys.stderr) == before  # (click would have wrapped them)
    run.run("add", "Ana Okafor")  # the next run writes as usual
    assert "Ana Okafor" in run.run("contacts").out


@pytest.mark.parametrize("stdout", ["file", "pipe read whole"])
def test_a_plugins_own_broken_pipe_is_its_failure_not_a_quiet_end(cli: CLI, tmp_path: Path,
                                                                  stdout: str) -> None:
    # Only stdout's reader going away ends a run quietly; a pipe the plugin broke itself
    # (here: into a child process that has exited) is an error, whatever stdout is.
    argv = [*LAUNCHERS["script"], "--plugins-dir", str(PLUGINS), "pipe-to-child"]
    if stdout == "file":
        with open(tmp_path / "out.txt", "wb") as out:
            done = subprocess.run(argv, stdout=out, stderr=subprocess.PIPE,
                                  env=cli.env(**LINES), timeout=60)
        printed = (tmp_path / "out.txt").read_bytes()
    else:
        done = subprocess.run(argv, capture_output=True, env=cli.env(**LINES), timeout=60)
        printed = done.stdout
    assert done.returncode == 1
    assert done.stderr.decode().startswith(
        "coffeechat: error: plugin command 'pipe-to-child' failed: BrokenPipeError: ")
    assert printed == b"before the child's pipe\n"


def test_a_plugins_click_error_of_two_lines_is_one(run: InProcessCLI) -> None:
    failed = run.run("--plugins-dir", str(PLUGINS), "two-lines", expect=1, **LINES)
    assert failed.err == "Error: line one / line two\n"


def test_a_plugins_usage_error_of_many_lines_is_one_error_line(run: InProcessCLI) -> None:
    failed = run.run("--plugins-dir", str(PLUGINS), "two-lines-usage", expect=2, **LINES)
    assert failed.err == ("Usage: coffeechat two-lines-usage [OPTIONS]\n"
                          "Try 'coffeechat two-lines-usage --help' for help.\n\n"
                          "Error: first / \\x1b[31msecond / third\n")


def test_a_plugins_click_error_is_one_line_from_a_process_too(cli: CLI) -> None:
    failed = cli.run("--plugins-dir", str(PLUGINS), "two-lines", expect=1, **LINES)
    assert failed.err == "Error: line one / line two\n"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize("args", [("log",), ("--json", "log"), ("report", "--out", "-"),
                                  ("contacts",)])
def test_output_to_a_full_disk_is_one_line_and_exit_1(cli: CLI, args: tuple[str, ...]) -> None:
    cli.run("add", "Ana Okafor")
    with open("/dev/full", "wb") as full:
        done = subprocess.run([*LAUNCHERS["script"], *args], stdout=full,
                              stderr=subprocess.PIPE, env=cli.env(), timeout=60)
    assert (done.returncode, done.stderr) == (1, b"coffeechat: error: No space left on device\n")
