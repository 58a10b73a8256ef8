"""A plugin command with a bug: it raises an error coffeechat did not expect."""

import click

from coffeechat import hookimpl


@click.command("boom")
def boom():
    """Fail the way a buggy plugin does (a test plugin command)."""
    {}["missing"]  # the bug


@click.command("boom-red")
def boom_red():
    """Fail with an error whose message holds a terminal escape (a test plugin command)."""
    raise ValueError("\x1b[2J\x1b[31mcleared and red")


@hookimpl
def register_commands(cli):
    cli.add_command(boom)
    cli.add_command(boom_red)
