"""Files in and out: reading an input with a clear error, writing a file whole and private.

Files coffeechat finds rather than is handed (templates, notes, its own views)
are read with :func:`read_regular`: regular files only, never waiting on a
FIFO or a device, never past a size cap.

What coffeechat writes that holds personal data (drafts, exports, views, the
store's folder) is created readable by its owner only: files 0600, folders
0700, whatever the umask. A caller may ask for another mode (the Markdown
views follow the mode of the notes folder they live in).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from typing import BinaryIO

from coffeechat.errors import BadInput

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


class NotRegular(OSError):
    """Nothing was read: the path is a FIFO, a device, a folder, or a link not to follow."""


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def read_regular(path: str, limit: int, *, follow_links: bool) -> tuple[bytes, os.stat_result]:
    """At most ``limit`` bytes of a regular file, and its stat (to judge its size by).

    It never waits: the file is opened with ``O_NONBLOCK`` and checked before
    anything is read, so a FIFO or a device is refused, not read. Raises
    :class:`NotRegular` for anything but a regular file (with ``follow_links``
    false, a link at ``path`` itself too), and ``OSError`` when it cannot be
    opened or read. Callers turn both into their own one-line error.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS | (0 if follow_links else _NOFOLLOW))
    except OSError as error:
        if error.errno == errno.ELOOP and not follow_links:  # O_NOFOLLOW met a link
            raise NotRegular(error.errno, "a link") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegular(errno.EINVAL, "not a regular file")
        chunks = []
        left = limit
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks), info
    finally:
        os.close(fd)


def read_input(path: str, size: int = -1) -> bytes:
    """An input file's bytes (the first ``size`` of them if given); unreadable: BadInput."""
    try:
        with open(path, "rb") as file:
            return file.read(size)
    except OSError as error:
        raise BadInput(f"FILE: cannot read {path} ({error.strerror})") from None


def make_folder(path: str, mode: int = PRIVATE_FOLDER) -> None:
    """Create ``path`` and any missing parents with ``mode``; existing ones stay as they are."""
    missing = []
    current = os.path.abspath(path)
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(folder, mode)
            os.chmod(folder, mode)  # (the umask may have taken bits away)


def replace_file(path: str, data: bytes, *, mode: int = PRIVATE_FILE) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``
    (see :func:`replacing`)."""
    with replacing(path, mode=mode) as out:
        out.write(data)


@contextlib.contextmanager
def replacing(path: str, *, mode: int = PRIVATE_FILE) -> Iterator[BinaryIO]:
    """A new file to write, renamed over ``path`` once the ``with`` block ends well.

    The file gets ``mode`` (0600 unless asked otherwise). The temporary name
    carries the process id, so two processes writing the same file at once
    cannot interleave; the last rename wins whole. It is made anew
    (``O_EXCL``): a file or link already at that name is removed, never written
    through. On failure the temporary file is removed and ``path`` is left as
    it was. A device, FIFO, socket or folder at ``path`` is never renamed over
    (``--out /dev/null`` run as root would replace the device with a file):
    NotRegular. A link is replaced, its target left alone.
    """
    _refuse_special(path)
    partial = f"{path}.{os.getpid()}.partial"
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)  # a leftover of a killed run with our pid
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as out:
            if hasattr(os, "fchmod"):
                os.fchmod(out.fileno(), mode)
            yield out
        _refuse_special(path)  # (again: it may have appeared while we wrote)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise


def _refuse_special(path: str) -> None:
    """NotRegular when ``path`` is there and is neither a regular file nor a link."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise NotRegular(errno.EEXIST, "it is not a regular file")
