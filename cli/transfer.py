"""import and export: bringing people in, and moving the log between devices."""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import click

from coffeechat.cli.main import context_app, json_option, output
from coffeechat.errors import BadInput
from coffeechat.files import replace_file


class ImportGroup(click.Group):
    """`import jsonl`, plus a subcommand per importer plugin (linkedin, vcard, google...)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        importers = context_app().plugins().importers()
        return sorted({*super().list_commands(ctx), *importers})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in context_app().plugins().importers():
            return _people_command(cmd_name)
        return command


@click.group("import", cls=ImportGroup)
def import_group() -> None:
    """Bring contacts or another device's log in.

    Every import is one batch: importing the same file again records nothing,
    a newer export records only what changed, and `coffeechat undo --batch ID`
    takes a whole import back.
    """


@click.group("export")
def export_group() -> None:
    """Write the log (or the calendar) out."""


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal (stderr) for long work; silent otherwise."""
    if not sys.stderr.isatty() or total < 5000:
        yield lambda _done: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        seen = [0]

        def advance(done: int) -> None:
            step = min(done, total) - seen[0]  # (an estimate of the total may fall short)
            if step > 0:
                bar.update(step)
                seen[0] += step

        yield advance


dry_run_option = click.option(
    "--dry-run", is_flag=True,
    help="Read and check the file and show what would be recorded, and why; record nothing.")


@contextmanager
def _open_input(path: str) -> Iterator[IO[bytes]]:
    """A regular file to read, or stdin (``-``) copied whole first: reading never blocks
    inside the write lock."""
    if path == "-":
        with tempfile.TemporaryFile() as spool:  # (created readable by its owner only)
            shutil.copyfileobj(sys.stdin.buffer, spool)
            spool.seek(0)
            yield spool
        return
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise BadInput(f"FILE: {path} is not a regular file")
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as error:
        raise BadInput(f"FILE: cannot read {path} ({error.strerror})") from None
    with handle:
        yield handle


