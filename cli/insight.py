"""How is it going: ``stats`` (figures in the terminal) and ``report`` (one HTML file)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from coffeechat.cli.main import App, as_of_option, context_app, json_option, output, when
from coffeechat.cli.render import table
from coffeechat.clock import local_day, stamp
from coffeechat.errors import BadInput
from coffeechat.stats import BREAKDOWNS, wait_words

since_option = click.option("--since", metavar="DATE",
                            help="Count what happened on or after DATE (default: from the start).")
until_option = click.option("--until", metavar="DATE",
                            help="Count what happened up to DATE (a date means its end; "
                                 "default: now, or --as-of).")

_BLOCKS = " ▏▎▍▌▋▊▉█"  # eighths of a character cell
BAR_WIDTH = 24


@contextmanager
def window(app: App, since: str | None, until: str | None, as_of: str | None
           ) -> Iterator[tuple[str, str, str | None, str, str | None]]:
    """(schema, now, since, until, recorded_by) for the figures, inside app.view(as_of)."""
    with app.view(as_of) as (schema, now):
        end = stamp(when(until, "--until", end_of_day=True)) if until else now
        end = min(end, now)  # nothing after the moment we look from
        start = stamp(when(since, "--since")) if since else None
        if start is not None and start > end:
            raise BadInput(f"--since: {since} is after "
                           + (f"--until {until}" if until else "the time the figures stop at"))
        yield schema, now, start, end, now if as_of else None


def _figures(app: App, since: str | None, until: str | None, as_of: str | None
             ) -> dict[str, Any]:
    from coffeechat.stats import figures

    with window(app, since, until, as_of) as (_schema, _now, start, end, recorded_by):
        return figures(app.store().conn, since=start, until=end, recorded_by=recorded_by,
                       rules=app.config().followups)


@click.command()
@since_option
@until_option
@click.option("--by", type=click.Choice(BREAKDOWNS),
              default="channel", show_default=True,
              help="How to break the reply rate down in the text (--json has them all).")
@as_of_option
@json_option
def stats(since: str | None, until: str | None, by: str, as_of: str | None) -> None:
    """How your networking is going: the funnel, replies, follow-through, referrals.

    Counts people and events that happened between --since and --until, as
    recorded by --as-of: undone events never count, a merged contact counts
    once, auto-replies are no answer. The user guide explains each figure and
    the --json shape.
    """
    app = context_app()
    found = _figures(app, since, until, as_of)
    if app.json:
        output(found)
        return
    bars = Bars()
    click.echo(click.style(_heading(found), bold=True))
    _print_funnel(found["funnel"], bars)
    _print_replies(found["replies"], by, bars)
    _print_follow_through(found["follow_through"])
    _print_referrals(found["referrals"])
    _print_activity(found["activity"], bars)


def _heading(found: dict[str, Any]) -> str:
    start = local_day(found["since"]) if found["since"] else "the start"
    text = f"From {start} to {local_day(found['until'])}"
    return text + (f" (as recorded by {local_day(found['as_of'])})" if found["as_of"] else "")


class Bars:
    """Bars of block characters, or of # where stdout cannot print them."""

    def __init__(self) -> None:
        encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
        self.unicode = encoding in ("utf8", "utf8sig")

    def __call__(self, value: float, top: float, width: int = BAR_WIDTH) -> str:
        if top <= 0 or value <= 0:
            return ""
        eighths = round(min(value / top, 1) * width * 8)
        if not self.unicode:
            return "#" * max(round(eighths / 8), 1)
        full, part = divmod(max(eighths, 1), 8)
        return "█" * full + (_BLOCKS[part] if part else "")


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _print_funnel(funnel: list[dict[str, Any]], bars: Bars) -> None:
    click.echo()
    top = max((s["count"] for s in funnel), default=0)
    table(["FUNNEL", "PEOPLE", "RATE", ""],
          [[s["step"].replace("_", " "), str(s["count"]), _percent(s["rate"]),
            bars(s["count"], top)] for s in funnel])


def _print_replies(replies: dict[str, Any], by: str, bars: Bars) -> None:
    click.echo()
    overall = replies["overall"]
    if not overall["asked"]:
        click.echo("Replies: no asks in this period.")
        return
    click.echo(f"Replies: {overall['answered']} of {overall['asked']} asks answered "
               f"({_percent(overall['rate'])}), {overall['accepted']} accepted"
               + (f"; median wait {wait_words(overall['median_hours'])}"
                  if overall["median_hours"] is not None else ""))
    table([by.upper(), "ASKED", "ANSWERED", "RATE", "MEDIAN WAIT", ""],
          [[r["key"], str(r["asked"]), str(r["answered"]), _percent(r["rate"]),
            wait_words(r["median_hours"]), bars(r["rate"] or 0, 1)] for r in replies[f"by_{by}"]],
          stretch=0)


