"""Markdown views for the notes folder: due, contacts, referrals, a page per contact, errors.

(And ``report.html``, the HTML report of :mod:`coffeechat.plugins.html_report`, beside them.)

Each view is registered with the ``register_views`` hook and renders to
``{relative path: Markdown}``; ``coffeechat watch`` writes them into the views
folder. They hold absolute dates, not "3 days ago", so a file only changes
when what it says changes.
"""

from __future__ import annotations

from typing import Any

from coffeechat import queries
from coffeechat.clock import local_time
from coffeechat.hookspecs import hookimpl
from coffeechat.summary import Names, timeline_lines, with_names

# ViewContext lives in core (``coffeechat.ViewContext``); importing it from here
# still works for one more release.
from coffeechat.views import ViewContext


def _cell(text: Any) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def _link(contact_id: str, name: str) -> str:
    return f"[{_cell(name)}](contacts/{contact_id}.md)"


def render_due(ctx: ViewContext) -> dict[str, str]:
    items = queries.due(ctx.db, ctx.schema, ctx.now, None)
    overdue = [i for i in items if i["overdue"]]
    upcoming = [i for i in items if not i["overdue"]]
    lines = ["# Follow-ups", ""]
    for title, group in (("Overdue", overdue), ("Upcoming", upcoming)):
        lines += [f"## {title} ({len(group)})", ""]
        if not group:
            lines += ["Nothing.", ""]
            continue
        # (the handle closes it from a terminal: coffeechat done/skip/snooze HANDLE)
        lines += ["| handle | due | what | who | why |", "|---|---|---|---|---|"]
        lines += [f"| `{i['handle']}` | {local_time(i['due_at'])} | {i['kind']} "
                  f"| {_link(i['contact'], i['name'])} | {_cell(i['reason'])} |" for i in group]
        lines.append("")
    return {"due.md": "\n".join(lines)}


def render_contacts(ctx: ViewContext) -> dict[str, str]:
    rows = queries.contacts(ctx.db, ctx.schema, ctx.now)
    lines = ["# Contacts", "", f"{len(rows)} people.", "",
             "| name | company | stage | last touch | next follow-up |", "|---|---|---|---|---|"]
    for r in rows:
        following = (f"{r['next_due_kind']} by {local_time(r['next_due_at'])}"
                     if r["next_due_kind"] else "")
        lines.append(f"| {_link(r['id'], r['name'])} | {_cell(r['company'])} | {r['stage']} "
                     f"| {local_time(r['last_touch_at'])[:10]} | {following} |")
    return {"contacts.md": "\n".join(lines) + "\n"}


def render_referrals(ctx: ViewContext) -> dict[str, str]:
    names = dict(ctx.db.execute(f"SELECT id, name FROM {ctx.schema}.contacts"))
    meetings = dict(ctx.db.execute(f"SELECT id, meetings FROM {ctx.schema}.contacts"))
    edges: list[tuple[str, str]] = list(ctx.db.execute(
        f"SELECT referrer, referred FROM {ctx.schema}.referrals ORDER BY at, event"))
    lines = ["# Referrals", "", "Who introduced you to whom; an arrow's label says how many",
             "meetings that introduction has led to so far.", ""]
    if not edges:
        return {"referrals.md": "\n".join([*lines, "No referrals yet.", ""])}
    nodes = sorted({c for edge in edges for c in edge})
    number = {contact_id: f"c{n}" for n, contact_id in enumerate(nodes)}
    lines += ["```mermaid", "graph LR"]
    for contact_id in nodes:
        label = names.get(contact_id, contact_id).replace('"', "'")
        lines.append(f'  {number[contact_id]}["{label}"]')
    for referrer, referred in edges:
        count = meetings.get(referred, 0)
        label = f"{count} meeting{'s' if count != 1 else ''}"
        lines.append(f'  {number[referrer]} -->|"{label}"| {number[referred]}')
    lines += ["```", ""]
    return {"referrals.md": "\n".join(lines)}


