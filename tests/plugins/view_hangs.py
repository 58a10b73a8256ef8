"""A view that hangs, swallowing every Exception while it waits.

It gives up by itself after 30 seconds, so that a coffeechat without a time
limit on views fails the test instead of hanging the test suite.
"""

import contextlib
import time

from coffeechat import hookimpl


def slow(context):
    give_up = time.monotonic() + 30
    while time.monotonic() < give_up:
        with contextlib.suppress(Exception):
            time.sleep(0.05)
    return {}


@hookimpl
def register_views(register):
    register("slow", slow)
