"""Hooks that hang or exit as HOSTILE_HOOK says: ``hang-appended``, ``exit-appended``,
``hang-register`` (register_channels sleeps)."""

import os
import sys
import time

from coffeechat import hookimpl


@hookimpl
def event_appended(event):
    how = os.environ.get("HOSTILE_HOOK", "")
    if how == "hang-appended":
        with open(os.environ["HOSTILE_CALLS"], "a") as calls:
            calls.write(f"{event.type}\n")
        time.sleep(3600)
    if how == "exit-appended":
        sys.exit(3)


@hookimpl
def register_channels(register):
    if os.environ.get("HOSTILE_HOOK") == "hang-register":
        time.sleep(3600)
