"""Getting a message out: which channel, what it says, and sending or drafting it."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from coffeechat import validate
from coffeechat.channels import ADDRESS_FIELDS, Channel, DeliveryError, Message, address_of
from coffeechat.codec import Event
from coffeechat.errors import BadInput, CoffeechatError, describe_error, quote
from coffeechat.fold import ContactState
from coffeechat.messages import default_message

if TYPE_CHECKING:
    from coffeechat.plugin_manager import Plugins
    from coffeechat.store import Store

class Outcome(NamedTuple):
    """What a message command did: the events it recorded, and what the channel said."""

    events: list[Event]
    receipt: str | None = None  # a delivery receipt, or where a draft was written


def pick_channel(channels: dict[str, Channel], via: str, where: str = "--via") -> Channel:
    name = validate.one_line(via, where, required=True).lower()
    channel = channels.get(name)
    if channel is None:
        raise BadInput(f"{where}: unknown channel {quote(name)} "
                       f"(known: {', '.join(sorted(channels))})")
    return channel


def deliver(plugins: Plugins | None, store: Store, kind: str, state: ContactState,
            channel: Channel, delivery: str | None, template: str | None, nudge: bool = False
            ) -> tuple[Message | None, str | None]:
    """Compose, then send or draft the message; (message, receipt). Raises on failure.

    ``delivery`` is None (nothing goes out: only a ``--template`` is rendered),
    ``"send"`` or ``"draft"``. ``Message.to`` is the contact field the channel
    addresses (its ``address``: email unless it says otherwise); a channel that
    names its address gets no message without one.
    """
    if delivery is None and template is None:
        return None, None
    field, needed = address_of(channel)
    to = getattr(state, field)
    message = None
    if plugins is not None:
        message = plugins.compose_message(kind, state, to, nudge, template, store)
    if message is None:
        if template is not None:
            raise BadInput(f"--template: no installed plugin renders {quote(template)}")
        message = default_message(kind, state, to=to, nudge=nudge)
    if delivery is None:
        return message, None
    flag = f"--{delivery}"
    able = channel.can_send if delivery == "send" else channel.can_draft
    if not able:
        verb = "deliver messages" if delivery == "send" else "write drafts"
        raise DeliveryError(f"{flag}: the {channel.name!r} channel cannot {verb}; "
                            f"leave out {flag} to record a message you sent yourself")
    if needed and not message.to:
        raise DeliveryError(f"{flag}: {state.name} has no {ADDRESS_FIELDS[field]}, which "
                            f"the {channel.name!r} channel needs (add one: coffeechat edit "
                            f"{state.id} --{field} ...); nothing was recorded")
    try:
        receipt = channel.send(message) if delivery == "send" else channel.draft(message)
    except CoffeechatError:
        raise
    except Exception as error:  # a plugin's channel failing in its own way
        raise DeliveryError(f"{flag}: the {channel.name!r} channel failed "
                            f"({describe_error(error)}); "
                            "nothing was recorded") from None
    return message, receipt


def text_of(message: Message | None) -> dict[str, str]:
    """The subject and body to record with the event, when a message went out."""
    return {"subject": message.subject, "body": message.body} if message is not None else {}
