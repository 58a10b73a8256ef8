"""Channels: how a message to a contact is delivered, drafted, or only recorded.

A channel is any object with a ``name`` and the capabilities it has, and
optionally an ``address``: the contact field it delivers to (``"email"`` when
it has none; see :data:`ADDRESS_FIELDS`). The message it gets has that field in
``Message.to``. The built-in ones (email, linkedin, phone, in-person, video)
only record that you sent something yourself; plugins add channels that
deliver (a webhook, SMTP, an SMS gateway). A channel that cannot deliver raises
:class:`DeliveryError`, and then nothing is recorded as sent. ``--draft`` works
on every channel: one that cannot draft itself (``can_draft`` false) is never
asked to; coffeechat writes the message as text instead
(:func:`coffeechat.delivery.draft_as_text`).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import msgspec

from coffeechat.errors import CoffeechatError

# The channels coffeechat knows without any plugin (email can also draft and send).
BUILTIN_CHANNELS = ("email", "linkedin", "phone", "in-person", "video")

# The contact fields (ContactState attributes) a channel may address, as people say them.
ADDRESS_FIELDS = {"email": "email address", "phone": "phone number",
                  "linkedin": "LinkedIn URL"}
DEFAULT_ADDRESS = "email"


class Message(msgspec.Struct, kw_only=True):
    """One message to a contact, as a channel receives it."""

    kind: str  # "ask", "thank" or "checkin" (the event it records)
    contact: str  # contact id
    name: str  # the contact's name
    to: str | None  # the contact's address on this channel (the field its ``address``
    # names: email, phone or LinkedIn URL), when known
    subject: str
    body: str


class DeliveryError(CoffeechatError):
    """The channel could not deliver (or draft) the message; nothing was recorded."""


@runtime_checkable
class Channel(Protocol):
    """What coffeechat needs from a channel.

    ``can_send`` and ``can_draft`` say which of :meth:`send` and :meth:`draft`
    work (without ``can_draft``, coffeechat writes a draft as text itself).
    Both return a short human description of what happened (a receipt id, a
    file path) and raise :class:`DeliveryError` on failure.

    A channel may also have ``address: str``, the contact field it delivers to
    (a key of :data:`ADDRESS_FIELDS`): ``Message.to`` is that field, and a
    contact without it cannot be sent to (nothing is recorded), and its draft
    is written as text, with no recipient. Without one,
    ``Message.to`` is the email address and may be None. It is not part of this
    protocol, so channels written before it still count as channels.
    """

    name: str
    can_send: bool
    can_draft: bool

    def send(self, message: Message) -> str: ...

    def draft(self, message: Message) -> str: ...


def address_of(channel: Channel) -> tuple[str, bool]:
    """The contact field ``channel`` delivers to, and whether the channel said so.

    A channel without an ``address`` gets the email address in ``Message.to``,
    as before there was one, and is trusted to need none (a webhook posts to
    its own URL); one that names a field cannot send to a contact without it.
    """
    address = getattr(channel, "address", None)
    if isinstance(address, str) and address in ADDRESS_FIELDS:
        return address, True
    return DEFAULT_ADDRESS, False


class RecordOnly:
    """A channel you use by hand (a call, a LinkedIn message): coffeechat only records it.

    Its ``--draft`` is coffeechat's text draft, to paste: :meth:`draft` is never
    called (``can_draft`` is false) and refuses like :meth:`send` if it is.
    """

    can_send = False
    can_draft = False

    def __init__(self, name: str, address: str = DEFAULT_ADDRESS) -> None:
        self.name = name
        self.address = address

    def send(self, message: Message) -> str:
        raise DeliveryError(f"--send: the {self.name!r} channel cannot deliver messages; "
                            "leave out --send to record a message you sent yourself")

    def draft(self, message: Message) -> str:
        raise DeliveryError(f"--draft: the {self.name!r} channel cannot write drafts; "
                            "leave out --draft to record a message you sent yourself")
