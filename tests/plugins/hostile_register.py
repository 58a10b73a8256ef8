"""register callbacks called with the wrong things: the plugin registers nothing."""

from coffeechat import hookimpl


@hookimpl
def register_followup_rules(register):
    register()


@hookimpl
def register_projections(register):
    register("not a projection")


@hookimpl
def register_channels(register):
    register(1, 2, 3)
