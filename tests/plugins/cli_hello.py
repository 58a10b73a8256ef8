"""Plugin commands that answer in JSON when asked, as the built-in ones do."""

import click

from coffeechat import hookimpl
from coffeechat.cli.main import context_app, output


@click.command("hello")
@click.argument("who", default="world")
def hello(who):
    """Say hello (a test plugin command)."""
    if context_app().json:
        output({"hello": who})
    else:
        click.echo(f"hello, {who}")


@click.group("greet")
def greet():
    """Greetings (a test plugin group)."""


@greet.command("formally")
@click.argument("who")
@click.pass_obj
def formally(app, who):
    """Greet WHO formally."""
    if app.json:
        output({"greeting": f"Good day, {who}"})
    else:
        click.echo(f"Good day, {who}")


@hookimpl
def register_commands(cli):
    cli.add_command(hello)
    cli.add_command(greet)
