"""A plugin with a misspelled hook name: check_pending must name it."""

from coffeechat import hookimpl


@hookimpl
def register_chanels(register):  # the typo is the point
    register(None)
