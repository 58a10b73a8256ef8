"""Writing a file whole: readers see the old content or the new, never half of it."""

from __future__ import annotations

import contextlib
import os


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
