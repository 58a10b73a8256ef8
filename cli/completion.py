"""Shell completion of contacts, follow-up handles and commitments, read straight from the store.

Completion runs on every Tab, so it is quick and harmless: it opens the store
read-only if the file exists, reads the projections as they are (it never
catches them up and never creates anything), and offers nothing on any problem.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import click
    from click.shell_completion import CompletionItem


def _store_path(ctx: click.Context) -> str:
    db = ctx.find_root().params.get("db") or os.environ.get("COFFEECHAT_DB")
    if db:
        return str(db)
    from coffeechat.paths import default_store

    return default_store()


T = TypeVar("T")


def _read(ctx: click.Context, read: Callable[[Any], T], nothing: T) -> T:
    """What ``read`` finds in the store, opened read-only; ``nothing`` when there is no
    store to read, or it is busy or broken (completion never waits or fails)."""
    path = _store_path(ctx)
    if not os.path.isfile(path):
        return nothing
    import apsw

    try:
        db = apsw.Connection(path, flags=apsw.SQLITE_OPEN_READONLY)
        try:
            db.set_busy_timeout(200)
            return read(db)
        finally:
            db.close()
    except (apsw.Error, ValueError):  # (ValueError: a row the reader cannot make sense of)
        return nothing


def _rows(ctx: click.Context, *queries: str) -> list[list[Any]]:
    """Each query's rows; empty lists when there is no store to read."""
    return _read(ctx, lambda db: [list(db.execute(query)) for query in queries],
                 [[] for _query in queries])


def _since(projection: str, seq: str = "seq") -> str:
    # The events the projection has not seen yet (the last command's: a read catches
    # up, a recording command does not), read from the log instead of catching up.
    return (f"{seq} > coalesce((SELECT checkpoint FROM projections WHERE name = "
            f"'{projection}'), 0) ORDER BY {seq} LIMIT {TAIL}")


TAIL = 1000  # at most this many recent events are read past a projection's checkpoint


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def complete_contact(ctx: click.Context, _param: click.Parameter, incomplete: str
                     ) -> list[CompletionItem]:
    """Contact ids whose id, name or a word of the name starts with what was typed."""
    from click.shell_completion import CompletionItem

    known, recent = _rows(
        ctx, "SELECT id, name FROM contacts ORDER BY id",
        "SELECT substr(stream, 9), json_extract(data, '$.name') FROM events WHERE "
        "type = 'contact.added' AND stream LIKE 'contact:%' AND " + _since("contacts"))
    names = dict(known)
    names.update((i, n) for i, n in sorted(recent) if isinstance(n, str) and i not in names)
    typed = _fold(incomplete)
    first: list[CompletionItem] = []
    then: list[CompletionItem] = []
    for contact_id, name in names.items():
        folded = _fold(name)
        if _fold(contact_id).startswith(typed):
            first.append(CompletionItem(contact_id, help=_shown(name)))
        elif folded.startswith(typed) or any(w.startswith(typed) for w in folded.split()):
            then.append(CompletionItem(contact_id, help=_shown(name)))
    return first + then


def complete_commitment(ctx: click.Context, _param: click.Parameter, incomplete: str
                        ) -> list[CompletionItem]:
    """The ids of open commitments that start with what was typed, oldest due first."""
    from click.shell_completion import CompletionItem

    known, made, kept = _rows(
        ctx, "SELECT f.commitment, coalesce(c.name, f.contact), f.reason "
             "FROM followups f LEFT JOIN contacts c ON c.id = f.contact "
             "WHERE f.kind = 'commitment' AND f.commitment IS NOT NULL "
             "ORDER BY f.due_at, f.commitment",
        "SELECT e.id, coalesce(c.name, substr(e.stream, 9)), "
        "'promised: ' || json_extract(e.data, '$.text') FROM events e "
        "LEFT JOIN contacts c ON c.id = substr(e.stream, 9) "
        "WHERE e.type = 'commitment.made' AND " + _since("followups", "e.seq"),
        "SELECT json_extract(data, '$.commitment') FROM events "
        "WHERE type = 'commitment.done' AND " + _since("followups"))
    closed = {commitment for (commitment,) in kept}
    return [CompletionItem(commitment, help=_shown(f"{name}: {reason}"))
            for commitment, name, reason in [*known, *made]
            if commitment.startswith(incomplete) and commitment not in closed]


