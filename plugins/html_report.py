"""The one-file HTML report (``coffeechat report``, and ``report.html`` beside the views).

:func:`render_report` gathers what the page shows from the queries (pipeline,
due list, referral tree, each contact's timeline) and the figures of
:mod:`coffeechat.stats`, and renders ``report_templates/report.html.j2`` with
Jinja2, autoescape on: every name and note is the user's data, shown as text.
The page is self-contained: inline CSS, inline SVG charts
(:mod:`coffeechat.plugins.report_charts`), no script, no link outside itself.

Big stores stay readable: each pipeline column shows its first
:data:`CARDS` cards, the due list its first :data:`DUE` items, and only the
``pages`` contacts most recently in touch get a section of their own; the
page says how many it left out.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from coffeechat import queries
from coffeechat.clock import from_stamp, local_time, stamp
from coffeechat.events import RETRACTED
from coffeechat.stages import Stage
from coffeechat.stats import wait_words
from coffeechat.summary import timeline_lines

if TYPE_CHECKING:
    from coffeechat.store import Store
    from coffeechat.summary import Names
    from coffeechat.views import ViewContext

CARDS = 40  # cards per pipeline column
DUE = 100  # items in the due list
DUE_DAYS = 7  # the due list: overdue, and due within this many days
STAGES = (Stage.PROSPECT, Stage.ASKED, Stage.ACCEPTED, Stage.SCHEDULED, Stage.MET,
          Stage.KEEPING_IN_TOUCH, Stage.UNANSWERED, Stage.DECLINED, Stage.ARCHIVED)


class ReportInput(NamedTuple):
    store: Store  # projections caught up (or an --as-of schema built)
    schema: str
    now: str  # the moment the pipeline and due list are judged at
    figures: dict[str, Any]  # coffeechat.stats.figures for the window
    pages: int = 100  # contacts with a section of their own
    as_of: str | None = None


def render_report(given: ReportInput) -> str:
    """The report's HTML."""
    import jinja2

    from coffeechat.plugins import report_charts as charts

    db, schema, now = given.store.conn, given.schema, given.now
    people = queries.contacts(db, schema, now)
    by_recent = sorted((p for p in people if p["last_touch_at"]),
                       key=lambda p: (p["last_touch_at"], p["id"]), reverse=True)
    chosen = by_recent[: given.pages]
    sections = {p["id"] for p in chosen}
    horizon = stamp(from_stamp(now) + timedelta(days=DUE_DAYS))
    due = queries.due(db, schema, now, horizon)
    names = queries.names(given.store, schema)
    found = given.figures
    funnel = found["funnel"]
    replies = found["replies"]
    tree_chart, tree_left_out = charts.tree("The referral tree: who introduced you to whom",
                                            queries.referrals(db, schema), sections)
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("coffeechat.plugins", "report_templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["when"] = local_time
    environment.filters["percent"] = lambda v: "–" if v is None else f"{v:.0%}"
    environment.filters["wait"] = lambda hours: wait_words(hours) or "–"
    return environment.get_template("report.html.j2").render(
        now=now, figures=found, as_of=given.as_of,
        pipeline=_pipeline(people), sections=sections,
        due=due[:DUE], due_more=max(len(due) - DUE, 0), due_days=DUE_DAYS,
        funnel_chart=charts.bars("The funnel: people at each step",
                                 [(s["step"].replace("_", " "), s["count"], str(s["count"]))
                                  for s in funnel]),
        reply_chart=charts.bars("Reply rate by channel",
                                [(r["key"], r["rate"] or 0, f"{r['answered']}/{r['asked']}")
                                 for r in replies["by_channel"]], top=1.0),
        activity_chart=charts.weekly("Asks, meetings and check-ins per week",
                                     found["activity"]),
        tree_chart=tree_chart, tree_left_out=tree_left_out,
        people=[_section(given, p, names) for p in chosen],
        people_more=len(people) - len(chosen),
    )


def _pipeline(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The pipeline's columns: stages in the cycle's order (then any other), soonest due first."""
    columns: dict[str, list[dict[str, Any]]] = {}
    for p in people:
        columns.setdefault(p["stage"], []).append(p)
    order = [str(s) for s in STAGES] + sorted(set(columns) - {str(s) for s in STAGES})
    found = []
    for stage in order:
        cards = columns.get(stage)
        if not cards:
            continue
        cards.sort(key=lambda p: (p["next_due_at"] or "9999", p["name"].lower()))
        found.append({"stage": stage, "cards": cards[:CARDS], "more": len(cards) - CARDS})
    return found


def _section(given: ReportInput, profile: dict[str, Any], names: Names) -> dict[str, Any]:
    """One contact's own section: its profile, open follow-ups and timeline in words."""
    contact_id = profile["id"]
    shown = queries.shown_events(given.store, contact_id=contact_id, by_time=True,
                                 recorded_by=given.as_of, schema=given.schema)
    lines = timeline_lines(shown.docs, contact_id, names)
    timeline = [{"at": doc["occurred_at"], "type": doc["type"], "text": line,
                 "undone": bool(doc.get("retracted"))}
                for doc, line in zip(shown.docs, lines, strict=True)
                if doc["type"] != RETRACTED]
    referrer = profile.get("referred_by")
    return {**profile, "referrer": names.get(referrer, referrer) if referrer else None,
            "followups": queries.due(given.store.conn, given.schema, given.now, None,
                                     contact_id=contact_id),
            "timeline": timeline}


# -- report.html beside the Markdown views (coffeechat watch) ------------------------
#
# Rendering the report costs what `coffeechat report` costs (about 1.8 s on a
# store of 100,000 events, a few ms on a small one), so while notes change it is
# rewritten at most once per REWRITE_FACTOR times its own last cost (at most
# once a minute): on a small store after every save, on a big one at most every
# ~20 s. The watcher also re-renders every minute, which picks up what a skipped
# round left out.
REWRITE_FACTOR = 10
# store path -> (when its last render ended (monotonic), what it cost in seconds): per
# store, so that one process rendering two stores' reports (tests in one process) does
# not hold one back for the other's.
_LAST: dict[str, tuple[float, float]] = {}


def report_view(ctx: ViewContext) -> dict[str, str]:
    """``report.html`` for the views folder: the report of the whole log, judged now."""
    import time

    from coffeechat.config import load_config
    from coffeechat.stats import figures

    started = time.monotonic()
    last = _LAST.get(ctx.store.path)
    if last is not None and started - last[0] < min(REWRITE_FACTOR * last[1], 60):
        return {}  # (too soon after the last one: the file stays as it was)
    found = figures(ctx.db, since=None, until=ctx.now, rules=load_config().followups)
    html = render_report(ReportInput(ctx.store, ctx.schema, ctx.now, found))
    ended = time.monotonic()
    _LAST[ctx.store.path] = (ended, ended - started)
    return {"report.html": html}
