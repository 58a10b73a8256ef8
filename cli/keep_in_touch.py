"""Keeping in touch: `reconnect` (who you are losing touch with) and `today` (the day's digest)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from coffeechat.cli.main import as_of_option, context_app, json_option, output
from coffeechat.cli.render import LINE, inline, one_line, table
from coffeechat.clock import local_time as local

if TYPE_CHECKING:
    from coffeechat.cli.main import App


@click.command()
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True,
              metavar="N", help="Show the N furthest past their ideal gap.")
@as_of_option
@json_option
def reconnect(limit: int, as_of: str | None) -> None:
    """The people you are losing touch with, worst first.

    Everyone past their ideal gap since the last touch (cadence, else their
    tightest [keep_in_touch] tier, else checkin_days), the furthest past first:
    warmth, last touch, what you last talked about and a next step. Someone
    whose check-in you skipped or snoozed is left out until it is due again.
    """
    from coffeechat.keep_in_touch import reconnect as behind

    app = context_app()
    with app.view(as_of) as (schema, now):
        found = behind(app.store().conn, schema, now, limit)
    if app.json:
        output(found)
        return
    if not found:
        click.echo("Nobody is past their ideal gap: everyone is warm.")
        return
    table(["NAME", "WARMTH", "LAST TOUCH", "PAST IDEAL", "LAST TALKED ABOUT", "NEXT STEP"],
          [[d["name"], d["warmth"], local(d["last_touch_at"])[:10] or "never",
            f"{d['days_past_ideal']}d", one_line(d["last_talked_about"] or "", 60),
            d["suggestion"]] for d in found],
          styles=[{"fg": "blue"} if d["warmth"] == "cold" else None for d in found],
          stretch=4)


@click.command()
@click.option("--send", is_flag=True,
              help="Send the digest to yourself as one message (at most once a day).")
@click.option("--via", metavar="CHANNEL",
              help="With --send: the channel (default email, to [me] email; a plugin's "
                   "channel such as webhook works too).")
@click.option("--force", is_flag=True, help="With --send: send even if today's went out.")
@as_of_option
@json_option
def today(send: bool, via: str | None, force: bool, as_of: str | None) -> None:
    """The day on one screen: overdue, due today, meetings, birthdays, reconnect.

    Follow-ups show their HANDLE for `done`, `skip` and `snooze`; meetings
    today and tomorrow show the first lines of their prep sheet (who they
    are, how you met; `template render prep` gives it whole). --send
    delivers it through a channel and records that it went out (digest.sent),
    so a timer may run it often: it goes out once a local day (--force: again).
    Nothing to send: nothing is sent.
    """
    from coffeechat import digest

    app = context_app()
    if send and as_of:
        raise click.UsageError("--send sends today's digest; leave out --as-of")
    if (force or via is not None) and not send:
        raise click.UsageError("--via and --force go with --send")
    with app.view(as_of) as (schema, now):
        found = digest.today(app.store().conn, schema, now)
    if send:
        _send(app, found, now, via or "email", force)
        return
    if app.json:
        output(found)
        return
    for line, heading in digest.lines(found, now):  # (one line each, from names and notes)
        shown = inline(line, LINE)
        click.echo(click.style(shown, bold=True) if heading else shown)


def _send(app: App, found: dict[str, list[dict[str, Any]]], now: str, via: str,
          force: bool) -> None:
    from coffeechat import digest
    from coffeechat.delivery import pick_channel
    from coffeechat.errors import ConflictError

    day = digest.local_days(now).name
    items = digest.count(found)
    if not items:
        _say(app, {"sent": False, "day": day, "reason": "nothing to send"},
             f"Nothing to send for {day}: nothing overdue or due today, no meetings, "
             "birthdays or people to reconnect with.")
        return
    sent = digest.sent_on(app.store().conn, day)
    if sent and not force:
        last = sent[-1]
        _say(app, {"sent": False, "day": day, "reason": "already sent", "event": last["id"]},
             f"The digest for {day} already went out via {last['channel']} at "
             f"{local(last['at'])[11:]} (--force sends it again).")
        return
    channel = pick_channel(app.plugins().channels(), via)
    checked = None if force else digest.day_version(app.store(), day)
    receipt = digest.send(channel, app.config().me,
                          f"coffeechat: your day, {day} ({items} to look at)",
                          digest.text(found, now))
    try:
        events = digest.record_sent(app.store(), day, channel.name, items, now, checked)
    except ConflictError:  # another today --send recorded the day while this one sent
        if not digest.sent_on(app.store().conn, day):  # (an undo, not a send): record it
            events = digest.record_sent(app.store(), day, channel.name, items, now)
        else:
            click.echo(f"coffeechat: warning: the digest for {day} went out twice: another "
                       "coffeechat recorded it at the same time, so this one is not "
                       "recorded", err=True)
            _say(app, {"sent": True, "recorded": False, "day": day, "channel": channel.name,
                       "items": items, "receipt": receipt}, receipt)
            return
    app.plugins().event_appended(events, app.store())
    [event] = events
    _say(app, {"sent": True, "day": day, "channel": channel.name, "items": items,
               "receipt": receipt, "event": event.id},
         f"{receipt}\n{event.id}  {event.type}  {day}")


def _say(app: App, document: dict[str, Any], words: str) -> None:
    if app.json:
        output(document)
    else:
        click.echo(words)
