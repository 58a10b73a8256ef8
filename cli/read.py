"""Reading commands: contacts, show, due, referrals, search, log. All take --as-of."""

from __future__ import annotations

from typing import Any

import click

from coffeechat import queries
from coffeechat.cli.completion import complete_contact
from coffeechat.cli.main import context_app, json_option, output, when
from coffeechat.cli.render import one_line, relative, table
from coffeechat.clock import local_time as local
from coffeechat.clock import stamp
from coffeechat.summary import describe_document

as_of_option = click.option(
    "--as-of", metavar="DATE",
    help="Show the state as recorded by DATE, judged at DATE (a date means its end).",
)


@click.command()
@click.option("--stage", type=click.Choice(queries.STAGES), help="Only contacts at this stage.")
@click.option("--tag", metavar="T", help="Only contacts with this tag.")
@as_of_option
@json_option
def contacts(stage: str | None, tag: str | None, as_of: str | None) -> None:
    """Your relationships: stage, last touch and next follow-up."""
    app = context_app()
    with app.view(as_of) as (schema, now):
        rows = queries.contacts(app.store().conn, schema, now, stage=stage, tag=tag)
    if app.json:
        output(rows)
        return
    if not rows:
        if stage or tag:
            click.echo("No contacts match.")
        elif as_of:
            click.echo(f"No contacts as of {as_of}.")
        else:
            click.echo("No contacts yet. Add one: coffeechat add \"Jane Doe\" --company Acme")
        return
    table(
        ["ID", "NAME", "COMPANY", "STAGE", "LAST TOUCH", "NEXT"],
        [[r["id"], r["name"], r["company"] or "", r["stage"], local(r["last_touch_at"])[:10],
          f"{r['next_due_kind']} {relative(r['next_due_at'], now)}" if r["next_due_kind"] else ""]
         for r in rows],
        stretch=2,
    )


@click.command()
@click.argument("contact", shell_complete=complete_contact)
@as_of_option
@json_option
def show(contact: str, as_of: str | None) -> None:
    """A contact's profile, open follow-ups and timeline."""
    from coffeechat.resolve import resolve_contact

    app = context_app()
    app.load_event_types()
    db = app.store().conn
    with app.view(as_of) as (schema, now):
        contact_id = resolve_contact(db, contact, schema=schema)
        profile = queries.contact(db, schema, now, contact_id) or {}
        items = queries.due(db, schema, now, None, contact_id=contact_id)
    recorded_by = now if as_of else None
    timeline = queries.events(app.store(), contact_id=contact_id, recorded_by=recorded_by,
                            by_time=True)
    if app.json:
        output({**profile, "followups": items, "timeline": timeline})
        return
    _print_profile(profile, items, now)
    click.echo(click.style("Timeline", bold=True))
    rows, styles = [], []
    for doc in timeline:
        rows.append([local(doc["occurred_at"]), doc["type"], _details(doc), doc["id"]])
        styles.append({"dim": True, "strikethrough": True} if doc.get("retracted") else None)
    table(["WHEN", "WHAT", "DETAILS", "ID"], rows, styles=styles, stretch=2)


def _print_profile(p: dict[str, Any], items: list[dict[str, Any]], now: str) -> None:
    click.echo(click.style(f"{p['name']} ({p['id']})", bold=True))
    facts = [p.get(k) for k in ("company", "role", "email", "phone", "linkedin")]
    if any(facts):
        click.echo("  " + " · ".join(f for f in facts if f))
    click.echo(f"  stage: {p['stage']}   last touch: {local(p['last_touch_at']) or 'never'}")
    for key, label in (("how_met", "how met"), ("referred_by", "referred by")):
        if p.get(key):
            click.echo(f"  {label}: {p[key]}")
    if p.get("tags"):
        click.echo(f"  tags: {', '.join(p['tags'])}")
    if p.get("cadence_days"):
        click.echo(f"  check in every {p['cadence_days']} days")
    for item in items:
        mark = click.style("overdue", fg="red") if item["overdue"] else "due"
        click.echo(f"  {item['kind']} {mark} {local(item['due_at'])} "
                   f"({relative(item['due_at'], now)}): {item['reason']}")


def _details(doc: dict[str, Any], limit: int = 200) -> str:
    undone = "(undone) " if doc.get("retracted") else ""
    return one_line(undone + describe_document(doc), limit)


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
    """Follow-ups that are overdue or due soon, oldest first."""
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
        ["DUE", "WHEN", "KIND", "CONTACT", "REASON"],
        [[local(i["due_at"]), relative(i["due_at"], now), i["kind"], i["name"],
          one_line(i["reason"])] for i in items],
        styles=[{"fg": "red"} if i["overdue"] else None for i in items],
        stretch=4,
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
        click.echo("No referrals yet." if not root else f"{root} has not referred anyone yet.")
        return
    for node in tree:
        _print_node(node, "", None)


def _print_node(node: dict[str, Any], indent: str, last: bool | None) -> None:
    branch = "" if last is None else ("└── " if last else "├── ")
    when_text = f"  ({local(node['at'])[:10]})" if node["at"] else ""
    click.echo(f"{indent}{branch}{node['name']} [{node['id']}]{when_text}")
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
@click.option("--contact", metavar="C", help="Only this contact's events.",
              shell_complete=complete_contact)
@click.option("--type", "event_type", metavar="T", help="Only events of this type.")
@click.option("--since", metavar="DATE", help="Only events that happened on or after DATE.")
@as_of_option
@json_option
def log(contact: str | None, event_type: str | None, since: str | None,
        as_of: str | None) -> None:
    """The raw events, in the order they were recorded."""
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
    docs = queries.events(app.store(), contact_id=contact_id, event_type=event_type,
                        since=since_at, recorded_by=recorded_by)
    if app.json:
        output(docs)
        return
    if not docs:
        click.echo("No events.")
        return
    rows = [[str(d["seq"]), local(d["occurred_at"]), d["type"], d["stream"].removeprefix(
        "contact:"), _details(d, 80), d["id"]] for d in docs]
    table(["SEQ", "WHEN", "TYPE", "CONTACT", "DETAILS", "ID"], rows,
          styles=[{"dim": True} if d.get("retracted") else None for d in docs], stretch=4)
