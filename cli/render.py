"""Human output: aligned tables and relative times."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click

from coffeechat.errors import visible
from coffeechat.validate import FIELD_LIMIT


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


def due_when(item: dict[str, Any], now: str) -> str:
    """A due item's WHEN: :func:`relative`, or ``due`` for one whose time has come but
    that is not overdue yet (a birthday's item, due days before the day)."""
    if not item["overdue"] and item["due_at"] <= now:
        return "due"
    return relative(item["due_at"], now)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *,
          styles: Sequence[dict[str, Any] | None] | None = None, stretch: int = -1) -> None:
    """Print aligned columns; on a terminal the ``stretch`` column is cut to fit."""
    if not rows:
        return
    cells = [[visible(str(c)) for c in row] for row in rows]
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


def one_line(text: str, limit: int = 200) -> str:
    """Free text (a note, a reason) as one line: runs of spaces and line breaks made one
    space, then as :func:`inline`."""
    return inline(" ".join(text.split()), limit)


FIELD = FIELD_LIMIT  # (what the CLI takes in a one-line field is never cut)
LINE = 1_000  # a line made of such fields (a line of `today`)


def inline(text: object, limit: int | None = FIELD) -> str:
    """Text from the log inside a line of output: control, line-breaking and reordering
    characters shown as escapes (:func:`coffeechat.errors.visible`), and cut to ``limit``
    characters with "…" (None: uncut, for a line that lists many names).

    The log may hold what the CLI refuses (an old version's events, a plugin's, an
    import's), so every text output shows it through this (tables do, cell by cell);
    text the CLI would take is shown as it is.
    """
    shown = visible(str(text))
    return shown if limit is None or len(shown) <= limit else shown[: limit - 1] + "…"


def inline_lines(text: str) -> str:
    """Text whose line breaks are meant (a rendered message): each line as :func:`inline`,
    uncut; a CRLF ends a line like an LF."""
    return "\n".join(visible(line.removesuffix("\r")) for line in text.split("\n"))


def color_setting() -> bool | None:
    """False when colour is turned off (``NO_COLOR``, ``TERM=dumb``); None: on a terminal.

    click already leaves styles out of output that is not a terminal; this
    makes ``NO_COLOR`` (https://no-color.org: set and not empty) do the same
    on one.
    """
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return None


def counted(number: int, word: str) -> str:
    """``1 event``, ``2 events``, ``1,024 events``: a count with its noun."""
    return f"{number:,} {word}" + ("" if number == 1 else "s")


def dated(number: int) -> str:
    """``1 birthday or date``, ``2 birthdays and dates``: the yearly dates a calendar got."""
    return f"{number:,} " + ("birthday or date" if number == 1 else "birthdays and dates")
