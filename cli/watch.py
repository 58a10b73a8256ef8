"""``coffeechat watch NOTES``: the notes folder as a way to record, with live views."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from coffeechat.cli.main import context_app, json_option, output
from coffeechat.errors import visible


@click.command()
@click.argument("notes", type=click.Path(exists=True, file_okay=False))
@click.option("--views", "views_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Where to write the Markdown views (default: NOTES/_coffeechat). A file "
              "of your own there, where a view would go, is left as it is, with a warning.")
@click.option("--once", is_flag=True,
              help="Read the folder and write the views once, then exit (1 if a note is bad).")
@click.option("--moved", is_flag=True,
              help="The store's notes folder moved to NOTES: sync with NOTES from now on "
                   "(without it, a folder other than the store's own is refused).")
@json_option
def watch(notes: str, views_dir: str | None, once: bool, moved: bool) -> None:
    """Record from a folder of Markdown notes and keep Markdown views up to date.

    Any .md file whose YAML front matter has a `contact` key is a note (see
    docs/notes.md). Saving a note records it; editing it replaces what it
    recorded; deleting it takes that back. Views (due.md, contacts.md,
    referrals.md, a page per contact, errors.md, and report.html unless
    [views] report = false) are rewritten as the notes or the store change.
    A store is synced with one notes folder: the first it watches. Another
    folder, or a folder inside it, is refused (a folder that moved: --moved).
    If the folder is deleted and made again while watching, the new one is
    read and watched; while it is gone, the watcher waits for it. Ctrl-C stops.
    """
    from coffeechat.plugins.notes_sync import NotesFolder
    from coffeechat.plugins.notes_watch import GRACE_SECONDS, Watcher

    app = context_app()
    store = app.current()
    plugins = app.plugins()
    projector = app.projector()
    folder = NotesFolder(notes, store, plugins.note_parsers(), views_dir=views_dir,
                         catch_up=projector.catch_up_locked,
                         on_commit=lambda events: plugins.event_appended(events, store))
    if (moved_from := folder.claim(moved=moved)) is not None:
        click.echo(f"coffeechat: {moved_from}", err=True)
    live = Terminal(sys.stderr.isatty(), folder.views_dir)
    views = plugins.views()
    if not app.config().views.report:  # ([views] report = false in config.toml)
        views.pop("report", None)
    watcher = Watcher(folder, projector, views, grace=0 if once else GRACE_SECONDS,
                      warn=live.warn)
    if once:
        _finish_once(app.json, folder.views_dir, watcher.step(None))
        return
    import logging

    logging.getLogger("watchfiles").setLevel(logging.ERROR)  # we say "stopped" ourselves
    try:
        watcher.run(lambda update: live.show(update, folder.recorded_count()))
    finally:
        live.close()


def _finish_once(as_json: bool, views_dir: str, update: Any) -> None:
    report = update.report
    errors = [{"path": e.path, "line": e.line, "key": e.key, "message": e.message}
              for e in report.errors]
    if as_json:
        output({"recorded": report.recorded, "retracted": report.retracted,
                "events": report.events, "errors": errors, "views": update.views,
                "views_dir": views_dir, "due": update.due, "overdue": update.overdue})
    else:
        click.echo(f"recorded {len(report.recorded)} note(s), retracted {len(report.retracted)}"
                   f" ({report.events} events); {update.due} follow-ups open, "
                   f"{update.overdue} overdue; views in {views_dir}")
    for error in report.errors:
        click.echo(visible(f"coffeechat: note error: {error}"), err=True)
    if report.errors:
        click.get_current_context().exit(1)


class Terminal:
    """What the watcher says: a live summary line on a terminal, plain lines otherwise.

    The live line is redrawn with a carriage return and spaces over what is left
    of the last one, no escape sequence, so it stays right with NO_COLOR too.
    """

    def __init__(self, live: bool, views_dir: str) -> None:
        self.live = live
        self.views_dir = views_dir
        self.reported: set[str] = set()
        self.shown = 0  # the length of the live line on screen

    def show(self, update: Any, notes: int) -> None:
        report = update.report
        if report is not None:
            lines = [f"recorded {p}" for p in report.recorded]
            lines += [f"retracted {p} (gone)" for p in report.retracted]
            errors = {str(e) for e in report.errors}
            lines += [f"error: {e}" for e in sorted(errors - self.reported)]
            lines += [f"fixed: {e.split(':')[0]}" for e in sorted(self.reported - errors)
                      if e.split(":")[0] not in {x.split(":")[0] for x in errors}]
            self.reported = errors
            for line in lines:
                self._line(line)
        summary = (f"{notes} notes · {update.due} follow-ups, {update.overdue} overdue"
                   f" · {len(self.reported)} bad notes · views: "
                   f"{os.path.relpath(self.views_dir)}")
        if self.live:
            from shutil import get_terminal_size

            # (cut to the terminal: a line that wraps cannot be drawn over)
            summary = summary[: max(get_terminal_size().columns - 1, 20)]
            click.echo(self._over(summary), nl=False, err=True)
            self.shown = len(summary)
        elif update.views:
            click.echo(summary, err=True)

    def warn(self, text: str) -> None:
        """A problem that is not a note's (a view that failed): one line, the watcher goes on."""
        self._line(f"coffeechat: warning: {text}")

    def _line(self, text: str) -> None:
        text = visible(text)  # (a note's problem may quote what the note holds)
        click.echo(self._over(text) if self.live else text, err=True)
        self.shown = 0

    def _over(self, text: str) -> str:
        """``text`` over the live line: back to its start, and wide enough to cover it."""
        return "\r" + text.ljust(self.shown)

    def close(self) -> None:
        if self.live:
            click.echo(err=True)
        click.echo("coffeechat: stopped watching", err=True)
