"""The report's charts as inline SVG: bars, weekly columns, and the referral tree laid out.

Each function returns markup (``markupsafe.Markup``) with every piece of text
escaped, a ``<title>`` and an ``aria-label``, and a ``viewBox`` so the chart
scales to the page (a phone, a printed sheet). No script, no external file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from markupsafe import Markup, escape

ROW = 26  # height of one bar's row
LABEL = 150  # width of the labels' column
BAR = 300  # the longest bar
COLOURS = {"asks": "#2f6db5", "meetings": "#2e8b57", "checkins": "#c77c0e"}
TREE_NODES = 400  # people drawn in the referral tree at most
TREE_DEPTH = 40  # levels drawn at most


def _svg(width: float, height: float, title: str, body: list[str]) -> Markup:
    label = escape(title)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" '
        f'role="img" aria-label="{label}" class="chart" '
        f'style="max-width:{width:g}px"><title>{label}</title>{"".join(body)}</svg>')


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bars(title: str, rows: Sequence[tuple[str, float, str]], top: float | None = None
         ) -> Markup:
    """Horizontal bars: (label, value, text shown after the bar), scaled to ``top``."""
    top = top if top is not None else max((v for _l, v, _t in rows), default=0)
    body = []
    for n, (label, value, text) in enumerate(rows):
        y = n * ROW
        width = BAR * value / top if top > 0 else 0
        body.append(
            f'<text x="{LABEL - 8}" y="{y + 17}" text-anchor="end">'
            f'{escape(_short(label, 22))}</text>'
            f'<rect x="{LABEL}" y="{y + 4}" width="{max(width, 0):.1f}" height="{ROW - 8}" '
            f'rx="2" class="bar"><title>{escape(label)}: {escape(text)}</title></rect>'
            f'<text x="{LABEL + width + 6:.1f}" y="{y + 17}">{escape(text)}</text>')
    return _svg(LABEL + BAR + 90, max(len(rows), 1) * ROW, title, body)


def weekly(title: str, weeks: Sequence[dict[str, Any]], limit: int = 52) -> Markup:
    """Stacked columns per week: asks, meetings, check-ins (the last ``limit`` weeks)."""
    shown = list(weeks[-limit:])
    kinds = tuple(COLOURS)
    top = max((sum(w[k] for k in kinds) for w in shown), default=0) or 1
    column = max(8, min(40, 560 // max(len(shown), 1)))  # (few weeks: wider columns)
    height, base = 160, 180
    body = []
    for n, week in enumerate(shown):
        x = 40 + n * column
        y = float(base)
        for kind in kinds:
            size = height * week[kind] / top
            if size:
                y -= size
                body.append(f'<rect x="{x}" y="{y:.1f}" width="{column - 3}" height="{size:.1f}" '
                            f'fill="{COLOURS[kind]}"><title>{escape(week["week"])}: '
                            f'{week[kind]} {kind}</title></rect>')
        if n % max(1, 56 // column) == 0:  # a date under every few columns
            body.append(f'<text x="{x}" y="{base + 16}" class="small">'
                        f'{escape(week["start"][5:])}</text>')
    body.append(f'<text x="34" y="{base - height + 4}" text-anchor="end" class="small">'
                f'{top}</text><line x1="38" y1="{base}" x2="{40 + len(shown) * column}" '
                f'y2="{base}" class="axis"/>')
    for n, kind in enumerate(kinds):  # the legend
        body.append(f'<rect x="{40 + n * 110}" y="4" width="10" height="10" '
                    f'fill="{COLOURS[kind]}"/><text x="{54 + n * 110}" y="13" class="small">'
                    f'{kind}</text>')
    return _svg(max(40 + len(shown) * column + 10, 380), base + 24, title, body)


class Placed(NamedTuple):
    id: str
    name: str
    depth: int
    y: float
    parent: str | None


def tree_layout(roots: Sequence[dict[str, Any]], limit: int = TREE_NODES
                ) -> tuple[list[Placed], int]:
    """Each person's level and row, parents centred beside their children; (placed, left out).

    A simple layered tree: a person's level is how many introductions away
    from a root they are; leaves take the next free row, a parent sits midway
    between its first and last child. Past ``limit`` people (or
    :data:`TREE_DEPTH` levels) the rest are counted, not drawn.
    """
    placed: list[Placed] = []
    rows = 0
    left_out = 0

    def size(node: dict[str, Any]) -> int:
        return 1 + sum(size(child) for child in node["referred"])

    def place(node: dict[str, Any], depth: int, parent: str | None) -> float | None:
        nonlocal rows, left_out
        if len(placed) >= limit or depth >= TREE_DEPTH:
            left_out += size(node)
            return None
        index = len(placed)
        placed.append(Placed(node["id"], node["name"], depth, 0.0, parent))
        ys = [y for child in node["referred"]
              if (y := place(child, depth + 1, node["id"])) is not None]
        if ys:
            y = (ys[0] + ys[-1]) / 2
        else:
            y = float(rows)
            rows += 1
        placed[index] = placed[index]._replace(y=y)
        return y

    for root in roots:
        place(root, 0, None)
    return placed, left_out


def tree(title: str, roots: Sequence[dict[str, Any]], sections: set[str]
         ) -> tuple[Markup, int]:
    """The referral tree drawn left to right (a person with a section links to it), and how
    many people it leaves out (see :func:`tree_layout`)."""
    placed, left_out = tree_layout(roots)
    if not placed:
        return Markup(""), left_out
    step_x, step_y, box_w, box_h = 190, 30, 160, 22
    where = {p.id: p for p in placed}
    body = []
    for p in placed:
        parent = where.get(p.parent) if p.parent else None
        if parent is not None:
            x1, y1 = parent.depth * step_x + box_w + 4, parent.y * step_y + 4 + box_h / 2
            x2, y2 = p.depth * step_x + 4, p.y * step_y + 4 + box_h / 2
            middle = (x1 + x2) / 2
            body.append(f'<path d="M{x1:g},{y1:g} C{middle:g},{y1:g} {middle:g},{y2:g} '
                        f'{x2:g},{y2:g}" class="edge"/>')
    for p in placed:
        x, y = p.depth * step_x + 4, p.y * step_y + 4
        box = (f'<g class="node"><title>{escape(p.name)}</title>'
               f'<rect x="{x:g}" y="{y:g}" width="{box_w}" height="{box_h}" rx="4"/>'
               f'<text x="{x + 8:g}" y="{y + 15:g}">{escape(_short(p.name, 24))}</text></g>')
        body.append(f'<a href="#c-{escape(p.id)}">{box}</a>' if p.id in sections else box)
    width = (max(p.depth for p in placed) + 1) * step_x + 8
    height = (max(p.y for p in placed) + 1) * step_y + 8
    return _svg(width, height, title, body), left_out
