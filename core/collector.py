"""Pausing CPython's cyclic garbage collector around work that makes many objects.

Appending, folding, importing and rendering views each make an object or more
per event and no reference cycles. The cyclic collector, run every 700
allocations, would only walk those objects again and again: a tenth of such
work or more (on a large log, each pass walks everything made so far).
Reference counting still frees every object that is dropped.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector while the block runs; put it back as it was after."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
