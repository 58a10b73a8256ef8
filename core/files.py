"""Files in and out: reading an input with a clear error, writing a file whole."""

from __future__ import annotations

import contextlib
import os

from coffeechat.errors import BadInput


def read_input(path: str, size: int = -1) -> bytes:
    """An input file's bytes (the first ``size`` of them if given); unreadable: BadInput."""
    try:
        with open(path, "rb") as file:
            return file.read(size)
    except OSError as error:
        raise BadInput(f"FILE: cannot read {path} ({error.strerror})") from None


def replace_file(path: str, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``.

    The temporary name carries the process id, so two processes writing the same
    file at once cannot interleave; the last rename wins whole. On failure the
    temporary file is removed and ``path`` is left as it was.
    """
    partial = f"{path}.{os.getpid()}.partial"
    try:
        with open(partial, "wb") as out:
            out.write(data)
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
