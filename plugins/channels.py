"""The built-in channels: ways of reaching a contact that coffeechat records.

None of these deliver anything: you write the email or make the call, and
coffeechat records that you did. Delivering plugins (SMTP email, webhooks)
register a channel of the same name or a new one.
"""

from __future__ import annotations

from typing import Any

from coffeechat.channels import BUILTIN_CHANNELS, RecordOnly
from coffeechat.hookspecs import hookimpl


@hookimpl
def register_channels(register: Any) -> None:
    for name in BUILTIN_CHANNELS:
        register(RecordOnly(name))
