"""One-line human summaries of events, shared by the CLI and the Markdown views."""

from __future__ import annotations

from typing import Any

import msgspec

from coffeechat.clock import local_time as local
from coffeechat.codec import UNREADABLE
from coffeechat.events import EVENT_TYPES


def _fields(data: dict[str, Any], *names: str) -> str:
    return ", ".join(str(data[n]) for n in names if data.get(n))


def describe_document(doc: dict[str, Any]) -> str:
    """A short human summary of an event document (``views.events``), saying if it is unusable."""
    data = doc["data"]
    raw = bytes(data).decode(errors="replace") if isinstance(data, msgspec.Raw) else str(data)
    if doc.get("unusable"):
        return f"(cannot be used: {doc['unusable']}) {raw}"
    return describe(doc["type"], raw)


def describe(kind: str, raw: bytes | str) -> str:
    """A short human summary of an event's payload (its type and JSON data)."""
    try:
        data = msgspec.json.decode(raw)
    except UNREADABLE:
        return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    if not isinstance(data, dict):
        return str(data)
    try:
        return _describe(kind, data, raw)
    except (KeyError, TypeError, ValueError, AttributeError):  # a payload of another shape
        return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)


def _describe(kind: str, data: dict[str, Any], raw: bytes | str) -> str:
    if kind == "contact.added":
        summary = _fields(data, "name", "company", "role")
        return summary + (f" (referred by {data['referred_by']})" if data.get("referred_by")
                          else "")
    if kind == "contact.updated":
        return "changed " + ", ".join(f"{k}={v!r}" for k, v in data.items())
    if kind == "meeting.scheduled":
        return f"meeting at {local(data['at'])}, {data.get('minutes', 30)} min" + (
            f", {data['where']}" if data.get("where") else "")
    if kind == "meeting.held":
        parts = [data.get("notes") or ""] + [f"takeaway: {t}" for t in data.get("takeaways", [])]
        return " · ".join(p for p in parts if p) or "met"
    if kind in ("request.sent", "thanks.sent", "checkin.done"):
        extra = " (nudge)" if data.get("nudge") else ""
        return f"via {data.get('channel')}{extra}" + (f": {data['note']}" if data.get("note")
                                                       else "")
    if kind == "request.answered":
        return str(data.get("answer"))
    if kind == "reply.received":
        return "replied" + (f": {data['subject']}" if data.get("subject") else "")
    if kind == "referral.made":
        return f"introduced me to {_fields(data, 'name', 'company')}"
    if kind == "commitment.made":
        due = f" (due {local(data['due'])})" if data.get("due") else ""
        return f"{data.get('text')}{due}"
    if kind == "commitment.done":
        return f"kept {data.get('commitment', '')}"
    if kind == "note.added":
        return str(data.get("text"))
    if kind == "cadence.set":
        return f"check in every {data.get('days')} days"
    if kind == "event.retracted":
        return f"undid {data.get('target', '')}"
    if kind == "meeting.cancelled":
        return "cancelled" + (f": {data['reason']}" if data.get("reason") else "")
    if kind == "contact.archived":
        return str(data.get("reason") or "archived")
    unknown = "" if kind in EVENT_TYPES else "(unknown type: its plugin is not installed) "
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
    return unknown + text
