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
    settings = {**cli.context_settings, "terminal_width": 88}
    with click.Context(cli, info_name="coffeechat", obj=App(), **settings) as root:
        parts.append(f"```\n{cli.get_help(root)}\n```\n")
        for name in cli.list_commands(root):
            command = cli.get_command(root, name)
            assert command is not None
            parts += _sections(command, name, root)
    return "\n".join(parts)


def _sections(command: click.Command, name: str, parent: click.Context) -> list[str]:
    """A command's help, then its subcommands' (for groups such as `import`)."""
    with click.Context(command, info_name=name, parent=parent, terminal_width=88) as ctx:
        parts = [f"## {ctx.command_path}\n\n```\n{command.get_help(ctx)}\n```\n"]
        if isinstance(command, click.Group):
            for sub in command.list_commands(ctx):
                found = command.get_command(ctx, sub)
                assert found is not None
                parts += _sections(found, sub, ctx)
    return parts


if __name__ == "__main__":
    print(render_reference(), end="")
