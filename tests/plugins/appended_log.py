"""Writes each appended event's type to a file named by an environment variable."""

import os

from coffeechat import hookimpl


@hookimpl
def event_appended(event, store):
    with open(os.environ["APPENDED_LOG"], "a") as log:
        log.write(f"{event.type} {event.seq} {store.count()}\n")
