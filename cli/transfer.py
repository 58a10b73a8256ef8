"""import and export: one command per importer, and moving the log between devices."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

import click

from coffeechat.cli.main import context_app, json_option, output
from coffeechat.cli.render import counted, dated, inline
from coffeechat.errors import BadInput
from coffeechat.files import replace_file, replacing

if TYPE_CHECKING:
    from coffeechat.importing import OptionValue, Registered


class ImportGroup(click.Group):
    """`import jsonl`, plus a subcommand per importer (linkedin, vcard, ics, a plugin's...)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_importers(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in _importers(ctx):
            return _import_command(_importers(ctx)[cmd_name])
        return command


def _importers(ctx: click.Context) -> dict[str, Registered]:
    """The importers plugins registered, asked once per run (only by `import` commands)."""
    from coffeechat.importing import registered_importers

    found = ctx.meta.get("coffeechat.importers")
    if found is None:
        found = ctx.meta["coffeechat.importers"] = registered_importers(
            context_app().plugins())
    return found


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
    from coffeechat.importing import check_path

    check_path("file", path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as error:
        raise BadInput(f"FILE: cannot read {path} ({error.strerror})") from None
    with handle:
        yield handle


@export_group.command("jsonl")
@click.option("--out", "out_path", metavar="FILE",
              help="Write here instead of stdout ('-': stdout, as without --out).")
@json_option
def export_jsonl_command(out_path: str | None) -> None:
    """The whole log, one event per line, every envelope field (for backups and sync).

    With --out the file is written whole or not at all, readable by you only.
    """
    from coffeechat.transfer import export_jsonl

    app = context_app()
    store = app.store()
    if out_path is None or out_path == "-":
        export_jsonl(store, sys.stdout.buffer)
        sys.stdout.flush()
        return
    try:
        with replacing(out_path) as out, progress_bar(store.count(), "exporting") as advance:
            count = export_jsonl(store, out, progress=advance)
    except OSError as error:
        raise BadInput(f"--out: cannot write {out_path} ({error.strerror})") from None
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
        click.echo(inline(f"coffeechat: {file}: line {conflict.line}: {conflict.message}",
                          None), err=True)
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


@export_group.command("ics")
@click.option("--out", "out_path", metavar="FILE",
              help="Write here instead of stdout ('-': stdout, as without --out).")
@json_option
def export_ics_command(out_path: str | None) -> None:
    """Meetings (VEVENT, with a reminder) and open follow-ups (VTODO) as iCalendar.

    Birthdays and important dates (`add --birthday`, `--date`, imports) come as
    yearly all-day events with a reminder birthday_days before. UIDs never
    change, so importing the file again into a calendar app updates what it
    has instead of adding copies.
    """
    from coffeechat.calendars import export_calendar

    app = context_app()
    store = app.current()
    data = export_calendar(store, app.config(), app.projector().fold_stream).to_ical()
    if out_path is None or out_path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        replace_file(out_path, data)
    except OSError as error:
        raise BadInput(f"--out: cannot write {out_path} ({error.strerror})") from None
    dates = data.count(b"\r\nX-COFFEECHAT-DATE:")  # (birthdays and important dates)
    count = data.count(b"BEGIN:VEVENT") - dates, data.count(b"BEGIN:VTODO")
    _report(app, {"out": out_path, "events": count[0], "todos": count[1], "dates": dates},
            f"Wrote {counted(count[0], 'meeting')}, {counted(count[1], 'follow-up')} and "
            f"{dated(dates)} to {out_path}")


# -- every importer's command ------------------------------------------------------------

def _import_command(importer: Registered) -> click.Command:
    """``coffeechat import NAME FILE|DIR``: the same command for every importer."""

    def command(path: str, dry_run: bool, **values: OptionValue) -> None:
        from coffeechat import importing

        app = context_app()
        options = {o.name: values[_key(o.name)] for o in importer.options}
        context = importing.ImportContext(
            name=importer.name, path=path, source=f"import:{importer.name}",
            options=options, config=app.config(),
            fold_contact=lambda stream: app.projector().fold_stream(stream),
            progress=progress_bar)
        data = importing.read(importer, context)  # (before the store is locked)
        store = app.current()
        imported = importing.apply(importer, store, data, context, dry_run=dry_run)
        if not dry_run:
            _settle(app, store, imported.events)
        report = importing.report(importer, imported, app.plugins().guard)
        # (a report names people as the log and the file have them: shown, not obeyed)
        if app.json:
            output(report.document)
        else:
            for line in report.text:
                click.echo(inline(line, None))
        for note in report.notes:
            click.echo(inline(f"coffeechat: {note}", None), err=True)

    command = json_option(command)
    command = dry_run_option(command)
    for option in reversed(importer.options):
        command = click.option(f"--{option.name}", _key(option.name),
                               is_flag=option.metavar is None, metavar=option.metavar,
                               help=option.help)(command)
    command = click.argument(
        "path", metavar="FILE" if importer.reads == "file" else "DIR")(command)
    return click.command(importer.name, help=importer.help)(command)


def _key(option: str) -> str:
    return "option_" + option.replace("-", "_")
