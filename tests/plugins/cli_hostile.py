"""Plugin commands that end in every way a plugin's code can (tests/test_session_hostile.py)."""

import click

from coffeechat import BadInput, hookimpl


@click.command("ends")
@click.argument("how")
def ends(how):
    """End the way HOW says (a test plugin command)."""
    if how == "interrupt":
        raise KeyboardInterrupt
    if how == "exit3":
        raise SystemExit(3)
    if how == "abort":
        raise click.Abort
    if how == "bad":
        raise BadInput("the file 'a\nb' is not a contact list\nfix it")
    if how == "lines":
        raise ValueError("first line\nsecond line\r\nthird")
    if how == "click":
        raise click.ClickException("two\nlines")
    click.echo("fine")


@hookimpl
def register_commands(cli):
    cli.add_command(ends)
