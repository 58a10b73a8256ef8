"""Getting a message out: which channel, what it says, and sending or drafting it.

``--draft`` works on every channel. A channel that writes its own drafts (email:
an ``.eml`` file) gets the message; for any other (a LinkedIn message, a phone
call, a plugin's channel that only sends), and for a contact without the
address the channel needs, coffeechat writes the message as text into the
outbox and prints it, ready to paste. A draft records nothing either way.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from coffeechat import validate
from coffeechat.channels import ADDRESS_FIELDS, Channel, DeliveryError, Message, address_of
from coffeechat.clock import now
from coffeechat.codec import Event
from coffeechat.errors import BadInput, CoffeechatError, describe_error, quote
from coffeechat.files import PRIVATE_FILE, make_folder
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
    names its address gets no message without one: ``--send`` is refused, and
    ``--draft`` is written as text (:func:`draft_as_text`).
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
    missing = needed and not message.to
    if delivery == "draft":
        if channel.can_draft and not missing:
            return message, _through(channel, channel.draft, message, "--draft")
        return message, draft_as_text(message, channel.name, missing_field=(
            field if missing and channel.can_draft else None))
    if not channel.can_send:
        raise DeliveryError(f"--send: the {channel.name!r} channel cannot deliver messages; "
                            "leave out --send to record a message you sent yourself, or "
                            "--draft to write it out for pasting")
    if missing:
        raise DeliveryError(f"--send: {state.name} has no {ADDRESS_FIELDS[field]}, which "
                            f"the {channel.name!r} channel needs (add one: coffeechat edit "
                            f"{state.id} --{field} ...); nothing was recorded")
    return message, _through(channel, channel.send, message, "--send")


def _through(channel: Channel, call: Callable[[Message], str], message: Message, flag: str
             ) -> str:
    """What the channel's send or draft says; its own failure becomes one DeliveryError."""
    try:
        return call(message)
    except CoffeechatError:
        raise
    except Exception as error:  # a plugin's channel failing in its own way
        raise DeliveryError(f"{flag}: the {channel.name!r} channel failed "
                            f"({describe_error(error)}); "
                            "nothing was recorded") from None


def text_of(message: Message | None) -> dict[str, str]:
    """The subject and body to record with the event, when a message went out."""
    return {"subject": message.subject, "body": message.body} if message is not None else {}


# -- drafts as text ---------------------------------------------------------------------

def outbox(configured: str | None) -> str:
    """The folder drafts go into: ``configured`` (``[email] outbox``), or the default one."""
    from coffeechat.paths import outbox_folder

    return os.path.expanduser(configured or outbox_folder())


def message_text(message: Message, channel: str) -> str:
    """The message as a person reads and pastes it: who it is for, the subject, the body."""
    def one_line(value: str) -> str:
        return " ".join(value.split())

    to = f"{one_line(message.name)} <{one_line(message.to)}>" if message.to \
        else one_line(message.name)
    return (f"To: {to}\nVia: {channel}\nSubject: {one_line(message.subject)}\n\n"
            f"{message.body.rstrip()}\n")


def draft_as_text(message: Message, channel: str, *, missing_field: str | None = None) -> str:
    """Write the message into the outbox as ``.txt``; the receipt is the message and where.

    ``missing_field`` names the contact field a drafting channel needed and the
    contact lacks: the receipt says the draft has no recipient.
    """
    from coffeechat.config import load_config

    text = message_text(message, channel)
    path = write_draft(outbox(load_config().email.outbox), draft_stem(message), ".txt",
                       text.encode("utf-8"))
    lines = [text, f"draft written to {path}; nothing was recorded (once it has gone out, "
                   f"`coffeechat {message.kind} {message.contact} --via {channel}` "
                   "records it)"]
    if missing_field is not None:
        lines.append(f"no {ADDRESS_FIELDS[missing_field]} for {message.name}: the draft has "
                     f"no recipient (add one: coffeechat edit {message.contact} "
                     f"--{missing_field} ...)")
    return "\n".join(lines)


_UNSAFE = re.compile(r"[^\w-]+")


def draft_stem(message: Message) -> str:
    """``<stamp>-<contact>-<kind>``: when, for whom and what, safe as a file name."""
    contact = _UNSAFE.sub("-", message.contact).strip("-")[:80] or "contact"
    kind = _UNSAFE.sub("-", message.kind).strip("-")[:40] or "message"
    return f"{now().strftime('%Y%m%d-%H%M%S')}-{contact}-{kind}"


def write_draft(folder: str, stem: str, suffix: str, data: bytes) -> str:
    """Write ``data`` as a new file ``stem[-N]suffix`` in ``folder`` (0700 if made); its path.

    The file is created readable by you only (0600), under the first free name
    of ``stem``, ``stem-2``, ...: looking for a free name and creating the file
    are one step (O_EXCL), so two drafts named in the same second, by two
    processes, never take the same file. A write that fails leaves no file.
    """
    make_folder(folder)  # 0700, and so is each missing folder above it
    path, fd = _new_file(folder, stem, suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            if hasattr(os, "fchmod"):
                os.fchmod(out.fileno(), PRIVATE_FILE)  # (the umask may have taken bits)
            out.write(data)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    return path


def _new_file(folder: str, stem: str, suffix: str) -> tuple[str, int]:
    """The first free name of ``stem``, ``stem-2``, ... created (0600) and open for writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    n = 1
    while True:
        path = os.path.join(folder, f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}")
        try:
            return path, os.open(path, flags, PRIVATE_FILE)
        except FileExistsError:
            n += 1
