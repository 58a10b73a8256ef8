"""A plugin whose event_appended hook raises: the event must stay recorded."""

from coffeechat import hookimpl


@hookimpl
def event_appended(event, store):
    raise ValueError(f"cannot handle {event.type}")
