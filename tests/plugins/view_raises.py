"""Views that go wrong: one raises, one returns something that is not a dict."""

from coffeechat import hookimpl


def broken(context):
    raise RuntimeError("the view broke")


def odd(context):
    return ["not", "a", "dict"]


@hookimpl
def register_views(register):
    register("broken", broken)
    register("odd", odd)
