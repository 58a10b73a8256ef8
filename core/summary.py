"""One-line human summaries of events, shared by the CLI and the Markdown views.

Each event type says its own line (:meth:`coffeechat.events.Payload.describe`);
this module finds the type, decodes the payload and falls back to the stored
text for whatever cannot say it: a type no installed plugin knows, a payload of
another shape, or a plugin's ``describe`` that fails. It never raises.
"""

from __future__ import annotations

from typing import Any

import msgspec

from coffeechat.codec import UNREADABLE, decode_payload
from coffeechat.events import EVENT_TYPES, Payload

UNKNOWN = "(unknown type: its plugin is not installed) "


def describe_document(doc: dict[str, Any]) -> str:
    """A short human summary of an event document (``views.events``), saying if it is unusable."""
    data = doc["data"]
    raw = bytes(data).decode(errors="replace") if isinstance(data, msgspec.Raw) else str(data)
    if doc.get("unusable"):
        return f"(cannot be used: {doc['unusable']}) {raw}"
    schema = doc.get("schema")
    return describe(doc["type"], raw, schema if isinstance(schema, int) else None)


def describe(kind: str, raw: bytes | str, schema: int | None = None) -> str:
    """A short human summary of an event's payload (its type, JSON data and schema).

    ``schema`` is the one the payload was written with (today's when None).
    """
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    try:
        data = msgspec.json.decode(raw)
    except UNREADABLE:
        return text
    if not isinstance(data, dict):
        return str(data)
    cls = EVENT_TYPES.get(kind)
    if cls is None:
        return UNKNOWN + text
    try:
        payload = decode_payload(kind, cls.schema if schema is None else schema, raw)
        return str(payload.describe()) if isinstance(payload, Payload) else text
    except Exception:  # (a payload of another shape, or a plugin's describe that fails)
        return text