@export_group.command("jsonl")
@click.option("--out", "out_path", metavar="FILE", help="Write here instead of stdout.")
@json_option
def export_jsonl_command(out_path: str | None) -> None:
    """The whole log, one event per line, every envelope field (for backups and sync).

    With --out the file is written whole or not at all, readable by you only.
    """
    from coffeechat.transfer import export_jsonl

    app = context_app()
    store = app.store()
    if out_path is None:
        export_jsonl(store, sys.stdout.buffer)
        sys.stdout.flush()
        return
    partial = out_path + ".partial"
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as error:
        raise BadInput(f"--out: cannot write {out_path} ({error.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as out, progress_bar(store.count(), "exporting") as advance:
            count = export_jsonl(store, out, progress=advance)
        os.replace(partial, out_path)
    except BaseException:
        os.unlink(partial)
        raise
    _report(app, {"out": out_path, "events": count}, f"Exported {count:,} events to {out_path}")


@import_group.command("jsonl")
@click.argument("file", metavar="FILE")
@dry_run_option
@json_option
def import_jsonl_command(file: str, dry_run: bool) -> None:
    """Merge a log exported with `export jsonl` (from this or another device).

    Events already here (same id and content, or same key) are skipped, so
    importing twice adds nothing; the rest are appended in the file's order, in
    one transaction. Every line is checked first, and the export's hash chain
    must hold: a line changed, removed or added since the export, or an id that
    stands for two different events, imports nothing. A file from an older
    version without hashes is imported with a warning.
    """
    from coffeechat.transfer import JsonlFile, import_jsonl

    app = context_app()
    store = app.store()
    plugins = app.plugins()
    keep = not dry_run and plugins.implements("event_appended")
    with _open_input(file) as handle:
        lines = JsonlFile(handle, file)
        size = os.fstat(handle.fileno()).st_size
        with progress_bar(size // 300, "importing") as advance:  # ~300 bytes an event
            report = import_jsonl(store, lines, progress=advance, keep=keep, dry_run=dry_run)
    if not dry_run:
        plugins.event_appended(report.appended, store)
    if lines.hashless:
        click.echo(f"coffeechat: warning: {file}: no line has a hash (an export from an older "
                   "coffeechat?), so changes made to it since it was written cannot be "
                   "detected", err=True)
    document: dict[str, Any] = {"read": report.read, "added": report.added,
                                "skipped": report.skipped}
    why = (f"{report.skipped - report.same_key:,} by id, {report.same_key:,} by key"
           if report.same_key else "")
    if not dry_run:
        _report(app, document, f"Read {report.read:,} events: added {report.added:,}, "
                f"{report.skipped:,} were already here" + (f" ({why})" if why else ""))
        return
    document |= {"dry_run": True, "conflicts": [c._asdict() for c in report.conflicts]}
    _report(app, document, f"{file}: {report.read:,} events read and checked: "
            f"{report.added:,} would be added, {report.skipped:,} are already here"
            + (f" ({why})" if why else "") + "; nothing was recorded (dry run)")
    for conflict in report.conflicts:
        click.echo(f"coffeechat: {file}: line {conflict.line}: {conflict.message}", err=True)
    if report.conflicts_found:
        more = report.conflicts_found - len(report.conflicts)
        raise BadInput(f"{file}: {report.conflicts_found} conflicts"
                       + (f" ({more} not listed)" if more > 0 else "")
                       + ": importing this file would import nothing")


def _settle(app: Any, store: Any, events: list[Any]) -> None:
    """After an import: tell plugins what it appended, and have the views ready on return."""
    app.plugins().event_appended(events, store)
    app.current()


def _report(app: Any, document: dict[str, Any], text: str) -> None:
    if app.json:
        output(document)
    else:
        click.echo(text)


_FORMATS = {"linkedin": "LinkedIn's Connections.csv (Settings → Data privacy → Get a copy)",
            "vcard": "a vCard file (.vcf) from Apple, Google, Outlook and others",
            "google": "a Google Contacts CSV export"}


def _people_command(name: str) -> click.Command:
    @click.command(name, help=f"Import people from {_FORMATS.get(name, f'a {name} file')}.\n\n"
                   "People are matched to your contacts by LinkedIn URL, then email, then "
                   "name and company: new people are added, changed details updated, and "
                   "nobody is removed. Rows that are not a person (a group card) are "
                   "listed and left out. A file with bad rows imports nothing unless "
                   "--skip-bad is given.")
    @click.argument("file", metavar="FILE")
    @click.option("--skip-bad", is_flag=True, help="Import the good rows; list the bad ones.")
    @dry_run_option
    @json_option
    def command(file: str, skip_bad: bool, dry_run: bool) -> None:
        from coffeechat.people import import_people

        app = context_app()
        store = app.current()
        read = app.plugins().importers()[name]
        parsed = read(file)
        with progress_bar(len(parsed.people), f"importing {name}") as advance:
            result = import_people(store, parsed, source=f"import:{name}", file=file,
                                   skip_bad=skip_bad, progress=advance, dry_run=dry_run)
        if not dry_run:
            _settle(app, store, result.events)
        _people_report(app, file, result, dry_run)

    return command


def _people_report(app: Any, file: str, result: Any, dry_run: bool) -> None:
    from coffeechat.people import planned_changes

    plan = result.plan
    document = {
        "batch": result.batch, "added": plan.added, "updated": plan.updated,
        "unchanged": plan.unchanged,
        "skipped": [{"row": e.row, "message": e.message} for e in result.skipped],
        "conflicts": [{"row": e.row, "message": e.message} for e in plan.conflicts],
        "missing": plan.missing,
    }
    if app.json:
        output(document | ({"dry_run": True} if dry_run else {}))
    else:
        would = "would be " if dry_run else ""
        click.echo(f"{file}: {len(plan.added)} {would}added, {len(plan.updated)} {would}"
                   f"updated, {plan.unchanged} unchanged"
                   + ("; nothing was recorded (dry run)" if dry_run else ""))
        if dry_run:
            for line in planned_changes(plan):
                click.echo(f"  {line}")
        if result.batch:
            click.echo(f"batch {result.batch} (undo it with: coffeechat undo --batch "
                       f"{result.batch})")
        if plan.missing:
            click.echo(f"{len(plan.missing)} people imported before are not in this file "
                       "(kept): " + ", ".join(plan.missing[:10])
                       + (" ..." if len(plan.missing) > 10 else ""))
    for row in result.skipped:
        click.echo(f"coffeechat: skipped row {row.row}: {row.message}", err=True)
    for row in plan.conflicts:
        click.echo(f"coffeechat: row {row.row}: {row.message}", err=True)


@export_group.command("ics")
@click.option("--out", "out_path", metavar="FILE", help="Write here instead of stdout.")
@json_option
def export_ics_command(out_path: str | None) -> None:
    """Meetings (VEVENT, with a reminder) and open follow-ups (VTODO) as iCalendar.

    UIDs never change, so importing the file again into a calendar app updates
    what it has instead of adding copies.
    """
    from coffeechat.plugins.calendars import export_calendar

    app = context_app()
    store = app.current()
    data = export_calendar(store, app.config(), app.projector().fold_stream).to_ical()
    if out_path is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        replace_file(out_path, data)
    except OSError as error:
        raise BadInput(f"--out: cannot write {out_path} ({error.strerror})") from None
    count = data.count(b"BEGIN:VEVENT"), data.count(b"BEGIN:VTODO")
    _report(app, {"out": out_path, "events": count[0], "todos": count[1]},
            f"Wrote {count[0]} meetings and {count[1]} follow-ups to {out_path}")


@import_group.command("ics")
@click.argument("file", metavar="FILE")
@dry_run_option
@json_option
def import_ics_command(file: str, dry_run: bool) -> None:
    """Calendar invitations (.ics from Google Calendar, Outlook, ...) as scheduled meetings.

    The contact is the organiser or an attendee other than you ([me] email);
    someone unknown is added. A higher SEQUENCE reschedules, a cancellation
    cancels, and the same file imported again records nothing. An invitation
    dated outside 1900-2200 makes the file import nothing.
    """
    from coffeechat.plugins.invitations import import_invitations, read_invitations

    app = context_app()
    invitations = read_invitations(file, app.config().me.email)
    store = app.current()
    result = import_invitations(store, app.projector().fold_stream, invitations,
                                source="import:ics", dry_run=dry_run)
    if not dry_run:
        _settle(app, store, result.events)
    would = "would be " if dry_run else ""
    _outcome(app, result, dry_run,
             f"{file}: {len(result.scheduled)} {would}scheduled, {len(result.cancelled)} "
             f"{would}cancelled, {result.unchanged} unchanged; {len(result.added)} new contacts")


def _outcome(app: Any, result: Any, dry_run: bool, text: str) -> None:
    """An ics or mailbox import's report; a dry run's also says why, line by line."""
    document: dict[str, Any] = result._asdict()
    del document["events"], document["why"]
    if dry_run:
        document["dry_run"] = True
        text += "; nothing was recorded (dry run)\n" + "\n".join(f"  {w}" for w in result.why)
    _report(app, document, text.rstrip("\n"))


@import_group.command("mbox")
@click.argument("file", metavar="FILE")
@dry_run_option
@json_option
def import_mbox_command(file: str, dry_run: bool) -> None:
    """Replies in an mbox file: a message from a contact after your ask answers it.

    Auto-replies (out of office and the like) do not count; importing the same
    mailbox again records nothing new.
    """
    from coffeechat.plugins.mailbox import read_mbox

    _import_replies(file, read_mbox, "import:mbox", dry_run)


@import_group.command("maildir")
@click.argument("folder", metavar="DIR")
@dry_run_option
@json_option
def import_maildir_command(folder: str, dry_run: bool) -> None:
    """Replies in a Maildir folder (its cur/ and new/), as for `import mbox`."""
    from coffeechat.plugins.mailbox import read_maildir

    _import_replies(folder, read_maildir, "import:maildir", dry_run)


def _import_replies(path: str, read: Callable[..., Any], source: str, dry_run: bool) -> None:
    from coffeechat.plugins.mailbox import import_replies

    app = context_app()
    mailbox = read(path, lambda total: progress_bar(total, "reading mail"))
    store = app.current()
    result = import_replies(store, app.projector().fold_stream, mailbox,
                            me=app.config().me.email, source=source, dry_run=dry_run)
    if not dry_run:
        _settle(app, store, result.events)
    _outcome(app, result, dry_run,
             f"{path}: {result.messages:,} messages, {len(result.replied)} "
             + ("would answer" if dry_run else "answered") + " an ask"
             + (f"; {result.automatic:,} auto-replies left out" if result.automatic else "")
             + (f"; {result.unreadable:,} without a sender or a usable date"
                if result.unreadable else ""))
