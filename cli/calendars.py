"""`calendar push`: meetings and follow-ups onto a CalDAV calendar."""

from __future__ import annotations

import os

import click

from coffeechat.cli.main import context_app, json_option, output
from coffeechat.cli.render import counted, dated


@click.group("calendar")
def calendar_group() -> None:
    """Your meetings and follow-ups in your calendar app (CalDAV)."""


@calendar_group.command("push")
@json_option
def push_command() -> None:
    """Put every meeting, open follow-up, birthday and important date on the [calendar]
    url (again: no copies). Birthdays and dates are yearly all-day events with a reminder.

    A follow-up pushed before that has since closed is marked completed there.

    The password comes from the variable named by [calendar] password_env
    (COFFEECHAT_CALDAV_PASSWORD by default), never from a file.
    """
    from coffeechat.calendars import push, shown_url

    app = context_app()
    config = app.config()
    password = os.environ.get(config.calendar.password_env)
    pushed = push(app.current(), config, app.projector().fold_stream, password)
    url = shown_url(config.calendar.url)  # never a password, even one put in the URL
    if app.json:
        output({"url": url, **pushed._asdict()})
        return
    click.echo(f"Pushed {counted(pushed.events, 'meeting')}, "
               f"{counted(pushed.todos, 'follow-up')} and {dated(pushed.dates)} to {url}")
    if pushed.completed:
        click.echo(f"Marked {counted(pushed.completed, 'follow-up')} done there")
