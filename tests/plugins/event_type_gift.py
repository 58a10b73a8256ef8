"""Two event types of a plugin's own, each one class, and the commands that record them.

``gift.sent`` says how it reads, counts as a touch and is searchable;
``gift.idea`` says nothing about itself: it reads as its fields, is no touch,
and its text stays out of search.
"""

import click

from coffeechat import hookimpl
from coffeechat.events import Payload


class GiftSent(Payload):
    """I sent them a gift."""

    type_name = "gift.sent"
    touch = True
    searchable = True

    item: str
    note: str | None = None

    def describe(self) -> str:
        return f"sent a gift: {self.item}" + (f" ({self.note})" if self.note else "")


class GiftIdea(Payload):
    """A gift I might give them one day."""

    type_name = "gift.idea"
    touch = False
    searchable = False

    idea: str
    budget: int | None = None
    tags: tuple[str, ...] = ()


@hookimpl
def register_event_types(register):
    register(GiftSent.type_name, GiftSent)
    register(GiftIdea.type_name, GiftIdea)


@click.command("gift")
@click.argument("contact")
@click.argument("item")
@click.option("--note")
@click.pass_obj
def gift(app, contact, item, note):
    for event in app.recorder().record(contact, GiftSent(item=item, note=note)):
        click.echo(event.id)


@click.command("gift-idea")
@click.argument("contact")
@click.argument("idea")
@click.option("--budget", type=int)
@click.option("--tag", "tags", multiple=True)
@click.pass_obj
def gift_idea(app, contact, idea, budget, tags):
    for event in app.recorder().record(contact, GiftIdea(idea=idea, budget=budget,
                                                         tags=tags)):
        click.echo(event.id)


@hookimpl
def register_commands(cli):
    cli.add_command(gift)
    cli.add_command(gift_idea)
