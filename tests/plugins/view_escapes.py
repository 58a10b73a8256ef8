"""A view that tries to write outside the views folder (and one page that is fine)."""

from coffeechat import hookimpl


def escaping(context):
    return {"../escaped.md": "# written outside\n", "escaping-ok.md": "# fine\n"}


@hookimpl
def register_views(register):
    register("escaping", escaping)
