"""Recording commands: each appends one batch of events and prints their ids."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import zip_longest
from typing import TYPE_CHECKING, Any

import apsw
import click

from coffeechat.channels import BUILTIN_CHANNELS
from coffeechat.cli.main import context_app, json_option, output, when
from coffeechat.codec import Event
from coffeechat.errors import BadInput, CoffeechatError, describe_error, quote
from coffeechat.events import CONTACT_PREFIX, ContactAdded
from coffeechat.recording import Promise

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from coffeechat.delivery import Outcome


# (completion is imported when the shell asks for it, not by every recording command)
def complete_contact(ctx: click.Context, param: click.Parameter, incomplete: str
                     ) -> list[CompletionItem]:
    from coffeechat.cli.completion import complete_contact

    return complete_contact(ctx, param, incomplete)


def complete_handle(ctx: click.Context, param: click.Parameter, incomplete: str
                    ) -> list[CompletionItem]:
    from coffeechat.cli.completion import complete_handle

    return complete_handle(ctx, param, incomplete)

contact_argument = click.argument("contact", shell_complete=complete_contact)
on_option = click.option(
    "--on", "on", metavar="DATETIME",
    help="When it happened (default: now). ISO 8601, today, yesterday, -2d, ...",
)
via_option = click.option(
    "--via", default="email", show_default=True, metavar="CHANNEL",
    help=f"How the message went out: {', '.join(BUILTIN_CHANNELS)}.",
)


def _delivery_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--send", is_flag=True,
                        help="Deliver the message through the channel; recorded once accepted.")(
        func)
    func = click.option("--draft", is_flag=True,
                        help="Write a draft through the channel (a channel that cannot draft, "
                             "such as linkedin: a text draft in the outbox); nothing is "
                             "recorded.")(func)
    return click.option("--template", metavar="NAME", help="Render the message from a template.")(
        func)


def _delivery(draft: bool, send: bool) -> str | None:
    if draft and send:
        raise click.UsageError("give --draft or --send, not both")
    return "send" if send else "draft" if draft else None


def report(events: Sequence[Event], outcome: Outcome | None = None) -> None:
    """Print what was appended: its ids (human) or a JSON document."""
    recorded = [
        {"id": e.id, "seq": e.seq, "type": e.type,
         "contact": e.stream.split(":", 1)[1] if e.stream.startswith("contact:") else None}
        for e in events
    ]
    receipt = outcome.receipt if outcome is not None else None
    if context_app().json:
        output({"recorded": recorded, **({"receipt": receipt} if receipt else {})})
        return
    if receipt:
        click.echo(receipt)
    for item in recorded:
        click.echo(f"{item['id']}  {item['type']}  {item['contact'] or ''}".rstrip())


def _report_outcome(outcome: Outcome) -> None:
    report(outcome.events, outcome)


birthday_option = click.option(
    "--birthday", metavar="MM-DD|YYYY-MM-DD",
    help="Their birthday, with or without the year (a year gives their age); "
         "in edit, --birthday '' removes it.")
dates_option = click.option(
    "--date", "dates", multiple=True, metavar="LABEL=DATE",
    help="Another date to remember, e.g. 'work anniversary=2019-03-01' (repeatable; "
         "MM-DD or YYYY-MM-DD); in edit, LABEL= removes that date.")


def _birthday_checked(birthday: str | None) -> None:
    """Refuse a --birthday whose year is still to come (the recorder checks the rest)."""
    if birthday and birthday.strip():
        from coffeechat.clock import local_date, now, stamp
        from coffeechat.yearly_dates import checked_birthday

        checked_birthday(birthday, "--birthday", local_date(stamp(now())))


def _date_pairs(pairs: Sequence[str]) -> dict[str, str]:
    """--date LABEL=DATE options as a dict (the recorder checks labels and dates)."""
    found: dict[str, str] = {}
    for pair in pairs:
        label, equals, value = pair.partition("=")
        if not equals or not label.strip():
            raise BadInput(f"--date: give LABEL=DATE, e.g. 'work anniversary=2019-03-01', "
                           f"not {quote(pair)}")
        found[label.strip()] = value
    return found


@click.command()
@click.argument("name")
@click.option("--company", metavar="C")
@click.option("--role", metavar="R")
@click.option("--email", metavar="E")
@click.option("--linkedin", metavar="URL")
@click.option("--phone", metavar="P")
@click.option("--how-met", metavar="TEXT", help="Where or how you met.")
@click.option("--referred-by", metavar="CONTACT", help="Who introduced you.",
              shell_complete=complete_contact)
@click.option("--tag", "tags", multiple=True, metavar="T", help="A tag (repeatable).")
@birthday_option
@dates_option
@on_option
@json_option
def add(name: str, company: str | None, role: str | None, email: str | None,
        linkedin: str | None, phone: str | None, how_met: str | None, referred_by: str | None,
        tags: tuple[str, ...], birthday: str | None, dates: tuple[str, ...],
        on: str | None) -> None:
    """Add a contact: a person to reach out to.

    A warning follows when they look like someone you already have (the same
    email or LinkedIn profile, or the same company and a similar name), with
    the `merge` command that makes them one contact.
    """
    from coffeechat.cli.render import LINE, inline
    from coffeechat.resolve import lookalikes

    _birthday_checked(birthday)
    new = ContactAdded(name=name, company=company, role=role, email=email, linkedin=linkedin,
                       phone=phone, how_met=how_met, referred_by=referred_by, tags=list(tags),
                       birthday=birthday or None,
                       dates=_date_pairs(dates))  # (the recorder checks them)
    recorder = context_app().recorder()
    events = recorder.add(new, when(on, "--on", past=True))
    report(events)
    try:  # (the contact is recorded: what goes wrong from here on is not the command's failure)
        for event in events:
            added = event.payload()
            if isinstance(added, ContactAdded):  # (the batch may hold the referrer's side too)
                new_id = event.stream.removeprefix("contact:")
                for twin in lookalikes(recorder.store.conn, new_id, added.name,
                                       company=added.company, email=added.email,
                                       linkedin=added.linkedin):
                    warning = inline(twin.warning(new_id, added.name), LINE)  # (their name)
                    click.echo(f"coffeechat: warning: {warning}", err=True)
    except (CoffeechatError, apsw.Error) as error:
        click.echo(f"coffeechat: warning: recorded, but people like them could not be looked "
                   f"for: {describe_error(error)} (`coffeechat rebuild` mends the views)", err=True)


@click.command()
@contact_argument
@via_option
@_delivery_options
@on_option
@json_option
def ask(contact: str, via: str, template: str | None, draft: bool, send: bool,
        on: str | None) -> None:
    """Record an ask for a 20-30 minute conversation.

    Asking again while the request is still open records the one nudge.
    """
    _report_outcome(context_app().recorder().ask(
        contact, via, when(on, "--on", past=True), delivery=_delivery(draft, send),
        template=template))


@click.command()
@contact_argument
@click.argument("answer", type=click.Choice(["accepted", "declined"]))
@on_option
@json_option
def answer(contact: str, answer: str, on: str | None) -> None:
    """Record the answer to an open request.

    An --on before the ask is refused: dated there, it would answer nothing.
    """
    report(context_app().recorder().answer(contact, answer, when(on, "--on", past=True)))


# (what the warnings say when a meeting gives way to another: the fold keeps one)
ONE_MEETING = "coffeechat keeps one scheduled meeting per contact"


@click.command()
@contact_argument
@click.option("--at", "at", required=True, metavar="DATETIME", help="When the meeting is.")
@click.option("--minutes", type=int, help="How long it lasts [default: 30; a moved meeting "
              "keeps its own].")
@click.option("--where", metavar="TEXT", help="Place or call link (a moved meeting keeps "
              "its own; --where '' drops it).")
@on_option
@json_option
def schedule(contact: str, at: str, minutes: int | None, where: str | None, on: str | None
             ) -> None:
    """Schedule a meeting (a later schedule replaces an earlier one).

    coffeechat keeps one scheduled meeting per contact: scheduling while one is
    still scheduled moves it, and a warning says so (`undo` takes the move back).
    A meeting moved before it is over keeps its length and place unless
    --minutes or --where are given.
    An --on before the meeting now scheduled was scheduled is refused: dated
    there, it would change nothing.
    """
    from coffeechat.clock import local_time, stamp
    from coffeechat.fold import meeting_over

    recorder = context_app().recorder()
    meeting_at, on_at = when(at, "--at"), when(on, "--on", past=True)
    events = recorder.schedule(contact, meeting_at, minutes, where, on_at)
    report(events)
    before = recorder.folded[events[0].stream[len(CONTACT_PREFIX):]]  # (as it was)
    if before.scheduled_at is not None and before.scheduled_at != stamp(meeting_at) \
            and (before.scheduled_on or "") <= stamp(on_at):
        from coffeechat.cli.render import LINE, inline

        what = "weekly call" if before.scheduled_series else "meeting"
        then, new = local_time(before.scheduled_at), local_time(stamp(meeting_at))
        if not meeting_over(before.scheduled_at, before.scheduled_minutes, stamp(on_at)):
            change = f"on {then} is now on {new}"
        else:  # its time passed with nothing recorded: a new meeting takes its place
            change = (f"on {then}, never recorded as held or cancelled, gives way to a new "
                      f"one on {new}")
        click.echo(f"coffeechat: warning: {inline(before.name, LINE)}'s {what} {change}"
                   f" ({ONE_MEETING}: `undo` keeps the earlier one instead)", err=True)


@click.command()
@contact_argument
@click.option("--reason", metavar="TEXT")
@on_option
@json_option
def cancel(contact: str, reason: str | None, on: str | None) -> None:
    """Cancel the scheduled meeting with CONTACT.

    An --on before the meeting was scheduled is refused: dated there, it would
    cancel nothing.
    """
    report(context_app().recorder().cancel(contact, reason, when(on, "--on", past=True)))


_ORDER = "coffeechat.order"


class _InOrder(click.Command):
    """Remembers the order click parsed the options in: a parameter name per occurrence.

    Click gathers each repeated option into one tuple; the order tells which
    ``--due`` came right after which ``--commitment``.
    """

    def make_parser(self, ctx: click.Context) -> Any:
        parser = super().make_parser(ctx)
        parse = parser.parse_args

        def parse_in_order(args: list[str]) -> Any:
            opts, rest, order = parse(args=args)
            ctx.meta[_ORDER] = [param.name for param in order]
            return opts, rest, order

        parser.parse_args = parse_in_order  # type: ignore[method-assign]
        return parser


def _promises(ctx: click.Context, commitments: Sequence[str], dues: Sequence[str]
              ) -> list[Promise]:
    """Each --commitment with the --due right after it, if any."""
    order = ctx.meta.get(_ORDER)
    if order is None:  # invoked without a command line to parse: pair them by position
        order = [name for pair in zip_longest(["commitments"] * len(commitments),
                                              ["dues"] * len(dues)) for name in pair if name]
    texts, dates = iter(commitments), iter(dues)
    pairs: list[list[str | None]] = []
    for name in order:
        if name == "commitments":
            pairs.append([next(texts), None])
        elif name == "dues":
            if not pairs or pairs[-1][1] is not None:
                raise BadInput("--due: give it right after the --commitment it belongs to")
            pairs[-1][1] = next(dates)
    return [Promise(str(text), when(due, "--due", end_of_day=True) if due else None)
            for text, due in pairs]


@click.command(cls=_InOrder)
@contact_argument
@click.option("--notes", metavar="TEXT", help="What you talked about.")
@click.option("--takeaway", "takeaways", multiple=True, metavar="T", help="Repeatable.")
@click.option("--referral", "referrals", multiple=True, metavar="NAME",
              help="Someone they suggested you talk to (added as a contact). Repeatable.")
@click.option("--commitment", "commitments", multiple=True, metavar="TEXT",
              help="Something you promised (repeatable); follow it with --due DATE.")
@click.option("--due", "dues", multiple=True, metavar="DATE",
              help="Due date of the --commitment just before it.")
@click.option("--minutes", type=int, help="How long it lasted.")
@on_option
@json_option
@click.pass_context
def met(ctx: click.Context, contact: str, notes: str | None, takeaways: tuple[str, ...],
        referrals: tuple[str, ...], commitments: tuple[str, ...], dues: tuple[str, ...],
        minutes: int | None, on: str | None) -> None:
    """Record a meeting that happened, with notes, takeaways, referrals and commitments."""
    promises = _promises(ctx, commitments, dues)
    report(context_app().recorder().met(
        contact, when(on, "--on", past=True), notes=notes, takeaways=takeaways, referrals=referrals,
        commitments=promises, minutes=minutes))


@click.command()
@contact_argument
@via_option
@_delivery_options
@on_option
@json_option
def thank(contact: str, via: str, template: str | None, draft: bool, send: bool,
          on: str | None) -> None:
    """Record a thank-you (due within 24 hours of a meeting).

    While the latest meeting's thank-you is open, an --on before that meeting, on
    its day or before any meeting, is refused: dated there, it would thank for
    nothing (a date without a time means 00:00).
    """
    _report_outcome(context_app().recorder().thank(
        contact, via, when(on, "--on", past=True), delivery=_delivery(draft, send),
        template=template))


@click.command()
@contact_argument
@via_option
@click.option("--note", metavar="TEXT", help="What you said or heard.")
@_delivery_options
@on_option
@json_option
def checkin(contact: str, via: str, note: str | None, template: str | None, draft: bool,
            send: bool, on: str | None) -> None:
    """Record a check-in that keeps the relationship warm."""
    _report_outcome(context_app().recorder().checkin(
        contact, via, note, when(on, "--on", past=True), delivery=_delivery(draft, send),
        template=template))


@click.command()
@contact_argument
@click.argument("name")
@click.option("--company", metavar="C")
@click.option("--role", metavar="R")
@click.option("--email", metavar="E")
@click.option("--note", metavar="TEXT", help="Why they suggested this person.")
@on_option
@json_option
def refer(contact: str, name: str, company: str | None, role: str | None, email: str | None,
          note: str | None, on: str | None) -> None:
    """CONTACT introduced me to NAME: add NAME, referred by CONTACT."""
    new = ContactAdded(name=name, company=company, role=role, email=email)
    report(context_app().recorder().refer(contact, new, note, when(on, "--on", past=True)))


@click.command()
@contact_argument
@click.argument("text")
@click.option("--due", metavar="DATE", help="When it is due (a date means the end of that day).")
@on_option
@json_option
def commit(contact: str, text: str, due: str | None, on: str | None) -> None:
    """Record a promise I made to CONTACT; `done` takes the printed id."""
    promise = Promise(text, when(due, "--due", end_of_day=True) if due else None)
    report(context_app().recorder().commit(contact, promise, when(on, "--on", past=True)))


@click.command()
@click.argument("handle", metavar="HANDLE | COMMITMENT_ID", shell_complete=complete_handle)
@on_option
@json_option
def done(handle: str, on: str | None) -> None:
    """Close a follow-up by recording what closed it (HANDLE, from `due`).

    Each kind records the event that truthfully closes it: thank-you records
    thanks.sent (channel other: you thanked them by other means); nudge,
    request.sent with nudge on the ask's channel; prep, meeting.prepared;
    commitment, commitment.done; check-in, checkin.done (channel other);
    referral-outreach and reach-out, request.sent (channel other: you reached
    out, and that is the ask); record-meeting, meeting.held at the meeting's
    time, or at --on (it took place; refused before it begins); schedule, unanswered, birthday (that
    year's) and plugins' kinds, followup.done. HANDLE may
    also be the id (or an unambiguous start of it) of the event that caused the
    item, or of a commitment. `undo` brings the item back.
    """
    report(context_app().recorder().done(handle, when(on, "--on", past=True) if on else None))


@click.command()
@click.argument("handle", shell_complete=complete_handle)
@click.option("--reason", metavar="TEXT", help="Why (shown in the timeline).")
@on_option
@json_option
def skip(handle: str, reason: str | None, on: str | None) -> None:
    """Dismiss a follow-up without doing it (HANDLE, from `due`).

    Records followup.skipped; `undo` brings the item back. A skipped check-in
    skips that round: the next is due a cadence later. HANDLE may also be the
    id (or an unambiguous start of it) of the event that caused the item.
    """
    report(context_app().recorder().skip(handle, reason, when(on, "--on", past=True)))


@click.command()
@click.argument("handle", shell_complete=complete_handle)
@click.argument("date", metavar="DATE")
@on_option
@json_option
def snooze(handle: str, date: str, on: str | None) -> None:
    """Put a follow-up off: due again at DATE (HANDLE, from `due`).

    A date without a time means the end of that day. Records
    followup.snoozed; `undo` brings the old due time back. A DATE not after the
    item's due time is refused (it would change nothing), unless the item was
    snoozed before: then the latest snooze counts. HANDLE may also be
    the id (or an unambiguous start of it) of the event that caused the item.
    """
    until = when(date, "DATE", end_of_day=True)
    report(context_app().recorder().snooze(handle, until, when(on, "--on", past=True)))


@click.command()
@contact_argument
@click.argument("text")
@on_option
@json_option
def note(contact: str, text: str, on: str | None) -> None:
    """Add a note to a contact's timeline."""
    report(context_app().recorder().note(contact, text, when(on, "--on", past=True)))


@click.command()
@contact_argument
@click.argument("days", type=int)
@on_option
@json_option
def cadence(contact: str, days: int, on: str | None) -> None:
    """Check in with CONTACT every DAYS days (instead of the default)."""
    report(context_app().recorder().cadence(contact, days, when(on, "--on", past=True)))


_EDIT_FIELDS = ("name", "company", "role", "email", "linkedin", "phone", "how_met",
                "referred_by", "birthday")


@click.command()
@contact_argument
@click.option("--name", metavar="NAME")
@click.option("--company", metavar="C", help="An empty value clears the field (as for all).")
@click.option("--role", metavar="R")
@click.option("--email", metavar="E")
@click.option("--linkedin", metavar="URL")
@click.option("--phone", metavar="P")
@click.option("--how-met", metavar="TEXT")
@click.option("--referred-by", metavar="CONTACT", shell_complete=complete_contact)
@click.option("--tag", "tags", multiple=True, metavar="T", help="Replace the tags (repeatable).")
@click.option("--no-tags", is_flag=True, help="Remove every tag.")
@birthday_option
@dates_option
@on_option
@json_option
def edit(contact: str, tags: tuple[str, ...], no_tags: bool, dates: tuple[str, ...],
         on: str | None, **fields: str | None) -> None:
    """Change a contact's details."""
    _birthday_checked(fields.get("birthday"))
    changes: dict[str, Any] = {k: v for k, v in fields.items() if k in _EDIT_FIELDS
                               and v is not None}
    if tags or no_tags:
        changes["tags"] = list(tags)
    if dates:
        changes["dates"] = _date_pairs(dates)
    report(context_app().recorder().edit(contact, changes, when(on, "--on", past=True)))


@click.command()
@click.argument("contact_a", shell_complete=complete_contact)
@click.argument("contact_b", shell_complete=complete_contact)
@on_option
@json_option
def merge(contact_a: str, contact_b: str, on: str | None) -> None:
    """CONTACT_B is the same person as CONTACT_A: make them one contact.

    CONTACT_A stays; CONTACT_B's history, follow-ups and referrals become
    CONTACT_A's, and its details fill in what CONTACT_A lacks. One meeting stays
    scheduled: if both had one, the one scheduled last, and a warning names both.
    `undo` splits them again.
    """
    from coffeechat.clock import local_time

    recorder = context_app().recorder()
    events = recorder.merge(contact_a, contact_b, when(on, "--on", past=True))
    report(events)
    merged_id = events[0].stream[len(CONTACT_PREFIX):]
    merged = recorder.folded[merged_id]  # (both as they were before the merge)
    kept = next(state for key, state in recorder.folded.items() if key != merged_id)
    if kept.scheduled_at is not None and merged.scheduled_at is not None \
            and kept.scheduled_id != merged.scheduled_id:
        from coffeechat.cli.render import LINE, inline

        later = max((kept, merged), key=lambda s: (s.scheduled_on or "", s.scheduled_id or ""))
        times = " and ".join(local_time(s.scheduled_at) for s in (kept, merged)
                             if s.scheduled_at is not None)
        click.echo(f"coffeechat: warning: {inline(kept.name, LINE)} and "
                   f"{inline(merged.name, LINE)} each had a meeting scheduled ({times}); "
                   f"{ONE_MEETING}: the one scheduled last, on "
                   f"{local_time(later.scheduled_at)} (`undo` takes the merge back)",
                   err=True)


@click.command()
@contact_argument
@click.option("--reason", metavar="TEXT")
@on_option
@json_option
def archive(contact: str, reason: str | None, on: str | None) -> None:
    """Archive a contact: no more follow-ups (undo brings them back)."""
    report(context_app().recorder().archive(contact, when(on, "--on", past=True), reason))


@click.command()
@click.argument("event_id", required=False)
@click.option("--batch", metavar="ID", help="Retract every event of a batch (an import, say).")
@on_option
@json_option
def undo(event_id: str | None, batch: str | None, on: str | None) -> None:
    """Retract EVENT_ID, a whole batch, or the whole last recorded command.

    Undo is itself an event: undoing a retraction brings the event back.
    """
    if event_id and batch:
        raise click.UsageError("give EVENT_ID or --batch, not both")
    from coffeechat.cli.render import LINE, inline

    app = context_app()
    retractions = app.recorder().undo(event_id, when(on, "--on", past=True), batch=batch)
    report(retractions)
    for path in _from_notes(app.store().conn, retractions):
        click.echo(f"coffeechat: warning: undone, but the note {inline(path, LINE)} still says "
                   "it, and a note is read again only when it changes: edit or delete the "
                   "note to match (or `undo` the retraction to bring it back)", err=True)


def _from_notes(db: apsw.Connection, retractions: Sequence[Event]) -> list[str]:
    """The notes (paths in the folder) that recorded what these retractions undid."""
    import msgspec

    targets = [msgspec.json.decode(e.data).get("target") for e in retractions]
    sources = db.execute(
        "SELECT DISTINCT source FROM events WHERE source LIKE 'notes:%' "
        "AND id IN (SELECT value FROM json_each(?)) ORDER BY source",
        (msgspec.json.encode(targets).decode(),))
    return [source.removeprefix("notes:") for (source,) in sources]
