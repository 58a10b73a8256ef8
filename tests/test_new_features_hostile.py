"""This session's new features attacked as an adversary would (birthdays and dates,
keep-in-touch, today --send, stats and report): each test is a failure found by
trying, kept so that it stays fixed."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from tests.conftest import InProcessCLI

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
