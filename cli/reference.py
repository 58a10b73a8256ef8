"""The CLI reference (docs/cli.md), generated from the commands' own --help.

    python -m coffeechat.cli.reference > docs/cli.md

A test regenerates it and fails if docs/cli.md has drifted from the code.
"""

from __future__ import annotations

import os

import click

from coffeechat.cli.main import App, cli


def render_reference() -> str:
    """Markdown: the group's help, then each command's help, in --help order.

    Only built-in commands: installed third-party plugins are left out.
    """
    saved = os.environ.get("COFFEECHAT_LOAD_PLUGINS")
    os.environ["COFFEECHAT_LOAD_PLUGINS"] = ""
    try:
        return _render()
    finally:
        if saved is None:
            del os.environ["COFFEECHAT_LOAD_PLUGINS"]
        else:
            os.environ["COFFEECHAT_LOAD_PLUGINS"] = saved


def _render() -> str:
    parts = [
        "# Command reference\n",
        "Generated from `coffeechat --help` by `python -m coffeechat.cli.reference`; "
        "do not edit by hand.\n",
    ]
    with click.Context(cli, info_name="coffeechat", terminal_width=88, obj=App()) as root:
        parts.append(f"```\n{cli.get_help(root)}\n```\n")
        for name in cli.list_commands(root):
            command = cli.get_command(root, name)
            assert command is not None
            with click.Context(command, info_name=name, parent=root,
                               terminal_width=88) as ctx:
                parts.append(f"## coffeechat {name}\n\n```\n{command.get_help(ctx)}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render_reference(), end="")
