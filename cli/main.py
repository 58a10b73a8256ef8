"""The ``coffeechat`` command: global options, lazy subcommands, and error reporting.

Subcommands live in one module per group (record, read, maintenance, ...) and are
imported only when invoked, so ``coffeechat due`` never pays for the code of
``coffeechat met``.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from coffeechat import __version__
from coffeechat.errors import CoffeechatError

if TYPE_CHECKING:
    from coffeechat.config import Config
    from coffeechat.plugin_manager import Plugins
    from coffeechat.projections.projector import Projector
    from coffeechat.recording import Recorder
    from coffeechat.store import Store

# command name → "module:function", in the order `--help` lists them.
COMMANDS = {
    "init": "maintenance:init",
    "add": "record:add",
    "ask": "record:ask",
    "answer": "record:answer",
    "schedule": "record:schedule",
    "cancel": "record:cancel",
    "met": "record:met",
    "thank": "record:thank",
    "checkin": "record:checkin",
    "refer": "record:refer",
    "commit": "record:commit",
    "done": "record:done",
    "note": "record:note",
    "cadence": "record:cadence",
    "edit": "record:edit",
    "archive": "record:archive",
    "merge": "record:merge",
    "undo": "record:undo",
    "contacts": "read:contacts",
    "show": "read:show",
    "due": "read:due",
    "referrals": "read:referrals",
    "search": "read:search",
    "log": "read:log",
    "template": "templates:template_group",
    "calendar": "calendars:calendar_group",
    "watch": "watch:watch",
    "import": "transfer:import_group",
    "export": "transfer:export_group",
    "rebuild": "maintenance:rebuild",
    "verify": "maintenance:verify",
    "backup": "maintenance:backup",
    "plugins": "maintenance:plugins",
}


class App:
    """What every command shares: the store path, output mode, and lazily opened parts."""

    def __init__(self, db: str | None = None, json: bool = False) -> None:
        self.db = db
        self.json = json
        self.plugins_dir: str | None = None
        self.commands_added = False
        self._store: Store | None = None
        self._projector: Projector | None = None
        self._config: Config | None = None
        self._plugins: Plugins | None = None

    @property
    def db_path(self) -> str:
        if self.db:
            return self.db
        env = os.environ.get("COFFEECHAT_DB")
        if env:
            return env
        from coffeechat.config import default_db_path

        return str(default_db_path())

    def store(self) -> Store:
        if self._store is None:
            from coffeechat.store import open_store

            self._store = open_store(self.db_path)
        return self._store

    def config(self) -> Config:
        if self._config is None:
            from coffeechat.config import load_config

            self._config = load_config()
        return self._config

    def plugins(self) -> Plugins:
        """The plugins, loaded on first use (reads with nothing new never get here)."""
        if self._plugins is None:
            from coffeechat.plugin_manager import Plugins

            self._plugins = Plugins(self.config(), plugins_dir=self.plugins_dir)
        return self._plugins

    def load_event_types(self) -> None:
        """Register plugins' event types, for views that show raw events."""
        self.plugins().pm  # noqa: B018 - loading registers the types

    def projector(self) -> Projector:
        if self._projector is None:
            from coffeechat.projections.projector import Projector

            self._projector = Projector(self.store(), plugins=self.plugins())
        return self._projector

    def current(self) -> Store:
        """The store, with every projection caught up with the log."""
        from coffeechat.projections import is_current

        store = self.store()
        # The common case costs one query and a few stats, and loads no plugin.
        if not is_current(store.conn, check_plugins=True, plugins_dir=self.plugins_dir):
            self.projector().catch_up()
        return store

    def recorder(self) -> Recorder:
        from coffeechat.recording import Recorder

        # (the recorder catches the projections up itself)
        return Recorder(self.store(), self.projector(), plugins=self.plugins())

    def warn_plugin_failures(self) -> None:
        """Report plugins that failed (the command itself went on without them)."""
        if self._plugins is None:
            return
        for failure in self._plugins.failures:
            click.echo(f"coffeechat: warning: {failure}", err=True)

    @contextmanager
    def view(self, as_of: str | None) -> Iterator[tuple[str, str]]:
        """(schema, now) to query: the live projections, or the past rebuilt in memory."""
        from coffeechat import clock

        if as_of is None:
            self.current()
            yield "main", clock.stamp(clock.now())
            return
        moment = clock.stamp(clock.parse_when(as_of, where="--as-of", end_of_day=True,
                                              past=True))
        with self.projector().as_of(moment) as schema:
            yield schema, moment

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def when(value: str | None, where: str, *, end_of_day: bool = False, past: bool = False
         ) -> datetime:
    """A DATE/DATETIME option's value (now when not given); see clock.parse_when."""
    from coffeechat import clock

    if value is None:
        return clock.now()
    return clock.parse_when(value, where=where, end_of_day=end_of_day, past=past)


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(App).json = True


json_option = click.option(
    "--json", is_flag=True, expose_value=False, callback=_set_json,
    help="Print one JSON document on stdout.",
)


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use; plugins add more."""

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        app = ctx.ensure_object(App)
        if not app.commands_added:
            app.commands_added = True
            app.plugins().add_commands(self)
        return self.commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        plugin_commands = [n for n in sorted(self._plugin_commands(ctx)) if n not in COMMANDS]
        return list(COMMANDS) + plugin_commands

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return self._plugin_commands(ctx).get(cmd_name)
        module_name, attr = target.split(":")
        module = importlib.import_module(f"coffeechat.cli.{module_name}")
        return getattr(module, attr)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH", help="The store (default: $COFFEECHAT_DB, or "
              "coffeechat.db in the coffeechat folder).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.option("--plugins-dir", metavar="DIR",
              help="Also load one-off plugins from the *.py files in DIR.")
@click.version_option(__version__, prog_name="coffeechat")
@click.pass_context
def cli(ctx: click.Context, db: str | None, as_json: bool, plugins_dir: str | None) -> None:
    """coffeechat: keep every networking conversation followed up.

    Record contacts, asks, meetings, thank-yous and check-ins as events; see
    what is due with `coffeechat due`. Dates accept ISO 8601 (2026-11-28,
    2026-11-28T10:00), today, tomorrow, yesterday, a weekday (the next one), and
    offsets like +3d or -2w.
    """
    app = ctx.ensure_object(App)
    app.db, app.json, app.plugins_dir = db, app.json or as_json, plugins_dir
    ctx.call_on_close(app.close)


def main(args: list[str] | None = None) -> None:
    """Run the CLI: exit 0 on success, 1 on a user error (one line on stderr), 2 on usage."""
    import apsw

    app = App()
    try:
        code = cli.main(args=args, prog_name="coffeechat", standalone_mode=False, obj=app)
    except CoffeechatError as error:
        app.warn_plugin_failures()
        click.echo(f"coffeechat: error: {error.message}", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        click.echo("coffeechat: aborted", err=True)
        sys.exit(1)
    except BrokenPipeError:
        sys.stderr.close()  # e.g. `coffeechat log | head`
        sys.exit(0)
    except KeyboardInterrupt:
        click.echo("coffeechat: interrupted", err=True)
        sys.exit(130)
    except apsw.Error as error:
        click.echo(f"coffeechat: error: store: {error}", err=True)
        sys.exit(1)
    app.warn_plugin_failures()
    sys.exit(code if isinstance(code, int) else 0)


def context_app() -> App:
    return click.get_current_context().ensure_object(App)


def output(value: Any) -> None:
    """Write one JSON document to stdout."""
    from coffeechat.codec import encode_json

    sys.stdout.write(encode_json(value).decode() + "\n")
