"""A plugin command that reports the cyclic garbage collector's state while it runs."""

import gc

import click

from coffeechat import hookimpl
from coffeechat.cli.main import output


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


@click.command("gc-state")
def gc_state():
    """Report whether garbage is collected during a command (a test plugin command)."""
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(50_000):
        Node()  # garbage the collector must find on its own, as in a long `watch`
    output({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
            "grew": len(gc.get_objects()) - before})


@hookimpl
def register_commands(cli):
    cli.add_command(gc_state)
