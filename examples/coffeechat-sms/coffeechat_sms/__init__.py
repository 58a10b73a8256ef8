"""coffeechat-sms: text people through an SMS gateway, and count your funnel."""

from __future__ import annotations

import json
from typing import Any

import click

import coffeechat
from coffeechat import Config, DeliveryError, Message, Reader, RegisterChannel

# -- the channel --------------------------------------------------------------


class SmsChannel:
    """Texts a message's body to the contact's phone number through an HTTP gateway."""

    name = "sms"
    address = "phone"  # Message.to is the contact's phone number
    can_send = True
    can_draft = False

    def __init__(self, url: str | None, sender: str | None, timeout: float = 10.0) -> None:
        self.url = url
        self.sender = sender
        self.timeout = timeout

    def send(self, message: Message) -> str:
        import urllib.error  # here, not at the top: most commands never send
        import urllib.request

        if not self.url:
            raise DeliveryError("--send: set url under [plugins.sms] in config.toml")
        document = {"to": message.to, "from": self.sender, "text": message.body}
        request = urllib.request.Request(
            self.url, data=json.dumps(document).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read()
        except urllib.error.HTTPError as error:
            raise DeliveryError(
                f"--send: the SMS gateway refused the message (HTTP {error.code})") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise DeliveryError(
                f"--send: cannot reach the SMS gateway at {self.url} ({reason})") from None
        try:  # the gateway took it: whatever its answer says, it is sent
            receipt = json.loads(answer)["id"]
        except (ValueError, TypeError, KeyError):
            receipt = "no id"
        return f"texted {message.to} through the SMS gateway ({receipt})"

    def draft(self, message: Message) -> str:
        raise DeliveryError("--draft: the sms channel cannot write drafts")


@coffeechat.hookimpl
def register_channels(register: RegisterChannel, config: Config) -> None:
    settings = config.plugins.get("sms", {})
    register(SmsChannel(settings.get("url"), settings.get("from"),
                        float(settings.get("timeout", 10))))


# -- counting with the read API -----------------------------------------------

STEPS = (("added", "contact.added"), ("asked", "request.sent"), ("met", "meeting.held"))


def funnel(reader: Reader) -> list[dict[str, Any]]:
    """How many contacts reached each step, each step counting only those that reached
    the one before; ``rate`` is the share of the step before."""
    counts = dict.fromkeys((step for step, _type in STEPS), 0)
    for contact in reader.contacts():
        happened = {event.type for event in reader.events(contact)}
        for step, event_type in STEPS:
            if event_type not in happened:
                break
            counts[step] += 1
    rows, before = [], None
    for step, count in counts.items():
        rate = None if before is None else round(count / before, 3) if before else 0.0
        rows.append({"step": step, "count": count, "rate": rate})
        before = count
    return rows


# -- the command --------------------------------------------------------------


@click.command("funnel")
@click.pass_obj
def funnel_command(app: Any) -> None:
    """How many people you added, asked, and met (undos and merges applied)."""
    rows = funnel(Reader(app.store(), app.plugins()))
    if app.json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        share = "" if row["rate"] is None else f"  {row['rate']:.0%} of the step before"
        click.echo(f"{row['step']:<6}{row['count']:>5}{share}")


@coffeechat.hookimpl
def register_commands(cli: click.Group) -> None:
    cli.add_command(funnel_command)
