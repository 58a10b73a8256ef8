"""The ``coffeechat`` command: global options, lazy subcommands, and error reporting.

Subcommands live in one module per group (record, read, maintenance, ...) and are
imported only when invoked, so ``coffeechat due`` never pays for the code of
``coffeechat met``.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

import click

from coffeechat import __version__
from coffeechat.errors import CoffeechatError, visible

if TYPE_CHECKING:
    from coffeechat.config import Config
    from coffeechat.plugin_manager import Plugins
    from coffeechat.projections.projector import Projector
    from coffeechat.recording import Recorder
    from coffeechat.store import Store

# The commands, in the sections and order `--help` lists them: name → ("module:function",
# the first paragraph of its help). The lines are here so that `--help` imports no
# command module; a test keeps them equal to the commands' own. Plugins' commands join
# the integrations.
SECTIONS: dict[str, dict[str, tuple[str, str]]] = {
    "Recording (each appends events)": {
        "add": ("record:add", "Add a contact: a person to reach out to."),
        "ask": ("record:ask", "Record an ask for a 20-30 minute conversation."),
        "answer": ("record:answer", "Record the answer to an open request."),
        "schedule": ("record:schedule",
                     "Schedule a meeting (a later schedule replaces an earlier one)."),
        "cancel": ("record:cancel", "Cancel the scheduled meeting with CONTACT."),
        "met": ("record:met",
                "Record a meeting that happened, with notes, takeaways, referrals and "
                "commitments."),
        "thank": ("record:thank", "Record a thank-you (due within 24 hours of a meeting)."),
        "checkin": ("record:checkin", "Record a check-in that keeps the relationship warm."),
        "refer": ("record:refer", "CONTACT introduced me to NAME: add NAME, referred by CONTACT."),
        "commit": ("record:commit",
                   "Record a promise I made to CONTACT; `done` takes the printed id."),
        "done": ("record:done",
                 "Close a follow-up by recording what closed it (HANDLE, from `due`)."),
        "skip": ("record:skip",
                 "Dismiss a follow-up without doing it (HANDLE, from `due`)."),
        "snooze": ("record:snooze",
                   "Put a follow-up off: due again at DATE (HANDLE, from `due`)."),
        "note": ("record:note", "Add a note to a contact's timeline."),
        "cadence": ("record:cadence",
                    "Check in with CONTACT every DAYS days (instead of the default)."),
        "edit": ("record:edit", "Change a contact's details."),
        "archive": ("record:archive",
                    "Archive a contact: no more follow-ups (undo brings them back)."),
        "merge": ("record:merge",
                  "CONTACT_B is the same person as CONTACT_A: make them one contact."),
        "undo": ("record:undo",
                 "Retract EVENT_ID, a whole batch, or the whole last recorded command."),
    },
    "Reading (all take --as-of)": {
        "contacts": ("read:contacts", "Your relationships: stage, last touch and next follow-up."),
        "show": ("read:show", "A contact's profile, open follow-ups and timeline."),
        "due": ("read:due", "Follow-ups that are overdue or due soon, oldest first."),
        "referrals": ("read:referrals", "The referral tree: who introduced you to whom."),
        "search": ("read:search", "Search names, notes, takeaways and commitments."),
        "log": ("read:log", "The raw events, in the order they were recorded."),
        "reconnect": ("keep_in_touch:reconnect",
                      "The people you are losing touch with, worst first."),
        "today": ("keep_in_touch:today",
                  "The day on one screen: overdue, due today, meetings, birthdays, reconnect."),
        "stats": ("insight:stats",
                  "How your networking is going: the funnel, replies, follow-through, referrals."),
        "report": ("insight:report",
                   "Write one self-contained HTML page: pipeline, due list, charts, referral "
                   "tree."),
    },
    "Integrations": {
        "watch": ("watch:watch",
                  "Record from a folder of Markdown notes and keep Markdown views up to date."),
        "import": ("transfer:import_group", "Bring contacts or another device's log in."),
        "export": ("transfer:export_group", "Write the log (or the calendar) out."),
        "template": ("templates:template_group",
                     "Message templates: the built-in ones, yours, and plugins'."),
        "calendar": ("calendars:calendar_group",
                     "Your meetings and follow-ups in your calendar app (CalDAV)."),
    },
    "Maintenance": {
        "init": ("maintenance:init", "Create the store (it is also created on first use)."),
        "rebuild": ("maintenance:rebuild", "Rebuild every projection from the whole log."),
        "verify": ("maintenance:verify",
                   "Check the store: integrity, the append-only triggers, the hash chain, its "
                   "head."),
        "backup": ("maintenance:backup",
                   "Copy the whole store to DEST (a consistent copy, even while others write)."),
        "plugins": ("maintenance:plugins",
                    "The loaded plugins: name, version, where each came from, and its hooks."),
        "paths": ("maintenance:paths",
                  "Where the store, config, templates, outbox and caches are."),
    },
}
PLUGIN_SECTION = "Integrations"
COMMANDS = {name: target for section in SECTIONS.values()
            for name, (target, _line) in section.items()}


class App:
    """What every command shares: the store path, output mode, and lazily opened parts."""

    def __init__(self, db: str | None = None, json: bool = False) -> None:
        self.db = db
        self.json = json
        self.plugins_dir: str | None = None
        self.plugin_commands: MutableMapping[str, click.Command] | None = None  # on first use
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
        for failure in self._plugins.failures:  # (its message may quote names from the log)
            click.echo(f"coffeechat: warning: {visible(str(failure))}", err=True)

    @contextmanager
    def view(self, as_of: str | None) -> Iterator[tuple[str, str]]:
        """(schema, now) to query: the live projections, or the past rebuilt in memory."""
        from coffeechat import clock

        if as_of is None:
            self.current().map_for_reading()  # (a view reads many pages: no read() each)
            yield "main", clock.stamp(clock.now())
            return
        self.store().map_for_reading()
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


_JSON: dict[str, Any] = {"is_flag": True, "expose_value": False, "callback": _set_json,
         "help": "Print one JSON document on stdout."}

# `--json` after a command's name: the same as `coffeechat --json COMMAND`.
json_option = click.option("--json", **_JSON)

# Every view's `--as-of` (App.view reads it).
as_of_option = click.option(
    "--as-of", metavar="DATE",
    help="Show the state as recorded by DATE, judged at DATE (a date means its end).",
)


class _ReaderGone(Exception):
    """stdout's reader went away (``coffeechat log | head -1``), carried past click.

    click's ``main`` turns a broken pipe into exit status 1, even outside its standalone
    mode; :func:`main` ends such a run quietly instead.
    """


@contextmanager
def _reader_gone_past_click() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError as error:
        if _stdout_gone():
            raise _ReaderGone from error
        raise


def _stdout_gone() -> bool:
    """Whether stdout is a pipe whose reader went away, rather than some other pipe broken.

    A broken pipe a plugin opened itself (to a child process, a socket) is its failure,
    not the end a closed ``| head`` asks for. A pipe with no reader polls as an error.
    """
    import select

    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # (a stream with no file: in-process)
        return False
    if not hasattr(select, "poll"):  # (Windows: no poll(); a broken pipe there is stdout's)
        return True
    poller = select.poll()
    poller.register(descriptor, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _fd, events in poller.poll(0))


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use; plugins add more."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        with _reader_gone_past_click():  # (`--help` and `--version` print while parsing)
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with _reader_gone_past_click():  # (every command runs inside the group's invoke)
            return super().invoke(ctx)

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        app = ctx.ensure_object(App)
        if app.plugin_commands is None:
            # (click looks a command up before it runs the group's callback)
            app.plugins_dir = app.plugins_dir or ctx.find_root().params.get("plugins_dir")
            added = PluginCommands("coffeechat")
            app.plugin_commands = added.commands
            plugins = app.plugins()
            plugins.add_commands(added)
            for name, plugin in sorted(added.owners.items()):
                if name in COMMANDS:  # (coffeechat's own stays: a script relies on it)
                    plugins.guard.fail(plugin, "register_commands", f"a command named {name!r}"
                                       " is coffeechat's own: the plugin's was left out")
            for plugin, name, owner in added.clashes:
                plugins.guard.fail(plugin, "register_commands", f"plugin {owner!r} adds a "
                                   f"command named {name!r} too: this one was left out")
        return {name: command for name, command in app.plugin_commands.items()
                if name not in COMMANDS}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS) + sorted(self._plugin_commands(ctx))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return self._plugin_commands(ctx).get(cmd_name)
        module_name, attr = target.split(":")
        module = importlib.import_module(f"coffeechat.cli.{module_name}")
        return getattr(module, attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands in sections, from SECTIONS: no command module is imported."""
        sections = {title: [(name, line) for name, (_target, line) in commands.items()]
                    for title, commands in SECTIONS.items()}
        try:
            plugin = [(name, command) for name, command in self._plugin_commands(ctx).items()
                      if not command.hidden]
        except CoffeechatError as error:  # help still helps with a broken config.toml
            click.echo(f"coffeechat: warning: {error.message} (plugin commands not listed)",
                       err=True)
            plugin = []
        width = max(len(name) for name in [*COMMANDS, *(name for name, _ in plugin)])
        limit = formatter.width - 6 - width
        sections[PLUGIN_SECTION] += [(name, command.get_short_help_str(limit))
                                     for name, command in sorted(plugin)]
        for title, lines in sections.items():
            with formatter.section(title):
                # (names padded alike, so every section's column lines up)
                formatter.write_dl([(name.ljust(width), _shorten(line, limit))
                                    for name, line in lines])

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[Any]:
        """Command names (and options), without importing a command module."""
        from click.shell_completion import CompletionItem

        lines = {name: line for section in SECTIONS.values()
                 for name, (_target, line) in section.items()}
        try:
            plugin = self._plugin_commands(ctx)
        except CoffeechatError:  # a broken config: complete the built-in commands
            plugin = {}
        lines.update((name, command.get_short_help_str()) for name, command
                     in sorted(plugin.items()) if not command.hidden)
        items = [CompletionItem(name, help=line) for name, line in lines.items()
                 if name.startswith(incomplete)]
        return items + click.Command.shell_complete(self, ctx, incomplete)


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - 3, 0)].rsplit(" ", 1)[0].rstrip(",;:") + "..."


