"""A plugin command with a bug: it raises an error coffeechat did not expect."""

import click

from coffeechat import hookimpl


@click.command("boom")
def boom():
    """Fail the way a buggy plugin does (a test plugin command)."""
    {}["missing"]  # the bug


@hookimpl
def register_commands(cli):
    cli.add_command(boom)
