"""This session's new features attacked as an adversary would (birthdays and dates,
keep-in-touch, today --send, stats and report): each test is a failure found by
trying, kept so that it stays fixed."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CLI, InProcessCLI

# -- report --out onto what is not a file -------------------------------------------------

def _specials(folder: Path) -> list[Path]:
    """A FIFO, a socket and (as root) a character device, each where a file could be."""
    fifo = folder / "fifo.html"
    os.mkfifo(fifo)
    sock = folder / "sock.html"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    server.close()
    found = [fifo, sock]
    if os.geteuid() == 0:  # a null device of our own: the real /dev/null is not ours to risk
        device = folder / "null.html"
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        found.append(device)
    return found


@pytest.mark.parametrize("command", [["report"], ["export", "ics"]])
def test_out_never_replaces_a_device_fifo_or_socket(run: InProcessCLI, tmp_path: Path,
                                                     command: list[str]) -> None:
    # report --out /dev/null (as root) used to rename a regular file over the device.
    run.run("add", "Jane Doe", "--birthday", "02-29")
    for target in _specials(tmp_path):
        kind = stat.S_IFMT(os.lstat(target).st_mode)
        result = run.run(*command, "--out", str(target), expect=1)
        assert result.err.splitlines() == [
            f"coffeechat: error: --out: cannot write {target} (it is not a regular file)"]
        assert stat.S_IFMT(os.lstat(target).st_mode) == kind  # still what it was
    assert not list(tmp_path.glob("*.partial"))


# -- today --send: two at once ---------------------------------------------------------------

PLUGINS = Path(__file__).parent / "plugins"


def test_two_sends_at_once_record_the_digest_once(cli: CLI, tmp_path: Path) -> None:
    # Both pass the once-a-day check, both send (the postbox waits for both), and
    # both used to record digest.sent; now the second record sees the first.
    cli.run("add", "Jane Doe", "--birthday", "11-03")
    cli.now = "2026-11-03T10:00:00Z"
    box = tmp_path / "box"
    box.mkdir()
    env = cli.env(COFFEECHAT_LOAD_PLUGINS="slow_postbox", SLOW_POSTBOX_DIR=str(box),
                  SLOW_POSTBOX_PARTIES="2")
    racers = [subprocess.Popen(
        [sys.executable, "-m", "coffeechat", "--plugins-dir", str(PLUGINS), "today", "--send",
         "--via", "postbox"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True) for _ in range(2)]
    results = [(racer.wait(timeout=60), racer.stdout.read(), racer.stderr.read())
               for racer in racers if racer.stdout and racer.stderr]
    assert [code for code, _out, _err in results] == [0, 0], results
    assert len(list(box.glob("*.sent"))) == 2  # (sending cannot be taken back)
    assert [e["type"] for e in cli.json("log")].count("digest.sent") == 1
    warned = [err for _code, _out, err in results if err]
    assert len(warned) == 1 and len(warned[0].splitlines()) == 1, results
    assert "another coffeechat recorded it at the same time" in warned[0]
    # And the day counts as sent: a third send says so and sends nothing.
    third = cli.run("--plugins-dir", str(PLUGINS), "today", "--send", "--via", "postbox",
                    COFFEECHAT_LOAD_PLUGINS="slow_postbox", SLOW_POSTBOX_DIR=str(box))
    assert "already went out via postbox" in third.out
    assert len(list(box.glob("*.sent"))) == 2


@pytest.mark.parametrize("data", ['{"day": "2026-11-16", "channel": 42, "items": 1}',
                                  '{"day": "2026-11-16"}', "not json at all"])
def test_a_planted_digest_row_blocks_the_day_and_says_so_in_words(run: InProcessCLI,
                                                                  data: str) -> None:
    # A digest.sent the current code cannot use still counts as sent (sending twice is
    # worse), and the message names no channel it cannot read ("via 42", "via None").
    from tests.test_total_fold import plant

    run.now = "2026-11-16T08:00:00Z"
    run.run("add", "Jane Doe", "--email", "jane@example.com")
    run.run("ask", "jane", "--on", "2026-11-01")
    plant(run.db, [("digest", "digest.sent", "2026-11-16T07:00:00Z", data, 1,
                    "digest:2026-11-16")])
    again = run.run("today", "--send")
    assert "already went out via an unknown channel at" in again.out, again.out
    assert run.json("today")["overdue"]  # and the day's digest still reads