def _print_follow_through(follow: dict[str, Any]) -> None:
    thanks, promises, checkins = follow["thanks"], follow["commitments"], follow["checkins"]
    click.echo()
    click.echo(click.style("Follow-through", bold=True))
    if thanks["meetings"]:
        median = thanks["median_hours"]
        click.echo(f"  thank-yous: {thanks['on_time']} of {thanks['meetings']} meetings thanked "
                   f"within 24 h ({_percent(thanks['on_time_share'])}), {thanks['late']} late, "
                   + (f"{thanks['skipped']} skipped, " if thanks["skipped"] else "")
                   + f"{thanks['not_yet']} not yet"
                   + (f"; median {wait_words(median)} after" if median is not None else ""))
    else:
        click.echo("  thank-yous: no meetings in this period")
    click.echo(f"  promises: {promises['made']} made: {promises['kept_on_time']} kept on time, "
               f"{promises['kept_late']} late, {promises['open']} open "
               f"({promises['overdue']} overdue)")
    click.echo(f"  check-ins: {checkins['done']} done; {checkins['fell_due']} fell due, "
               f"{checkins['caught_up']} caught up since, "
               + (f"{checkins['skipped']} skipped, " if checkins["skipped"] else "")
               + f"{checkins['still_due']} still due")


def _print_referrals(rows: list[dict[str, Any]], limit: int = 10) -> None:
    click.echo()
    if not rows:
        click.echo("Referrals: nobody introduced you to anyone in this period.")
        return
    table(["INTRODUCED BY", "PEOPLE", "MET", "DEPTH"],
          [[r["name"], str(r["introductions"]), str(r["met"]), str(r["depth"])]
           for r in rows[:limit]], stretch=0)
    if len(rows) > limit:
        click.echo(f"  ... and {len(rows) - limit} more introducers (--json lists them all)")


def _print_activity(weeks: list[dict[str, Any]], bars: Bars, limit: int = 12) -> None:
    click.echo()
    if not weeks:
        click.echo("Activity: nothing in this period.")
        return
    shown = weeks[-limit:]
    top = max(w["asks"] + w["meetings"] + w["checkins"] for w in shown)
    table(["WEEK", "ASKS", "MEETINGS", "CHECK-INS", ""],
          [[f"{w['week']} ({w['start']})", str(w["asks"]), str(w["meetings"]),
            str(w["checkins"]), bars(w["asks"] + w["meetings"] + w["checkins"], top, 16)]
           for w in shown])
    if len(weeks) > limit:
        click.echo(f"  (the last {limit} of {len(weeks)} weeks; --since or --json for the rest)")


@click.command()
@click.option("--out", "out_path", metavar="FILE", default="report.html", show_default=True,
              help="Where to write the report (written whole, readable by you only), "
                   "or '-' for stdout.")
@click.option("--contacts", "pages", metavar="N", type=click.IntRange(0, 100_000), default=100,
              show_default=True,
              help="How many contacts get a section with their timeline (the most recently "
                   "in touch first; 0: none).")
@since_option
@until_option
@as_of_option
@json_option
def report(out_path: str, pages: int, since: str | None, until: str | None,
           as_of: str | None) -> None:
    """Write one self-contained HTML page: pipeline, due list, charts, referral tree.

    It needs no network: CSS and charts (SVG) are inside the file, which
    opens from disk, prints, and reads on a phone. The figures are those of
    `stats` for the same options; the pipeline and due list are as of now (or
    --as-of).
    """
    from coffeechat.files import replace_file
    from coffeechat.plugins.html_report import ReportInput, render_report
    from coffeechat.stats import figures

    app = context_app()
    to_stdout = out_path == "-"
    if to_stdout and app.json:
        raise BadInput("--json: with --out - the report itself goes to stdout; leave out --json")
    target = os.path.abspath(out_path)
    if not to_stdout and os.path.isdir(target):
        raise BadInput(f"--out: {out_path} is a folder (name a file, e.g. {out_path}/report.html)")
    if not to_stdout and not os.path.isdir(os.path.dirname(target)):
        raise BadInput(f"--out: the folder of {out_path} does not exist")
    with window(app, since, until, as_of) as (schema, now, start, end, recorded_by):
        found = figures(app.store().conn, since=start, until=end, recorded_by=recorded_by,
                        rules=app.config().followups)
        html = render_report(ReportInput(app.store(), schema, now, found,
                                         pages=pages, as_of=recorded_by))
    data = html.encode()
    if to_stdout:
        click.echo(data, nl=False)
        return
    try:
        replace_file(target, data)
    except OSError as error:
        raise BadInput(f"--out: cannot write {out_path} ({error.strerror})") from None
    if app.json:
        output({"out": target, "bytes": len(data)})
        return
    click.echo(f"Wrote {out_path} ({len(data) / 1024:,.0f} KB); open file://{target}")
