"""The built-in channels: ways of reaching a contact that coffeechat records.

None of these deliver anything: you write the email or make the call, and
coffeechat records that you did. With ``--draft`` coffeechat writes the message
as text into the outbox and prints it, for you to paste (and records nothing).
Delivering plugins (SMTP email, webhooks) register a channel of the same name
or a new one.
"""

from __future__ import annotations

from coffeechat.channels import ADDRESS_FIELDS, BUILTIN_CHANNELS, RecordOnly
from coffeechat.hookspecs import RegisterChannel, hookimpl


@hookimpl
def register_channels(register: RegisterChannel) -> None:
    for name in BUILTIN_CHANNELS:
        # (a phone call addresses the phone number, LinkedIn the profile; the rest email)
        register(RecordOnly(name, name if name in ADDRESS_FIELDS else "email"))
