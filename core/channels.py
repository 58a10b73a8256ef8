"""Channels: how a message to a contact is delivered, drafted, or only recorded.

A channel is any object with a ``name`` and the capabilities it has. The
built-in ones (email, linkedin, phone, in-person, video) only record that you
sent something yourself; plugins add channels that deliver (a webhook, SMTP).
A channel that cannot deliver raises :class:`DeliveryError`, and then nothing
is recorded as sent.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import msgspec

from coffeechat.errors import CoffeechatError

# The channels coffeechat knows without any plugin (email can also draft and send).
BUILTIN_CHANNELS = ("email", "linkedin", "phone", "in-person", "video")


class Message(msgspec.Struct, kw_only=True):
    """One message to a contact, as a channel receives it."""

    kind: str  # "ask", "thank" or "checkin" (the event it records)
    contact: str  # contact id
    name: str  # the contact's name
    to: str | None  # address on this channel (email, URL, handle), when known
    subject: str
    body: str


class DeliveryError(CoffeechatError):
    """The channel could not deliver (or draft) the message; nothing was recorded."""


@runtime_checkable
class Channel(Protocol):
    """What coffeechat needs from a channel.

    ``can_send`` and ``can_draft`` say which of :meth:`send` and :meth:`draft`
    work. Both return a short human description of what happened (a receipt
    id, a file path) and raise :class:`DeliveryError` on failure.
    """

    name: str
    can_send: bool
    can_draft: bool

    def send(self, message: Message) -> str: ...

    def draft(self, message: Message) -> str: ...


class RecordOnly:
    """A channel you use by hand (a call, a LinkedIn message): coffeechat only records it."""

    can_send = False
    can_draft = False

    def __init__(self, name: str) -> None:
        self.name = name

    def send(self, message: Message) -> str:
        raise DeliveryError(f"--send: the {self.name!r} channel cannot deliver messages; "
                            "leave out --send to record a message you sent yourself")

    def draft(self, message: Message) -> str:
        raise DeliveryError(f"--draft: the {self.name!r} channel cannot write drafts; "
                            "leave out --draft to record a message you sent yourself")
