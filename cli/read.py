"""Reading commands: contacts, show, due, referrals, search, log. All take --as-of."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from coffeechat import queries
from coffeechat.cli.completion import complete_contact
from coffeechat.cli.main import as_of_option, context_app, json_option, output, when
from coffeechat.cli.render import LINE, due_when, inline, one_line, relative, table
from coffeechat.clock import local_time as local
from coffeechat.clock import stamp

if TYPE_CHECKING:  # (summary pulls in codec and the event types: due needs neither)
    from coffeechat.summary import Names

# coffeechat.keep_in_touch.WARMTHS, written out so that reading this module (as `due`
# does) does not import keep_in_touch; tests/test_keep_in_touch.py checks they agree.
WARMTHS = ("warm", "due", "cold")


@click.command()
@click.option("--stage", type=click.Choice(queries.STAGES), help="Only contacts at this stage.")
@click.option("--tag", metavar="T", help="Only contacts with this tag.")
@click.option("--warmth", type=click.Choice(WARMTHS),
              help="Only contacts this warm: inside their ideal gap since the last touch "
                   "(warm), past it (due), or past their longest gap (cold).")
@as_of_option
@json_option
def contacts(stage: str | None, tag: str | None, warmth: str | None, as_of: str | None) -> None:
    """Your relationships: stage, last touch and next follow-up."""
    app = context_app()
    with app.view(as_of) as (schema, now):
        rows = queries.contacts(app.store().conn, schema, now, stage=stage, tag=tag,
                                warmth=warmth)
    if app.json:
        output(rows)
        return
    if not rows:
        if stage or tag or warmth:
            click.echo("No contacts match.")
        elif as_of:
            click.echo(f"No contacts as of {as_of}.")
        else:
            click.echo("No contacts yet. Add one: coffeechat add \"Jane Doe\" --company Acme")
        return
    table(
        ["ID", "NAME", "COMPANY", "STAGE", "WARMTH", "LAST TOUCH", "NEXT"],
        [[r["id"], r["name"], r["company"] or "", r["stage"], r["warmth"] or "",
          local(r["last_touch_at"])[:10],
          f"{r['next_due_kind']} {relative(r['next_due_at'], now)}" if r["next_due_kind"] else ""]
         for r in rows],
        stretch=2,
    )


# --json always lists every event, each marked "retracted" when undone: scripts
# read the log as it is. The text leaves out what only the notes folder's
# bookkeeping holds (earlier versions of notes) unless --all.
all_option = click.option(
    "--all", "show_all", is_flag=True,
    help="Also show what earlier versions of notes recorded, and the notes folder's "
         "own bookkeeping (--json always lists them).",
)


@click.command()
@click.argument("contact", shell_complete=complete_contact)
@all_option
@as_of_option
@json_option
def show(contact: str, show_all: bool, as_of: str | None) -> None:
    """A contact's profile, open follow-ups and timeline.

    The timeline holds the events of contacts merged into this one too, and
    only the current version of each note (--all: every version).
    """
    from coffeechat.resolve import resolve_contact

    app = context_app()
    app.load_event_types()
    db = app.store().conn
    with app.view(as_of) as (schema, now):
        contact_id = resolve_contact(db, contact, schema=schema)
        profile = queries.contact(db, schema, now, contact_id) or {}
        items = queries.due(db, schema, now, None, contact_id=contact_id)
        shown = queries.shown_events(app.store(), contact_id=contact_id, by_time=True,
                                     recorded_by=now if as_of else None, schema=schema,
                                     everything=show_all or app.json)
        if app.json:
            output({**profile, "followups": items, "timeline": shown.docs})
            return
        from coffeechat.summary import timeline_lines

        names = queries.names(app.store(), schema)
        lines = timeline_lines(shown.docs, contact_id, names)
    _print_profile(profile, items, now, names)
    click.echo(click.style("Timeline", bold=True))
    rows, styles = [], []
    for doc, line in zip(shown.docs, lines, strict=True):
        rows.append([local(doc["occurred_at"]), doc["type"], _details(doc, line), doc["id"]])
        styles.append({"dim": True, "strikethrough": True} if doc.get("retracted") else None)
    table(["WHEN", "WHAT", "DETAILS", "ID"], rows, styles=styles, stretch=2)
    _say_hidden(shown.hidden, "show")


def _print_profile(p: dict[str, Any], items: list[dict[str, Any]], now: str,
                   names: Names) -> None:
    from coffeechat.summary import with_names

    # Every text from the log through inline(): the log may hold what the CLI refuses.
    click.echo(click.style(f"{inline(p['name'])} ({p['id']})", bold=True))
    facts = [p.get(k) for k in ("company", "role", "email", "phone", "linkedin")]
    if any(facts):
        click.echo("  " + " · ".join(inline(f) for f in facts if f))
    warmth = f"   warmth: {p['warmth']}" if p.get("warmth") else ""
    click.echo(f"  stage: {p['stage']}   last touch: {local(p['last_touch_at']) or 'never'}"
               + warmth)
    if p.get("how_met"):
        click.echo(f"  how met: {inline(with_names(p['how_met'], names))}")
    if p.get("referred_by"):
        click.echo(f"  referred by: {inline(names.get(p['referred_by'], p['referred_by']))}")
    if p.get("tags"):
        click.echo(f"  tags: {', '.join(inline(tag) for tag in p['tags'])}")
    if p.get("cadence_days"):
        click.echo(f"  check in every {p['cadence_days']} days")
    _print_dates(p, now)
    for item in items:
        mark = click.style("overdue", fg="red") if item["overdue"] else "due"
        handle = f"[{item['handle']}] " if item.get("handle") else ""
        click.echo(f"  {handle}{inline(item['kind'])} {mark} {local(item['due_at'])} "
                   f"({due_when(item, now)}): {inline(with_names(item['reason'], names), LINE)}")


def _print_dates(p: dict[str, Any], now: str) -> None:
    """The birthday and other important dates, each with its next occurrence."""
    from coffeechat.clock import local_date
    from coffeechat.yearly_dates import BIRTHDAY, profile_line

    dates = [(BIRTHDAY, p["birthday"])] if p.get("birthday") else []
    dates += sorted((p.get("dates") or {}).items())
    for label, value in dates:
        click.echo("  " + inline(profile_line(label, value, local_date(now)), LINE))


def _details(doc: dict[str, Any], line: str, limit: int = 200) -> str:
    undone = "(undone) " if doc.get("retracted") else ""
    return one_line(undone + line, limit)


def _say_hidden(hidden: int, command: str) -> None:
    """Tell that earlier versions of notes were left out, and how to see them."""
    if hidden:
        click.echo(f"({hidden} event{'s' if hidden != 1 else ''} from earlier versions of "
                   f"notes and their bookkeeping not shown: {command} --all shows them)")


@click.command()
@click.option("--within", metavar="DAYS", type=click.FloatRange(0, 36500), default=7,
              show_default=True, callback=lambda _ctx, _param, value: _finite(value),
              help="Also show what falls due within DAYS from now.")
@click.option("--all", "show_all", is_flag=True, help="Show every open follow-up.")
@click.option("--limit", type=click.IntRange(min=1), metavar="N",
              help="Show only the N that are due first.")
@as_of_option
@json_option
def due(within: float, show_all: bool, limit: int | None, as_of: str | None) -> None:
    """Follow-ups that are overdue or due soon, oldest first.

    Each has a HANDLE that `done`, `skip` and `snooze` take (four characters;
    eight while another open follow-up shares the first four).
    """
    from datetime import timedelta

    from coffeechat.clock import from_stamp

    app = context_app()
    with app.view(as_of) as (schema, now):
        horizon = None if show_all else stamp(from_stamp(now) + timedelta(days=within))
        items = queries.due(app.store().conn, schema, now, horizon, limit=limit)
    if app.json:
        output(items)
        return
    if not items:
        click.echo("Nothing due." + ("" if show_all else f" (within {within:g} days)"))
        return
    table(
        ["HANDLE", "DUE", "WHEN", "KIND", "CONTACT", "REASON"],
        [[i["handle"], local(i["due_at"]), due_when(i, now), i["kind"], i["name"],
          one_line(i["reason"])] for i in items],
        styles=[{"fg": "red"} if i["overdue"] else None for i in items],
        stretch=5,
    )


def _finite(value: float) -> float:
    if value != value:  # NaN passes every range check
        raise click.BadParameter("must be a number of days")
    return value


@click.command()
@click.argument("contact", required=False, shell_complete=complete_contact)
@as_of_option
@json_option
def referrals(contact: str | None, as_of: str | None) -> None:
    """The referral tree: who introduced you to whom."""
    from coffeechat.resolve import resolve_contact

    app = context_app()
    db = app.store().conn
    with app.view(as_of) as (schema, _now):
        root = resolve_contact(db, contact, schema=schema) if contact else None
        tree = queries.referrals(db, schema, root)
    if app.json:
        output(tree)
        return
    if not tree or (root and not tree[0]["referred"]):
        click.echo("No referrals yet." if not root
                   else f"{inline(tree[0]['name'])} has not referred anyone yet.")
        return
    for node in tree:
        _print_node(node, "", None)


def _print_node(node: dict[str, Any], indent: str, last: bool | None) -> None:
    branch = "" if last is None else ("└── " if last else "├── ")
    when_text = f"  ({local(node['at'])[:10]})" if node["at"] else ""
    click.echo(f"{indent}{branch}{inline(node['name'])} [{node['id']}]{when_text}")
    child_indent = indent + ("" if last is None else ("    " if last else "│   "))
    for i, child in enumerate(node["referred"]):
        _print_node(child, child_indent, i == len(node["referred"]) - 1)


@click.command()
@click.argument("text")
@as_of_option
@json_option
def search(text: str, as_of: str | None) -> None:
    """Search names, notes, takeaways and commitments."""
    app = context_app()
    with app.view(as_of) as (schema, _now):
        hits = queries.search(app.store().conn, schema, text)
    if app.json:
        output(hits)
        return
    if not hits:
        click.echo(f"No matches for {text!r}.")
        return
    table(["CONTACT", "WHEN", "WHAT", "MATCH"],
          [[h["name"], local(h["occurred_at"])[:10], h["type"], one_line(h["snippet"])]
           for h in hits], stretch=3)


@click.command()
@click.option("--contact", metavar="C", help="Only this contact's events (and theirs merged in).",
              shell_complete=complete_contact)
@click.option("--type", "event_type", metavar="T", help="Only events of this type.")
@click.option("--since", metavar="DATE", help="Only events that happened on or after DATE.")
@all_option
@as_of_option
@json_option
def log(contact: str | None, event_type: str | None, since: str | None, show_all: bool,
        as_of: str | None) -> None:
    """The raw events, in the order they were recorded.

    Each is described in words. What earlier versions of notes recorded, and
    the notes folder's own bookkeeping, are left out unless --all.
    """
    app = context_app()
    app.load_event_types()
    db = app.store().conn
    contact_id = None
    recorded_by = stamp(when(as_of, "--as-of", end_of_day=True, past=True)) if as_of else None
    if contact:
        with app.view(as_of) as (schema, _now):
            from coffeechat.resolve import resolve_contact

            contact_id = resolve_contact(db, contact, where="--contact", schema=schema,
                                         any_stream=True)
    since_at = stamp(when(since, "--since", past=True)) if since else None
    shown = queries.shown_events(app.store(), contact_id=contact_id, event_type=event_type,
                                 since=since_at, recorded_by=recorded_by,
                                 everything=show_all or app.json)
    docs = shown.docs
    if app.json:
        output(docs)
        return
    if not docs:
        click.echo("No events.")
        _say_hidden(shown.hidden, "log")
        return
    from coffeechat.summary import describe_document

    with app.view(None) as (schema, _now):  # names as they are now
        names = queries.names(app.store(), schema)
        rows = [[str(d["seq"]), local(d["occurred_at"]), d["type"], _stream_name(d, names),
                 _details(d, describe_document(d, names), 80), d["id"]] for d in docs]
    table(["SEQ", "WHEN", "TYPE", "CONTACT", "DETAILS", "ID"], rows,
          styles=[{"dim": True} if d.get("retracted") else None for d in docs], stretch=4)
    _say_hidden(shown.hidden, "log")


def _stream_name(doc: dict[str, Any], names: Names) -> str:
    """Whose event this is: the contact's name (a note file's path for its bookkeeping)."""
    stream = str(doc["stream"])
    if stream.startswith("contact:"):
        return names.person(stream.removeprefix("contact:"))
    return stream
