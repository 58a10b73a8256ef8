"""Human output: tables, times in the local zone, and one-line event summaries."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click
import msgspec


def local(stamp: str | None) -> str:
    """A stored UTC stamp as local ``YYYY-MM-DD HH:MM`` (empty for None)."""
    if not stamp:
        return ""
    return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")


def relative(stamp: str, now: str) -> str:
    """``in 3d`` / ``2h overdue`` / ``now``: how far a due time is from ``now``."""
    seconds = (datetime.fromisoformat(stamp) - datetime.fromisoformat(now)).total_seconds()
    span = abs(seconds)
    if span < 60:
        return "now"
    if span < 3600:
        amount = f"{int(span // 60)}m"
    elif span < 86400 * 2:
        amount = f"{int(span // 3600)}h"
    else:
        amount = f"{int(span // 86400)}d"
    return f"in {amount}" if seconds > 0 else f"{amount} overdue"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *,
          styles: Sequence[dict[str, Any] | None] | None = None, stretch: int = -1) -> None:
    """Print aligned columns; on a terminal the ``stretch`` column is cut to fit."""
    if not rows:
        return
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    if sys.stdout.isatty():  # piped output keeps every character, for grep and friends
        from shutil import get_terminal_size

        spare = get_terminal_size().columns - (sum(widths) + 2 * (len(widths) - 1))
        if spare < 0:
            column = stretch % len(widths)
            widths[column] = max(len(headers[column]), widths[column] + spare, 10)
    click.echo(click.style(_line(headers, widths), bold=True))
    for index, row in enumerate(cells):
        style = styles[index] if styles else None
        text = _line(row, widths)
        click.echo(click.style(text, **style) if style else text)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    out = []
    for cell, width in zip(cells, widths, strict=True):
        text = cell if len(cell) <= width else cell[: max(width - 1, 0)] + "…"
        out.append(text.ljust(width))
    return "  ".join(out).rstrip()


def _fields(data: dict[str, Any], *names: str) -> str:
    return ", ".join(str(data[n]) for n in names if data.get(n))


def describe(kind: str, raw: bytes | str) -> str:
    """A short human summary of an event's payload (its type and JSON data)."""
    try:
        data = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return str(raw)
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
    from coffeechat.events import EVENT_TYPES

    unknown = "" if kind in EVENT_TYPES else "(unknown type: its plugin is not installed) "
    text = raw.decode() if isinstance(raw, bytes) else raw
    return unknown + text


def one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
