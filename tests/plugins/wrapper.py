"""A plugin with a wrapper hook, which coffeechat refuses (each hook runs on its own)."""

from coffeechat import hookimpl


@hookimpl(wrapper=True)
def event_appended(event, store):
    print("around", event.type)
    return (yield)
