"""Finding plugins, loading them once, and calling their hooks one plugin at a time.

Built-in plugins (``coffeechat.plugins.*``), installed packages (entry point
group ``coffeechat``) and one-off ``*.py`` files from a plugins folder all go
on the same pluggy plugin manager. Loading is lazy: reads with nothing new to
apply never get here. Every call into a plugin, from its import on, goes
through :class:`coffeechat.plugin_calls.Guard`: isolated and time-limited, so a
plugin that raises, returns garbage or hangs is reported with its name and the
rest carry on.

``COFFEECHAT_LOAD_PLUGINS`` is an allow-list of plugin names (comma separated;
empty means built-ins only). ``COFFEECHAT_TRACE_PLUGINS=1`` traces hook calls
to stderr.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Iterable
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
    import pluggy

    from coffeechat.channels import Channel, Message
    from coffeechat.codec import Event
    from coffeechat.fold import ContactState
    from coffeechat.plugin_calls import Guard, PluginFailure
    from coffeechat.projections.base import Projection
    from coffeechat.rules import FollowUp
    from coffeechat.store import Store

    PluginRule = Callable[[ContactState], Iterable[FollowUp]]

# The built-in plugins, with the hooks each implements (a test keeps this true):
# a built-in is imported only when one of its hooks is first called, so a
# command pays only for the built-ins it uses.
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
        from coffeechat.plugin_calls import Guard

        self.guard: Guard = Guard()
        self.trace = os.environ.get("COFFEECHAT_TRACE_PLUGINS") == "1"
        self._info: dict[str, PluginInfo] = {}
        self._pm: pluggy.PluginManager | None = None
        self._channels: dict[str, Channel] | None = None
        self._rules: list[tuple[str, str, PluginRule, int]] | None = None  # plugin first
        self._projections: list[Projection] | None = None
        self._owners: dict[str, str] = {}  # projection name → the plugin that registered it

    @property
    def failures(self) -> list[PluginFailure]:
        """What failed in this run, once per plugin and place (for the warnings)."""
        return self.guard.failures

    # -- loading --------------------------------------------------------------------

    @property
    def pm(self) -> pluggy.PluginManager:
        if self._pm is None:
            self._pm = self._load()
        return self._pm

    def _load(self) -> pluggy.PluginManager:
        import pluggy

        from coffeechat import hookspecs

        pm = pluggy.PluginManager(GROUP)
        pm.add_hookspecs(hookspecs)
        self._pm = pm
        self._builtins_for("register_event_types")
        self._builtins_for("register_upcasters")
        names = allowed_plugins()
        for ep in installed_entry_points():
            if names is None or ep.name in names:
                self._register(ep.name, ENTRY_POINT, ep.version,
                               lambda v=ep.value: import_entry_point(v), package=ep.dist)
        if self.plugins_dir:
            self._load_folder(self.plugins_dir, names)
        self._check_pending(pm)
        self._refuse_wrappers(pm)
        self._register_types()
        return pm

    def _refuse_wrappers(self, pm: pluggy.PluginManager) -> None:
        """Each hook implementation is called on its own, so wrappers cannot work: say so."""
        for name in list(self._info):
            plugin = pm.get_plugin(name)
            for caller in pm.get_hookcallers(plugin) or []:
                for impl in caller.get_hookimpls():
                    if impl.plugin is plugin and (impl.hookwrapper or impl.wrapper):
                        self.guard.fail(name, "load",
                                        f"{caller.name}: wrapper hooks are not supported")
                        pm.unregister(plugin)
                        self._info.pop(name, None)
                        break
                if name not in self._info:
                    break

    def _builtins_for(self, hook_name: str | None) -> None:
        """Register the built-ins that implement ``hook_name`` (all, for None), if not yet."""
        assert self._pm is not None, "load the plugins first"
        for module_name, hooks in BUILTINS.items():
            short = module_name.rsplit(".", 1)[1]
            if (hook_name is None or hook_name in hooks) and not self._pm.has_plugin(short):
                self._register(short, BUILTIN, __version__,
                               lambda m=module_name: importlib.import_module(m))

    def _impls(self, hook_name: str) -> list[Any]:
        """A hook's implementations: built-ins first, then the rest as registered."""
        pm = self.pm  # (loads the plugins on first use)
        self._builtins_for(hook_name)
        impls = getattr(pm.hook, hook_name).get_hookimpls()
        return sorted(impls, key=lambda impl: _BUILTIN_ORDER.get(impl.plugin_name, 99))

    def _register(self, name: str, source: str, version: str | None, load: Callable[[], Any],
                  *, package: str | None = None, path: str | None = None) -> None:
        pm = self._pm
        assert pm is not None
        if pm.has_plugin(name):
            self.guard.fail(name, "load", "a plugin of that name is loaded")
            return
        # Importing runs the plugin's code: isolated and time-limited like a hook.
        ok, _ = self.guard.call(name, "load", lambda: pm.register(load(), name=name))
        if not ok:
            return
        self._info[name] = PluginInfo(name=name, version=version, source=source, hooks=[],
                                      package=package, path=path)

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
            self._register(name, PLUGINS_DIR, None, lambda p=path, n=name: import_file(n, p),
                           path=path)

    def _check_pending(self, pm: pluggy.PluginManager) -> None:
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

        self._each("register_event_types", register=register_event_type)
        self._each("register_upcasters", register=register_upcaster)

    # -- calling hooks --------------------------------------------------------------

    def _call(self, impl: Any, hook_name: str, kwargs: dict[str, Any]) -> tuple[bool, Any]:
        """Call one implementation with the arguments it takes, guarded; (ok, result)."""
        if self.trace:
            print(f"coffeechat: hook {hook_name} -> {impl.plugin_name}", file=sys.stderr)
        return self.guard.call(impl.plugin_name, hook_name,
                               partial(impl.function, **{a: kwargs[a] for a in impl.argnames}))

    def _each(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation in turn: (plugin, result) of those that did not raise."""
        results = []
        for impl in self._impls(hook_name):
            ok, result = self._call(impl, hook_name, kwargs)
            if ok:
                results.append((impl.plugin_name, result))
        return results

    def _collect(self, hook_name: str, shape: Callable[..., tuple[Any, ...]], **kwargs: Any
                 ) -> list[tuple[str, tuple[Any, ...]]]:
        """Call a ``register``-style hook: (plugin, registered things), in registration order.

        ``shape`` checks one registration's arguments (see plugin_calls): a bad
        one is reported and left out. A plugin that raises part way registers nothing.
        """
        from coffeechat.plugin_calls import registrar

        collected: list[tuple[str, tuple[Any, ...]]] = []
        for impl in self._impls(hook_name):
            mine: list[tuple[Any, ...]] = []
            problems: list[str] = []
            ok, _ = self._call(impl, hook_name,
                               dict(kwargs, register=registrar(shape, mine, problems)))
            for problem in problems:
                self.guard.fail(impl.plugin_name, hook_name, problem)
            if ok:
                collected.extend((impl.plugin_name, args) for args in mine)
        return collected

    # -- what plugins provide ---------------------------------------------------------

    def channels(self) -> dict[str, Channel]:
        """Every channel by name; a later registration of a name replaces an earlier one."""
        from coffeechat.plugin_calls import channel_shape

        if self._channels is None:
            self._channels = {}
            for _plugin, (channel,) in self._collect("register_channels", channel_shape,
                                                     config=self.config):
                self._channels[channel.name] = channel
        return self._channels

    def followup_rules(self) -> list[tuple[str, PluginRule, int]]:
        """(kind name, rule, version) of every plugin rule, each rule guarded and checked.

        Each call starts fresh time budgets (see ``RuleRunner``): ask once per catch-up.
        """
        from coffeechat.plugin_calls import RuleRunner, rule_shape

        if self._rules is None:
            self._rules = [(plugin, *args) for plugin, args in self._collect(
                "register_followup_rules", rule_shape, config=self.config)]
        return [(name, RuleRunner(self.guard, plugin, name, rule), version)
                for plugin, name, rule, version in self._rules]

    def projections(self) -> list[Projection]:
        """Plugins' projections (a name or a table already taken, by us or not, is refused)."""
        from coffeechat.plugin_calls import projection_shape
        from coffeechat.projections import VERSIONS
        from coffeechat.projections.isolation import builtin_table

        if self._projections is None:
            self._projections = []
            taken: set[str] = set()
            for plugin, (projection,) in self._collect("register_projections",
                                                       projection_shape, config=self.config):
                name, tables = projection.name, {t.lower() for t in projection.tables}
                clash = sorted(t for t in tables if t in taken or builtin_table(t))
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

    def note_parsers(self) -> dict[str, Callable[..., None]]:
        """Note type → parser; a later registration of a type replaces an earlier one."""
        return self._named("register_note_parsers", "note type")

    def importers(self) -> dict[str, Callable[[str], Any]]:
        """Import format → reader (``coffeechat import FORMAT FILE``)."""
        return self._named("register_importers", "import format")

    def views(self) -> dict[str, Callable[..., dict[str, str]]]:
        """View name → render function (the notes folder's Markdown views)."""
        return self._named("register_views", "view")

    def _named(self, hook_name: str, what: str) -> dict[str, Callable[..., Any]]:
        from coffeechat.plugin_calls import named_shape

        return {args[0]: args[1] for _plugin, args in self._collect(hook_name, named_shape(what))}

    def fingerprint(self) -> str:
        """What plugin rules and projections are loaded, at which versions."""
        parts = [f"rule:{name}:{version}" for name, _rule, version in self.followup_rules()]
        parts += [f"projection:{p.name}:{p.version}" for p in self.projections()]
        return ",".join(sorted(parts))

    def add_commands(self, cli: Any) -> None:
        self._each("register_commands", cli=cli)

    def template_dirs(self) -> list[str]:
        """Folders of message templates that plugins registered, in order."""
        from coffeechat.plugin_calls import folder_shape

        return [args[0] for _plugin, args in self._collect("register_template_dirs",
                                                            folder_shape)]

    def compose_message(self, kind: str, state: ContactState, to: str | None, nudge: bool,
                        template: str | None, store: Store) -> Message | None:
        """The first message a plugin composes (latest registered first), else None.

        Unlike other hooks, a plugin that fails here (raises, hangs past the
        time limit, returns something else than a ``Message``) stops the
        command: a message that cannot be composed must not be sent or recorded.
        """
        from coffeechat.plugin_calls import compose_guarded

        args = {"kind": kind, "state": state, "to": to, "nudge": nudge, "template": template,
                "store": store, "template_dirs": self.template_dirs()}
        for impl in reversed(self._impls("compose_message")):
            if self.trace:
                print(f"coffeechat: hook compose_message -> {impl.plugin_name}", file=sys.stderr)
            message = compose_guarded(self.guard.seconds, impl.plugin_name, impl.function,
                                      **{a: args[a] for a in impl.argnames})
            if message is not None:
                return message
        return None

    def implements(self, hook_name: str) -> bool:
        """Whether any loaded plugin implements this hook."""
        return bool(self._impls(hook_name))

    def event_appended(self, events: Iterable[Event], store: Store) -> None:
        """Tell every plugin about each committed event; failures are kept, not raised.

        A plugin that timed out is not called again for the rest of the batch.
        """
        for event in events:
            self._each("event_appended", event=event, store=store)

    def info(self) -> list[PluginInfo]:
        """Loaded plugins with the hooks each implements: built-ins first."""
        pm = self.pm
        self._builtins_for(None)
        for name, info in self._info.items():
            plugin = pm.get_plugin(name)
            callers = pm.get_hookcallers(plugin) or []
            info.hooks = sorted(caller.name for caller in callers)
        return sorted(self._info.values(), key=lambda i: _BUILTIN_ORDER.get(i.name, 99))
