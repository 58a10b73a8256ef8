"""The plugins of one run: a pluggy plugin manager behind ordinary typed methods.

Built-in plugins (``coffeechat.plugins.*``), installed packages (entry point
group ``coffeechat``) and one-off ``*.py`` files from a plugins folder all go
on the same ``pluggy.PluginManager``, and hooks are called the pluggy way
(``pm.hook.register_channels(register=..., config=...)``): pluggy orders the
implementations (the most recently registered first, ``tryfirst``/``trylast``),
stops at the first answer of a ``firstresult`` hook, runs new-style wrappers,
and ``COFFEECHAT_TRACE_PLUGINS=1`` traces every call through
``pm.add_hookcall_monitoring``.

What pluggy registers for each plugin is a stand-in whose implementations call
the plugin's through :class:`coffeechat.plugin_calls.Guard`
(:mod:`coffeechat.plugin_proxy`): from its import on, every call into a plugin
is isolated and time-limited, so a plugin that raises, returns garbage or hangs
is reported with its name and the rest carry on.

Loading is lazy: reads with nothing new to apply never get here, and a
built-in module is imported only when one of its hooks is first called, and
while only built-ins could load, a hook none of them implements (rules,
projections, ``event_appended``, commands) is answered without loading anything.
``COFFEECHAT_LOAD_PLUGINS`` is an allow-list of plugin names (comma separated;
empty means built-ins only).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import msgspec

from coffeechat import __version__
from coffeechat.config import Config
from coffeechat.plugin_sources import (
    GROUP,
    allowed_plugins,
    import_entry_point,
    import_file,
    installed_entry_points,
)
from coffeechat.plugin_sources import environment_fingerprint as environment_fingerprint

if TYPE_CHECKING:
    import click
    import pluggy

    from coffeechat.channels import Channel, Message
    from coffeechat.codec import Event
    from coffeechat.fold import ContactState
    from coffeechat.notebook import Parser
    from coffeechat.plugin_calls import Guard, PluginFailure
    from coffeechat.projections.base import Projection
    from coffeechat.rules import FollowUp
    from coffeechat.store import Store
    from coffeechat.views import ViewContext

    PluginRule = Callable[[ContactState], Iterable[FollowUp]]
    Registered = list[tuple[str, list[tuple[Any, ...]]]]  # (plugin, its registrations)

# The built-in plugins, with the hooks each implements (a test keeps this true):
# a built-in is imported only when one of its hooks is first called, so a
# command pays only for the built-ins it uses. They are registered first, so
# pluggy calls them last: a plugin's channel or note type of the same name wins.
BUILTINS: dict[str, tuple[str, ...]] = {
    "coffeechat.plugins.channels": ("register_channels",),
    "coffeechat.plugins.email": ("register_channels",),
    "coffeechat.plugins.templates": ("register_template_dirs", "compose_message"),
    "coffeechat.plugins.notes": ("register_note_parsers",),
    "coffeechat.plugins.notes_sync": ("register_event_types",),
    "coffeechat.plugins.markdown_views": ("register_views",),
    "coffeechat.plugins.importers": ("register_importers",),
}
_BUILTIN_ORDER = {name.rsplit(".", 1)[1]: n for n, name in enumerate(BUILTINS)}
_BUILTIN_HOOKS = frozenset(hook for hooks in BUILTINS.values() for hook in hooks)
BUILTIN, ENTRY_POINT, PLUGINS_DIR = "built-in", "entry point", "plugins dir"


class PluginInfo(msgspec.Struct):
    name: str
    version: str | None
    source: str  # built-in, entry point, plugins dir
    hooks: list[str]
    package: str | None = None  # the distribution, for an entry point
    path: str | None = None  # the file, for a plugins-dir plugin


class Plugins:
    """The loaded plugins of one coffeechat run, behind ordinary typed methods."""

    def __init__(self, config: Config, *, plugins_dir: str | None = None) -> None:
        self.config = config
        folder = plugins_dir or config.plugins_dir
        self.plugins_dir = os.path.expanduser(folder) if folder else None
        self.trace = os.environ.get("COFFEECHAT_TRACE_PLUGINS") == "1"
        self._info: dict[str, PluginInfo] = {}
        self._pm: pluggy.PluginManager | None = None
        self._channels: dict[str, Channel] | None = None
        self._rules: list[tuple[str, str, PluginRule, int]] | None = None  # plugin first
        self._projections: list[Projection] | None = None
        self._owners: dict[str, str] = {}  # projection name → the plugin that registered it
        self._outsiders: bool | None = None  # could a plugin other than the built-ins load?

    @property
    def configured_dir(self) -> str | None:
        """The plugins folder config.toml names: the one in use without ``--plugins-dir``."""
        folder = self.config.plugins_dir
        return os.path.expanduser(folder) if folder else None

    @functools.cached_property
    def guard(self) -> Guard:
        """What isolates every call into a plugin (made when a plugin is first reached:
        a command that records with the built-ins alone never imports plugin_calls)."""
        from coffeechat.plugin_calls import Guard

        return Guard()

    @property
    def failures(self) -> list[PluginFailure]:
        """What failed in this run, once per plugin and place (for the warnings)."""
        return self.guard.failures if "guard" in self.__dict__ else []

    # -- loading --------------------------------------------------------------------

    def _nobody_implements(self, hook_name: str) -> bool:
        """Whether calling ``hook_name`` would reach no plugin, known without loading any.

        True while nothing is loaded, no built-in implements the hook, and only
        built-ins could load (no allowed entry point, no plugins folder): so a
        command that records with the built-ins alone imports no plugin to ask
        for rules, projections or ``event_appended`` listeners that none has.
        (Not when tracing: the trace shows the loading.)
        """
        if self._pm is not None or hook_name in _BUILTIN_HOOKS or self.trace:
            return False
        if self._outsiders is None:
            names = allowed_plugins()
            self._outsiders = bool(self.plugins_dir) or any(
                names is None or ep.name in names for ep in installed_entry_points())
        return not self._outsiders

    @property
    def pm(self) -> pluggy.PluginManager:
        """The pluggy plugin manager, every plugin registered (on first use)."""
        if self._pm is None:
            self._pm = self._load()
        return self._pm

    def _load(self) -> pluggy.PluginManager:
        import pluggy

        from coffeechat import hookspecs
        from coffeechat.plugin_proxy import LazyBuiltin

        pm = pluggy.PluginManager(GROUP)
        pm.add_hookspecs(hookspecs)
        if self.trace:
            pm.add_hookcall_monitoring(_trace_before, _trace_after)
        self._pm = pm
        for module_name, hooks in BUILTINS.items():
            short = module_name.rsplit(".", 1)[1]
            pm.register(LazyBuiltin(self.guard, short, module_name, hooks, hookspecs), short)
            self._info[short] = PluginInfo(name=short, version=__version__, source=BUILTIN,
                                           hooks=[])
        names = allowed_plugins()
        for ep in installed_entry_points():
            if names is None or ep.name in names:
                self._register(ep.name, ENTRY_POINT, ep.version,
                               partial(import_entry_point, ep.value), package=ep.dist)
        if self.plugins_dir:
            self._load_folder(self.plugins_dir, names)
        self._check_pending(pm)
        self._register_types()
        return pm

    def _register(self, name: str, source: str, version: str | None, load: Callable[[], Any],
                  *, package: str | None = None, path: str | None = None) -> None:
        pm = self._pm
        assert pm is not None
        if pm.has_plugin(name):
            self.guard.fail(name, "load", "a plugin of that name is loaded")
            return
        # Importing runs the plugin's code: isolated and time-limited like a hook.
        ok, _ = self.guard.call(name, "load", self._register_guarded, pm, name, load)
        if ok:
            self._info[name] = PluginInfo(name=name, version=version, source=source, hooks=[],
                                          package=package, path=path)

    def _register_guarded(self, pm: pluggy.PluginManager, name: str,
                          load: Callable[[], Any]) -> None:
        from coffeechat.plugin_proxy import guarded_plugin

        pm.register(guarded_plugin(pm, self.guard, name, load()), name=name)

    def _load_folder(self, folder: str, allowed: set[str] | None) -> None:
        try:
            files = sorted(f for f in os.listdir(folder) if f.endswith(".py"))
        except OSError as error:
            self.guard.fail(folder, "load", f"plugins dir: {error.strerror}")
            return
        for file_name in files:
            name = file_name[:-3]
            if allowed is not None and name not in allowed:
                continue
            path = os.path.join(folder, file_name)
            self._register(name, PLUGINS_DIR, None, partial(import_file, name, path), path=path)

    def _check_pending(self, pm: pluggy.PluginManager) -> None:
        """``pm.check_pending()``: a plugin with a hook no spec knows (misspelled) is left out."""
        import pluggy

        while True:
            try:
                pm.check_pending()
                return
            except pluggy.PluginValidationError as error:
                name = pm.get_name(error.plugin) or "?"
                self.guard.fail(name, "load", str(error))
                pm.unregister(error.plugin)
                self._info.pop(name, None)

    def _register_types(self) -> None:
        from coffeechat.codec import register_upcaster
        from coffeechat.events import register_event_type

        self.pm.hook.register_event_types(register=register_event_type)
        self.pm.hook.register_upcasters(register=register_upcaster)

    # -- calling hooks ----------------------------------------------------------------

    def registered(self, hook_name: str, shape: Callable[..., tuple[Any, ...]],
                   **kwargs: Any) -> Registered:
        """Call a ``register``-style hook: (plugin, its registrations), in pluggy's call order.

        ``shape`` checks one registration's arguments (see plugin_calls): a bad
        one is reported and left out. A plugin that raises part way registers nothing.
        Where two plugins register one name, the first called should win.
        """
        if self._nobody_implements(hook_name):
            return []
        from coffeechat.plugin_proxy import Registrar

        registrar = Registrar(self.guard, hook_name, shape)
        getattr(self.pm.hook, hook_name)(register=registrar, **kwargs)
        return registrar.calls

    def _last_wins(self, hook_name: str, shape: Callable[..., tuple[Any, ...]], **kwargs: Any
                   ) -> list[tuple[str, tuple[Any, ...]]]:
        """(plugin, registration) pairs, the one that should win last.

        Plugin by plugin in the reverse of pluggy's call order (so built-ins
        first), each plugin's in its own order: where two register one name,
        the later replaces the earlier.
        """
        return [(plugin, args) for plugin, registered
                in reversed(self.registered(hook_name, shape, **kwargs))
                for args in registered]

    # -- what plugins provide ---------------------------------------------------------

    def channels(self) -> dict[str, Channel]:
        """Every channel by name; of two of one name, the one pluggy calls first."""
        from coffeechat.plugin_calls import channel_shape

        if self._channels is None:
            self._channels = {channel.name: channel for _plugin, (channel,) in self._last_wins(
                "register_channels", channel_shape, config=self.config)}
        return self._channels

    def followup_rules(self) -> list[tuple[str, PluginRule, int]]:
        """(kind name, rule, version) of every plugin rule, each rule guarded and checked.

        Each call starts fresh time budgets (see ``RuleRunner``): ask once per catch-up.
        """
        if self._rules is None:
            if self._nobody_implements("register_followup_rules"):
                self._rules = []  # (nor is plugin_calls imported)
            else:
                from coffeechat.plugin_calls import rule_shape

                self._rules = [(plugin, *args) for plugin, args in self._last_wins(
                    "register_followup_rules", rule_shape, config=self.config)]
        if not self._rules:
            return []
        from coffeechat.plugin_calls import RuleRunner

        return [(name, RuleRunner(self.guard, plugin, name, rule), version)
                for plugin, name, rule, version in self._rules]

    def projections(self) -> list[Projection]:
        """Plugins' projections (a name or a table already taken, by us or not, is refused)."""
        if self._projections is None:
            self._projections = []
            if self._nobody_implements("register_projections"):
                return self._projections  # (nor is plugin_calls imported)
            from coffeechat.plugin_calls import projection_shape
            from coffeechat.projections import VERSIONS
            from coffeechat.projections.isolation import builtin_name

            taken: set[str] = set()
            for plugin, (projection,) in self._last_wins("register_projections",
                                                         projection_shape, config=self.config):
                name, tables = projection.name, {t.lower() for t in projection.tables}
                clash = sorted(t for t in tables if t in taken or builtin_name(t))
                if name in VERSIONS or name in self._owners or clash:
                    what = f"table {clash[0]!r}" if clash else f"a projection named {name!r}"
                    self.guard.fail(plugin, "register_projections", f"{what} is taken")
                    continue
                self._owners[name] = plugin
                taken |= tables
                self._projections.append(projection)
        return self._projections

    def owner(self, projection: Projection) -> str | None:
        """The plugin that registered ``projection`` (None for a built-in one)."""
        self.projections()
        return self._owners.get(projection.name)

    def note_parsers(self) -> dict[str, Parser]:
        """Note type → parser; of two for one type, the one pluggy calls first."""
        return self._named("register_note_parsers", "note type")

    def views(self) -> dict[str, Callable[[ViewContext], dict[str, str]]]:
        """View name → render function (the notes folder's Markdown views)."""
        return self._named("register_views", "view")

    def _named(self, hook_name: str, what: str) -> dict[str, Callable[..., Any]]:
        from coffeechat.plugin_calls import named_shape

        return {args[0]: args[1] for _plugin, args in self._last_wins(hook_name,
                                                                       named_shape(what))}

    def fingerprint(self) -> str:
        """What plugin rules and projections are loaded, at which versions."""
        parts = [f"rule:{name}:{version}" for name, _rule, version in self.followup_rules()]
        parts += [f"projection:{p.name}:{p.version}" for p in self.projections()]
        return ",".join(sorted(parts))

    def add_commands(self, cli: click.Group) -> None:
        if self._nobody_implements("register_commands"):
            return
        self.pm.hook.register_commands(cli=cli)

    def template_dirs(self) -> list[str]:
        """Folders of message templates that plugins registered, the first called first."""
        from coffeechat.plugin_calls import folder_shape

        return [args[0] for _plugin, registered in self.registered("register_template_dirs",
                                                                    folder_shape)
                for args in registered]

    def compose_message(self, kind: str, state: ContactState, to: str | None, nudge: bool,
                        template: str | None, store: Store) -> Message | None:
        """The first message a plugin composes (``firstresult``), else None.

        Unlike other hooks, a plugin that fails here (raises, hangs past the
        time limit, returns something else than a ``Message``) stops the
        command: a message that cannot be composed must not be sent or recorded.
        """
        message: Message | None = self.pm.hook.compose_message(
            kind=kind, state=state, to=to, nudge=nudge, template=template, store=store,
            template_dirs=self.template_dirs())
        return message

    def implements(self, hook_name: str) -> bool:
        """Whether any loaded plugin implements this hook."""
        if self._nobody_implements(hook_name):
            return False
        return bool(getattr(self.pm.hook, hook_name).get_hookimpls())

    def event_appended(self, events: Iterable[Event], store: Store) -> None:
        """Tell every plugin about each committed event; failures are kept, not raised.

        A plugin that timed out is not called again for the rest of the batch.
        """
        if self._nobody_implements("event_appended"):
            return
        hook = self.pm.hook.event_appended
        for event in events:
            hook(event=event, store=store)

    def info(self) -> list[PluginInfo]:
        """Loaded plugins with the hooks each implements: built-ins first."""
        pm = self.pm
        for name, info in self._info.items():
            callers = pm.get_hookcallers(pm.get_plugin(name)) or []
            info.hooks = sorted(caller.name for caller in callers)
        return sorted(self._info.values(), key=lambda i: _BUILTIN_ORDER.get(i.name, 99))


# -- COFFEECHAT_TRACE_PLUGINS=1 ---------------------------------------------------------


def _trace_before(hook_name: str, impls: Sequence[pluggy.HookImpl],
                  kwargs: Mapping[str, object]) -> None:
    for impl in reversed(impls):  # (pluggy calls the list from its end)
        print(f"coffeechat: hook {hook_name} -> {impl.plugin_name}", file=sys.stderr)


def _trace_after(outcome: pluggy.Result[Any], hook_name: str,
                 impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, object]) -> None:
    if outcome.exception is not None:
        from coffeechat.plugin_calls import describe

        print(f"coffeechat: hook {hook_name} stopped: {describe(outcome.exception)}",
              file=sys.stderr)
