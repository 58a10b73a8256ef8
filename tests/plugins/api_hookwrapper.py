"""An old-style hookwrapper, which coffeechat refuses (new-style wrappers do the job)."""

from coffeechat import hookimpl


@hookimpl(hookwrapper=True)
def event_appended(event, store):
    yield
