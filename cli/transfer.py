"""import and export: bringing people in, and moving the log between devices."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import click

from coffeechat.cli.main import context_app, json_option, output
from coffeechat.errors import BadInput


@click.group("import")
def import_group() -> None:
    """Bring contacts or another device's log in."""


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
            bar.update(done - seen[0])
            seen[0] = done

        yield advance


def _open_input(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as error:
        raise BadInput(f"FILE: cannot read {path} ({error.strerror})") from None


@export_group.command("jsonl")
@click.option("--out", "out_path", metavar="FILE", help="Write here instead of stdout.")
def export_jsonl_command(out_path: str | None) -> None:
    """The whole log, one event per line, every envelope field (for backups and sync)."""
    from coffeechat.transfer import export_jsonl

    store = context_app().store()
    if out_path is None:
        export_jsonl(store, sys.stdout.buffer)
        sys.stdout.flush()
        return
    partial = out_path + ".partial"
    with open(partial, "wb") as out, progress_bar(store.count(), "exporting") as advance:
        count = export_jsonl(store, out, progress=advance)
    os.replace(partial, out_path)
    click.echo(f"Exported {count:,} events to {out_path}", err=True)


@import_group.command("jsonl")
@click.argument("file", metavar="FILE")
@json_option
def import_jsonl_command(file: str) -> None:
    """Merge a log exported with `export jsonl` (from this or another device).

    Events already here (same id or key) are skipped, so importing twice adds
    nothing; the rest are appended in the file's order, in one transaction.
    """
    from coffeechat.transfer import import_jsonl, read_jsonl

    app = context_app()
    store = app.store()
    with _open_input(file) as handle:
        events = list(read_jsonl(handle, file))
    with progress_bar(len(events), "importing") as advance:
        report = import_jsonl(store, events, progress=advance)
    _report(app, {"read": report.read, "added": report.added, "skipped": report.skipped},
            f"Read {report.read:,} events: added {report.added:,}, "
            f"{report.skipped:,} were already here")


def _report(app: Any, document: dict[str, Any], text: str) -> None:
    if app.json:
        output(document)
    else:
        click.echo(text)
