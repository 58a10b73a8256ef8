"""coffeechat-webhook: post messages to an incoming webhook, and follow up on the thread."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import click

import coffeechat
from coffeechat import ContactState, DeliveryError, FollowUp, Message, Payload
from coffeechat.clock import from_stamp, stamp

# -- the channel --------------------------------------------------------------


class WebhookChannel:
    """Posts a message as JSON to an incoming-webhook URL."""

    name = "webhook"
    can_send = True
    can_draft = False

    def __init__(self, url: str | None, timeout: float = 10.0) -> None:
        self.url = url
        self.timeout = timeout

    def send(self, message: Message) -> str:
        import urllib.error  # here, not at the top: most commands never send
        import urllib.request

        if not self.url:
            raise DeliveryError("--send: set url under [plugins.webhook] in config.toml")
        document = {
            "text": f"{message.subject}\n\n{message.body}",
            "contact": message.contact,
            "name": message.name,
            "subject": message.subject,
            "body": message.body,
        }
        request = urllib.request.Request(
            self.url, data=json.dumps(document).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            raise DeliveryError(
                f"--send: the webhook refused the message (HTTP {error.code})") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise DeliveryError(
                f"--send: cannot reach the webhook at {self.url} ({reason})") from None
        return f"posted to the webhook (HTTP {status})"

    def draft(self, message: Message) -> str:
        raise DeliveryError("--draft: the webhook channel cannot write drafts")


@coffeechat.hookimpl
def register_channels(register: coffeechat.RegisterChannel, config: coffeechat.Config) -> None:
    settings = config.plugins.get("webhook", {})
    register(WebhookChannel(settings.get("url"), float(settings.get("timeout", 10))))


# -- an event type of our own -------------------------------------------------


class ThreadChecked(Payload):
    """I looked at the webhook thread for a reply."""

    note: str | None = None


@coffeechat.hookimpl
def register_event_types(register: coffeechat.RegisterEventType) -> None:
    register("webhook.thread-checked", ThreadChecked)


# -- a follow-up rule ---------------------------------------------------------

MESSAGES = ("request.sent", "thanks.sent", "checkin.done")
SETTLED = ("webhook.thread-checked", "request.answered", "meeting.scheduled", "meeting.held")


def check_thread_after(days: int) -> Any:
    def check_thread(state: ContactState) -> Iterator[FollowUp]:
        """Look at the thread ``days`` after the last message posted through the webhook."""
        posted = None
        for event in state.events:  # live events, oldest first
            if event.type in MESSAGES and json.loads(event.data).get("channel") == "webhook":
                posted = event
            elif event.type in SETTLED:
                posted = None
        if posted is not None:
            due = stamp(from_stamp(posted.occurred_at) + timedelta(days=days))
            yield FollowUp(state.id, "check-thread", due, "posted through the webhook on {day}",
                           posted.id, anchor=posted.occurred_at)

    return check_thread


@coffeechat.hookimpl
def register_followup_rules(register: coffeechat.RegisterRule, config: coffeechat.Config
                            ) -> None:
    days = int(config.plugins.get("webhook", {}).get("check_days", 3))
    register("check-thread", check_thread_after(days), 1)


# -- a command ----------------------------------------------------------------


@click.command("thread-checked")
@click.argument("contact")
@click.option("--note", metavar="TEXT", help="What you found in the thread.")
@click.pass_obj
def thread_checked(app: Any, contact: str, note: str | None) -> None:
    """Record that you looked at CONTACT's webhook thread."""
    events = app.recorder().record(contact, ThreadChecked(note=note))
    for event in events:
        click.echo(f"{event.id}  {event.type}  {contact}")


@coffeechat.hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(thread_checked)