def render_pages(ctx: ViewContext) -> dict[str, str]:
    ids = [r[0] for r in ctx.db.execute(f"SELECT id FROM {ctx.schema}.contacts ORDER BY id")]
    wanted = ids if ctx.pages is None else [i for i in ids if i in ctx.pages]
    # What the pages show is read for many contacts at once (a page's own ~8 queries
    # made the first views of 10,000 contacts outlast the views' time limit), a
    # slice of them at a time (the stories of all at once: 280 MB on 100k events).
    names = queries.names(ctx.store, ctx.schema)
    items = queries.due_by_contact(ctx.db, ctx.schema, ctx.now, wanted)
    pages = {}
    for start in range(0, len(wanted), PAGES_AT_ONCE):
        some = wanted[start:start + PAGES_AT_ONCE]
        profiles = queries.contacts_by_id(ctx.db, ctx.schema, ctx.now, some)
        stories = queries.stories(ctx.store, some, ctx.schema)
        pages.update({f"contacts/{contact_id}.md": _page(
            contact_id, profiles.get(contact_id) or {}, items[contact_id],
            stories[contact_id], names) for contact_id in some})
    return pages


PAGES_AT_ONCE = 500


def _page(contact_id: str, p: dict[str, Any], items: list[dict[str, Any]],
          docs: list[dict[str, Any]], names: Names) -> str:
    """A contact's page: profile (``p``), open follow-ups, and the current version of
    their story (``docs``, oldest first)."""
    lines = [f"# {p.get('name', contact_id)}", ""]
    facts = [p.get(k) for k in ("company", "role", "email", "phone", "linkedin")]
    if any(facts):
        lines += [" · ".join(str(f) for f in facts if f), ""]
    lines += [f"- stage: {p.get('stage')}",
              f"- last touch: {local_time(p.get('last_touch_at')) or 'never'}"]
    if p.get("how_met"):
        lines.append(f"- how met: {_cell(with_names(p['how_met'], names))}")
    if p.get("referred_by"):
        referrer = p["referred_by"]
        shown = _cell(names.get(referrer, referrer))
        lines.append(f"- referred by: [{shown}]({referrer}.md)" if names.contact(referrer)
                     else f"- referred by: {shown}")  # (merged-away ids are resolved already)
    if p.get("cadence_days"):
        lines.append(f"- check-in every (days): {p['cadence_days']}")
    if p.get("tags"):
        lines.append(f"- tags: {', '.join(p['tags'])}")
    lines += ["", "## Follow-ups", ""]
    lines += [f"- {i['kind']} by {local_time(i['due_at'])}: {_cell(with_names(i['reason'], names))}"
              f" (`{i['handle']}`)" for i in items] or ["Nothing open."]
    lines += ["", "## Timeline", ""]
    for doc, line in zip(docs, timeline_lines(docs, contact_id, names), strict=True):
        if doc["type"] == "event.retracted":
            continue
        text = f"{local_time(doc['occurred_at'])} · {doc['type']} · {_cell(line)}"
        lines.append(f"- ~~{text}~~ (undone)" if doc.get("retracted") else f"- {text}")
    return "\n".join(lines) + "\n"


def render_errors(ctx: ViewContext) -> dict[str, str]:
    lines = ["# Notes with problems", ""]
    if not ctx.errors:
        lines.append("None: every note was read.")
    else:
        lines += ["Nothing from these files is recorded until they are fixed.", ""]
        lines += [f"- `{e.path}` line {e.line}: " + (f"**{e.key}**: " if e.key else "")
                  + _cell(e.message) for e in ctx.errors]
    return {"errors.md": "\n".join(lines) + "\n"}


def render_report(ctx: ViewContext) -> dict[str, str]:
    """report.html, the HTML report (``[views] report = false`` turns it off; see html_report)."""
    from coffeechat.plugins.html_report import report_view

    return report_view(ctx)


BUILTIN_VIEWS = {
    "due": render_due, "contacts": render_contacts, "referrals": render_referrals,
    "contact pages": render_pages, "errors": render_errors, "report": render_report,
}


@hookimpl
def register_views(register: Any) -> None:
    for name, render in BUILTIN_VIEWS.items():
        register(name, render)