class PluginCommands(click.Group):
    """What ``register_commands`` gets: each command added here accepts ``--json``, and
    an error it did not expect is told in one line, as the built-in commands' are."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.owners: dict[str, str] = {}  # command name → the plugin that added it
        self.clashes: list[tuple[str, str, str]] = []  # (plugin, command, the one that has it)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        from coffeechat.plugin_calls import running_plugin

        ours = _as_ours(cmd)
        name = name or ours.name or "?"
        plugin = running_plugin() or "?"
        owner = self.owners.get(name)
        if owner is not None and owner != plugin:  # (the one pluggy called first keeps it)
            self.clashes.append((plugin, name, owner))
            return
        super().add_command(ours, name)
        self.owners[name] = plugin


def _as_ours(command: click.Command) -> click.Command:
    """A copy of a plugin's command (and its subcommands) that accepts ``--json`` (unless
    it has its own) and whose unexpected errors end the run with one line."""
    import copy

    copied = copy.copy(command)
    if not any("--json" in getattr(param, "opts", ()) for param in command.params):
        copied.params = [*command.params, click.Option(["--json"], **_JSON)]
    if copied.callback is not None:
        copied.callback = _one_line_errors(copied.callback, copied.name or "?")
    if isinstance(copied, click.Group):
        copied.commands = {name: _as_ours(sub) for name, sub in copied.commands.items()}
    return copied


def _one_line_errors(callback: Any, name: str) -> Any:
    """``callback``, with an exception that is not one of coffeechat's or click's turned
    into a one-line error naming the command (``COFFEECHAT_TRACE_PLUGINS=1``: the
    traceback instead, for the plugin's author)."""
    import functools

    from coffeechat.errors import describe_error

    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except (CoffeechatError, click.ClickException, click.exceptions.Exit,
                click.exceptions.Abort):
            raise
        except Exception as error:
            if isinstance(error, BrokenPipeError) and _stdout_gone():
                raise  # (its reader went away: the run ends quietly, see main)
            if os.environ.get("COFFEECHAT_TRACE_PLUGINS") == "1":
                raise
            raise CoffeechatError(
                f"plugin command {name!r} failed: {describe_error(error)} "
                "(COFFEECHAT_TRACE_PLUGINS=1 shows where)") from error

    return run


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH", help="The store (default: $COFFEECHAT_DB, or "
              "coffeechat.db in the data folder: see `coffeechat paths`).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.option("--plugins-dir", metavar="DIR", is_eager=True,  # (read by --help: plugin commands)
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

    from coffeechat.cli.render import color_setting

    app = App()
    try:
        code = cli.main(args=args, prog_name="coffeechat", standalone_mode=False, obj=app,
                        color=color_setting())
    except CoffeechatError as error:
        app.warn_plugin_failures()
        click.echo(f"coffeechat: error: {error.message}", err=True)
        sys.exit(1)
    except click.ClickException as error:
        flat = _one_line(error.format_message())  # (a plugin's may hold newlines)
        error.format_message = lambda: flat  # type: ignore[method-assign]
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Abort as error:
        if isinstance(error.__cause__, KeyboardInterrupt):  # (click's word for a Ctrl-C)
            click.echo("coffeechat: interrupted", err=True)
            sys.exit(130)
        click.echo("coffeechat: aborted", err=True)
        sys.exit(1)
    except (_ReaderGone, BrokenPipeError):  # (the latter from the last flush, below)
        _end_for_a_reader_gone()
    except OSError as error:  # (stdout on a full disk, say: `coffeechat log > /dev/full`)
        _end_for_an_os_error(error)
    except KeyboardInterrupt:
        click.echo("coffeechat: interrupted", err=True)
        sys.exit(130)
    except apsw.Error as error:
        click.echo(f"coffeechat: error: store: {error}", err=True)
        sys.exit(1)
    except UnicodeEncodeError as error:  # (a read given argv bytes that are not UTF-8)
        if "surrogate" not in str(error.reason):
            raise
        click.echo("coffeechat: error: an argument is not UTF-8 text: check the terminal's "
                   "encoding", err=True)
        sys.exit(1)
    app.warn_plugin_failures()
    try:  # (print() leaves output in the buffer: flushed here, a broken pipe is caught)
        sys.stdout.flush()
    except BrokenPipeError:
        _end_for_a_reader_gone()
    except OSError as error:
        _end_for_an_os_error(error)
    sys.exit(code if isinstance(code, int) else 0)


def _end_for_a_reader_gone() -> NoReturn:
    """End a run whose stdout reader went away (``coffeechat log | head -1``): quietly, 0.

    Status 0, as ripgrep gives, not 141 (128 + SIGPIPE, what git's death by the signal
    shows): the reader took what it wanted, whatever the command recorded was committed
    before it printed, and under ``set -o pipefail`` a non-zero status would fail every
    script that pipes ``coffeechat log`` into ``head``.
    """
    _stdout_to_nowhere()
    sys.exit(0)


def _end_for_an_os_error(error: OSError) -> NoReturn:
    """End a run that the system failed (output to a full disk, a file gone): one line, 1."""
    where = f" ({error.filename})" if error.filename else ""
    click.echo(f"coffeechat: error: {error.strerror or error}{where}", err=True)
    _stdout_to_nowhere()
    sys.exit(1)


def _stdout_to_nowhere() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush of what is still
    buffered has somewhere to go (not "Exception ignored ..." on stderr)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # (stdout is no file: in-process, a test's capture)
        pass


def _one_line(message: str) -> str:
    """A click error's message as one line: its lines joined by " / " and other control
    characters shown as \\xNN, as :class:`CoffeechatError` shows them."""
    lines = [line.strip() for line in message.splitlines()]
    return CoffeechatError(" / ".join(line for line in lines if line)).message


def context_app() -> App:
    """The running app, inside any command (a plugin's too).

    ``context_app().json`` is true when JSON was asked for, with ``--json``
    before the command's name or after it; ``.store()``, ``.recorder()`` and
    ``.config()`` give the rest.
    """
    return click.get_current_context().ensure_object(App)


def output(value: Any) -> None:
    """Write one JSON document to stdout, as every command does for ``--json``.

    Times become UTC RFC 3339 with ``Z``, msgspec structs become objects.
    """
    import msgspec  # (not through coffeechat.codec, which loads every event type)

    data = msgspec.json.encode(value) + b"\n"
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # (a text-only stream stands in for stdout)
        sys.stdout.write(data.decode())
        return
    # The bytes as they are: `today --json` on the 100k store is 570 KB of UTF-8, and
    # decoding it for the text layer to encode it again cost ~3 ms.
    sys.stdout.flush()
    remaining = memoryview(data)
    while remaining:  # (unbuffered, `python -u`, stdout is the raw file: it may take a part)
        written = buffer.write(remaining)
        if written is None:  # (a non-blocking pipe that is full: wait until it drains)
            import select

            select.select([], [buffer], [])
        remaining = remaining[written or 0:]
    buffer.flush()
