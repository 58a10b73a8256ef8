"""A note parser that hangs, swallowing every Exception while it waits.

It gives up by itself after 30 seconds, so that a coffeechat without a time
limit on note parsers fails the test instead of hanging the test suite.
"""

import contextlib
import time

from coffeechat import hookimpl


def slow(note, book):
    give_up = time.monotonic() + 30
    while time.monotonic() < give_up:
        with contextlib.suppress(Exception):
            time.sleep(0.05)


@hookimpl
def register_note_parsers(register):
    register("slow", slow)