# The events that close a contact's item of a kind without naming it (see coffeechat.closing).
_CLOSES_KIND = {"thanks.sent": ("thank-you",), "checkin.done": ("check-in",),
                "request.sent": ("nudge", "reach-out", "referral-outreach")}
_NAMED_CONTACT = re.compile(r"\{name:([\w-]+)\}")


def complete_handle(ctx: click.Context, _param: click.Parameter, incomplete: str
                    ) -> list[CompletionItem]:
    """Handles of open follow-ups that start with what was typed, oldest due first.

    Once something is typed, commitment ids that start with it are offered too
    (the old form of `done`). Items closed by a command the projections have
    not seen yet are left out, as far as the events say so without folding.
    """
    from click.shell_completion import CompletionItem

    from coffeechat import clock

    try:
        at = clock.stamp(clock.now())
    except Exception:  # (a COFFEECHAT_NOW that cannot be read: the system clock)
        from datetime import UTC, datetime

        at = clock.stamp(datetime.now(UTC))
    if not re.fullmatch(r"[\dTZ:-]{20}", at):
        return []
    items, closing = _rows(
        ctx, "SELECT f.handle, f.kind, f.contact, coalesce(c.name, f.contact), f.reason, "
             "f.anchor, f.event FROM followups f LEFT JOIN contacts c ON c.id = f.contact "
             f"WHERE f.expires_at IS NULL OR f.expires_at > '{at}' ORDER BY f.due_at, f.handle",
        "SELECT type, substr(stream, 9), json_extract(data, '$.kind'), "
        "coalesce(json_extract(data, '$.event'), json_extract(data, '$.commitment'), "
        "json_extract(data, '$.meeting')), json_extract(data, '$.nudge') FROM events "
        "WHERE type IN ('followup.done', 'followup.skipped', 'commitment.done', "
        "'meeting.prepared', 'thanks.sent', 'checkin.done', 'request.sent') AND "
        + _since("followups"))
    closed: set[tuple[str, str]] = set()  # (kind, event)
    closed_kinds: set[tuple[str, str]] = set()  # (contact, kind)
    for kind_of_event, contact, kind, event, nudge in closing:
        if kind_of_event in ("followup.done", "followup.skipped"):
            closed.add((str(kind), str(event)))
        elif kind_of_event == "commitment.done":
            closed.add(("commitment", str(event)))
        elif kind_of_event == "meeting.prepared":
            closed.add(("prep", str(event)))
        else:
            kinds = _CLOSES_KIND[kind_of_event][:1] if nudge else _CLOSES_KIND[kind_of_event]
            closed_kinds.update((contact, k) for k in kinds)
    from collections import Counter

    starts = Counter(h[:4] for h in {row[0] for row in items if isinstance(row[0], str)})
    shared = {start for start, count in starts.items() if count > 1}
    typed = incomplete.strip().lower()
    found: list[CompletionItem] = []
    seen: set[str] = set()
    for handle, kind, contact, name, reason, anchor, event in items:
        shown = handle if handle[:4] in shared else handle[:4]
        if shown in seen or not shown.startswith(typed) or (kind, event) in closed \
                or (contact, kind) in closed_kinds:
            continue
        seen.add(shown)
        found.append(CompletionItem(shown,
                                    help=_shown(f"{name}: {kind}, {_reason(reason, anchor)}")))
    found += [CompletionItem(item["handle"],
                             help=_shown(f"{item['name']}: birthday, {item['reason']}"))
              for item in _birthdays(ctx, at)
              if item["handle"].startswith(typed) and item["handle"] not in seen]
    if typed:
        found += complete_commitment(ctx, _param, typed)
    return found


def _shown(help_text: str) -> str:
    """A completion's help as one line (zsh and fish read one item a line): the names
    and reasons it holds come from the log, which may hold line breaks and escapes."""
    from coffeechat.cli.render import LINE, inline

    return inline(help_text, LINE)


def _birthdays(ctx: click.Context, at: str) -> list[dict[str, Any]]:
    """The open birthday items (worked out when read, so not in the followups table)."""
    from coffeechat.important_dates import birthday_items

    return _read(ctx, lambda db: birthday_items(db, "main", at, None), [])


def _reason(reason: str, anchor: str | None) -> str:
    from coffeechat.clock import local_day, local_time

    text = _NAMED_CONTACT.sub(lambda m: m.group(1), reason)
    if anchor:
        text = text.replace("{day}", local_day(anchor)).replace("{time}", local_time(anchor))
    return text
