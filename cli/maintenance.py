"""Maintenance: init, rebuild, verify, backup, plugins, paths."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click

from coffeechat.cli.main import context_app, json_option, output
from coffeechat.cli.render import counted, inline
from coffeechat.errors import BadInput
from coffeechat.integrity import HEAD_SUFFIX


@click.command()
@json_option
def init() -> None:
    """Create the store (it is also created on first use)."""
    app = context_app()
    store = app.current()
    if app.json:
        output({"db": store.path, "events": store.count()})
    else:
        click.echo(f"Store ready at {store.path} ({store.count()} events)")


@click.command()
@json_option
def rebuild() -> None:
    """Rebuild every projection from the whole log."""
    app = context_app()
    store = app.store()
    total = store.count()
    started = time.perf_counter()
    show = sys.stderr.isatty() and not app.json and total > 10_000

    def progress(done: int, _total: int) -> None:
        if show:
            click.echo(f"\rfolded {done:,} of {total:,} events", nl=False, err=True)

    app.projector().rebuild(progress)
    seconds = time.perf_counter() - started
    if show:
        click.echo(err=True)
    if app.json:
        output({"events": total, "seconds": round(seconds, 3)})
    else:
        click.echo(f"Rebuilt the projections from {total:,} events in {seconds:.2f} s")


@click.command()
@click.option("--reset-head", is_flag=True,
              help="After restoring a backup on purpose: remember the store as it is now.")
@json_option
@click.pass_context
def verify(ctx: click.Context, reset_head: bool) -> None:
    """Check the store: integrity, the append-only triggers, the hash chain, its head.

    Also lists events this version cannot use (they are left out of every
    projection). Exit 1 on a problem. The head is the last event the store was seen
    to hold, kept beside it in STORE.head: a store that lost its newest events,
    or was replaced by an older copy, is behind its head. See
    docs/guarantees.md for what verify can and cannot catch.
    """
    app = context_app()
    store = app.store()
    if reset_head:
        from coffeechat.integrity import Head
        from coffeechat.integrity import reset_head as forget

        seq, last = store.tail()
        forget(store.path, Head(seq, last) if seq else None)
        if not app.json:
            click.echo(f"The head now says seq {seq}: this store, as it is, is the one to "
                       "check against.")
    report = store.verify()
    if app.json:
        document = {"ok": report.ok, "events": report.events, "problems": report.problems}
        output({**document, **({"notes": report.notes} if report.notes else {})})
    elif report.ok:
        click.echo(f"OK: {counted(report.events, 'event')}, hash chain intact")
        for note in report.notes:
            click.echo(f"note: {inline(note, None)}")
    else:
        for problem in report.problems:  # (quoting rows, which may hold anything)
            click.echo(f"problem: {inline(problem, None)}", err=True)
        click.echo(f"coffeechat: error: verify found {counted(len(report.problems), 'problem')}"
                   f" in {counted(report.events, 'event')}", err=True)
    if not report.ok:
        ctx.exit(1)


@click.command()
@click.argument("dest", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
@json_option
def backup(dest: str, force: bool) -> None:
    """Copy the whole store to DEST (a consistent copy, even while others write)."""
    app = context_app()
    target = Path(dest)
    if target.exists() and not force:
        raise BadInput(f"DEST: {dest} exists; choose a new path or pass --force")
    store = app.store()
    if Path(store.path).resolve() == target.resolve():
        raise BadInput("DEST: that is the store itself")
    own = {Path(store.path + suffix).resolve() for suffix in ("-wal", "-shm", "-journal",
                                                             HEAD_SUFFIX)}
    if target.resolve() in own:
        raise BadInput("DEST: that is one of the store's own files; choose another path")
    store.backup(target)
    if app.json:
        output({"dest": str(target), "events": store.count()})
    else:
        click.echo(f"Backed up {counted(store.count(), 'event')} to {target}")


@click.command()
@json_option
def plugins() -> None:
    """The loaded plugins: name, version, where each came from, and its hooks."""
    import msgspec

    from coffeechat.cli.render import table

    app = context_app()
    loaded = app.plugins().info()
    root = click.get_current_context().find_root()
    if isinstance(root.command, click.Group):  # (plugins' commands loaded: a clash is told)
        root.command.list_commands(root)
    if app.json:
        output([msgspec.structs.asdict(info) for info in loaded])
        return
    table(["NAME", "VERSION", "SOURCE", "HOOKS"],
          [[p.name, p.version or "", p.source + (f" ({p.package or p.path})"
                                                   if p.package or p.path else ""),
            ", ".join(p.hooks)] for p in loaded], stretch=3)


@click.command()
@json_option
def paths() -> None:
    """Where the store, config, templates, outbox and caches are.

    Each with whether it exists and why it is there: COFFEECHAT_HOME (one
    folder for everything), --db or COFFEECHAT_DB, config.toml (templates_dir,
    [email] outbox), "old folder" (found where everything lived before this
    version, and used until you move it), or the platform's default folder.
    Nothing is created. See docs/configuration.md#where-coffeechat-keeps-things.
    """
    from coffeechat import paths as where
    from coffeechat.config import Config, load_config
    from coffeechat.errors import ConfigError
    from coffeechat.integrity import head_path

    app = context_app()
    try:
        config = load_config()
    except ConfigError as error:  # where things are matters most when something is wrong
        click.echo(f"coffeechat: warning: {error.message} (showing the defaults)", err=True)
        config = Config()
    default = "COFFEECHAT_HOME" if where.home_override() is not None else "default"

    def placed(place: where.Place) -> tuple[str, str]:
        return place.path, "old folder" if place.old else default

    def configured(value: str | None, place: where.Place) -> tuple[str, str]:
        return (os.path.expanduser(value), "config.toml") if value else placed(place)

    if app.db:
        store = (app.db, "--db")
    elif os.environ.get("COFFEECHAT_DB"):
        store = (app.db_path, "COFFEECHAT_DB")
    else:
        store = placed(where.store_place())
    found = {
        "store": store,
        "head": (head_path(store[0]), store[1]),
        "config": placed(where.config_place()),
        "templates": configured(config.templates_dir, where.templates_place()),
        "outbox": configured(config.email.outbox, where.outbox_place()),
        "cache": (where.cache_folder(), default),
    }
    plugins_dir = app.plugins_dir or config.plugins_dir
    if plugins_dir:
        found["plugins_dir"] = (os.path.expanduser(plugins_dir),
                                "--plugins-dir" if app.plugins_dir else "config.toml")
    report = {name: {"path": path, "exists": os.path.exists(path), "from": source}
              for name, (path, source) in found.items()}
    if app.json:
        output(report)
        return
    from coffeechat.cli.render import table

    table(["WHAT", "PATH", "EXISTS", "FROM"],
          [[name, path, "yes" if report[name]["exists"] else "no", source]
           for name, (path, source) in found.items()], stretch=3)
