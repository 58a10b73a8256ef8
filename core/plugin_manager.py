"""Finding plugins, loading them once, and calling their hooks one plugin at a time.

Built-in plugins (``coffeechat.plugins.*``), installed packages (entry point
group ``coffeechat``) and one-off ``*.py`` files from a plugins folder all go
on the same pluggy plugin manager. Loading is lazy: reads with nothing new to
apply never get here. Every hook call is isolated: a plugin that raises while
loading or in a hook is reported with its name and the rest carry on.

``COFFEECHAT_LOAD_PLUGINS`` is an allow-list of plugin names (comma separated;
empty means built-ins only). ``COFFEECHAT_TRACE_PLUGINS=1`` traces hook calls
to stderr.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec

from coffeechat import __version__
from coffeechat.config import Config, home_folder
from coffeechat.errors import CoffeechatError, describe_error
from coffeechat.files import replace_file

if TYPE_CHECKING:
    import pluggy

    from coffeechat.channels import Channel, Message
    from coffeechat.codec import Event
    from coffeechat.fold import ContactState
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
GROUP = "coffeechat"
BUILTIN, ENTRY_POINT, PLUGINS_DIR = "built-in", "entry point", "plugins dir"


class PluginFailure(NamedTuple):
    plugin: str
    hook: str
    error: str

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} failed in {self.hook}: {self.error}"


class PluginInfo(msgspec.Struct):
    name: str
    version: str | None
    source: str  # built-in, entry point, plugins dir
    hooks: list[str]
    package: str | None = None  # the distribution, for an entry point
    path: str | None = None  # the file, for a plugins-dir plugin


class _EntryPoint(msgspec.Struct, array_like=True):
    name: str
    value: str
    dist: str
    version: str


class _EntryPointCache(msgspec.Struct):
    key: str
    entry_points: list[_EntryPoint]


def _allowed() -> set[str] | None:
    raw = os.environ.get("COFFEECHAT_LOAD_PLUGINS")
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def _site_key() -> str:
    """Changes whenever a package is installed or removed (its folder's mtime moves)."""
    parts = []
    for entry in sys.path[1:]:  # [0] is the script's folder or the current one
        try:
            parts.append(f"{entry}:{os.stat(entry or '.').st_mtime_ns}")
        except OSError:
            continue
    return "|".join(parts)


def environment_fingerprint(plugins_dir: str | None) -> str:
    """A cheap summary of what plugins could load, to notice a change without loading them."""
    parts = [os.environ.get("COFFEECHAT_LOAD_PLUGINS", "*"), _site_key()]
    if plugins_dir:
        try:
            for entry in sorted(os.scandir(plugins_dir), key=lambda e: e.name):
                if entry.name.endswith(".py"):
                    parts.append(f"{entry.name}:{entry.stat().st_mtime_ns}")
        except OSError:
            parts.append(f"{plugins_dir}:missing")
    return "\n".join(parts)


class Plugins:
    """The loaded plugins of one coffeechat run, behind ordinary typed methods."""

    def __init__(self, config: Config, *, plugins_dir: str | None = None) -> None:
        self.config = config
        folder = plugins_dir or config.plugins_dir
        self.plugins_dir = os.path.expanduser(folder) if folder else None
        self.failures: list[PluginFailure] = []
        self.trace = os.environ.get("COFFEECHAT_TRACE_PLUGINS") == "1"
        self._info: dict[str, PluginInfo] = {}
        self._pm: pluggy.PluginManager | None = None
        self._channels: dict[str, Channel] | None = None
        self._rules: list[tuple[str, PluginRule, int]] | None = None
        self._projections: list[Projection] | None = None

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
        allowed = _allowed()
        for ep in self._entry_points():
            if allowed is None or ep.name in allowed:
                self._register(ep.name, ENTRY_POINT, ep.version,
                               lambda v=ep.value: _import_entry_point(v), package=ep.dist)
        if self.plugins_dir:
            self._load_folder(self.plugins_dir, allowed)
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
                        self.failures.append(PluginFailure(
                            name, "load", f"{caller.name}: wrapper hooks are not supported"))
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
            self.failures.append(PluginFailure(name, "load", "a plugin of that name is loaded"))
            return
        try:
            pm.register(load(), name=name)
        except Exception as error:  # a broken plugin must not take the CLI down
            self.failures.append(PluginFailure(name, "load", describe_error(error)))
            return
        self._info[name] = PluginInfo(name=name, version=version, source=source, hooks=[],
                                      package=package, path=path)

    def _load_folder(self, folder: str, allowed: set[str] | None) -> None:
        try:
            files = sorted(f for f in os.listdir(folder) if f.endswith(".py"))
        except OSError as error:
            self.failures.append(PluginFailure(folder, "load", f"plugins dir: {error.strerror}"))
            return
        for file_name in files:
            name = file_name[:-3]
            if allowed is not None and name not in allowed:
                continue
            path = os.path.join(folder, file_name)
            self._register(name, PLUGINS_DIR, None, lambda p=path, n=name: _import_file(n, p),
                           path=path)

    def _check_pending(self, pm: pluggy.PluginManager) -> None:
        import pluggy

        while True:
            try:
                pm.check_pending()
                return
            except pluggy.PluginValidationError as error:
                name = pm.get_name(error.plugin) or "?"
                self.failures.append(PluginFailure(name, "load", str(error)))
                pm.unregister(error.plugin)
                self._info.pop(name, None)

    def _entry_points(self) -> list[_EntryPoint]:
        """Installed plugins, cached so importlib.metadata is only read after an install."""
        key = _site_key()
        cache = os.path.join(home_folder(), ".cache", "entry-points.json")
        try:
            with open(cache, "rb") as file:
                cached = msgspec.json.decode(file.read(), type=_EntryPointCache)
            if cached.key == key:
                return cached.entry_points
        except (OSError, msgspec.DecodeError):
            pass
        from importlib.metadata import entry_points

        found = [_EntryPoint(ep.name, ep.value, ep.dist.name if ep.dist else "?",
                             ep.dist.version if ep.dist else "?")
                 for ep in entry_points(group=GROUP)]
        try:
            os.makedirs(os.path.dirname(cache), exist_ok=True)
            replace_file(cache, msgspec.json.encode(_EntryPointCache(key, found)))
        except OSError:
            pass  # a read-only home only costs the scan next time
        return found

    def _register_types(self) -> None:
        from coffeechat.codec import register_upcaster
        from coffeechat.events import register_event_type

        self._each("register_event_types", register=register_event_type)
        self._each("register_upcasters", register=register_upcaster)

    # -- calling hooks --------------------------------------------------------------

    def _call(self, impl: Any, hook_name: str, kwargs: dict[str, Any]) -> tuple[bool, Any]:
        """Call one implementation with the arguments it takes; (ok, result)."""
        if self.trace:
            print(f"coffeechat: hook {hook_name} -> {impl.plugin_name}", file=sys.stderr)
        try:
            return True, impl.function(**{a: kwargs[a] for a in impl.argnames})
        except Exception as error:  # isolate: report the plugin, carry on with the rest
            self.failures.append(PluginFailure(impl.plugin_name, hook_name, describe_error(error)))
            return False, None

    def _each(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation in turn: (plugin, result) of those that did not raise."""
        results = []
        for impl in self._impls(hook_name):
            ok, result = self._call(impl, hook_name, kwargs)
            if ok:
                results.append((impl.plugin_name, result))
        return results

    def _collect(self, hook_name: str, **kwargs: Any) -> list[tuple[str, tuple[Any, ...]]]:
        """Call a ``register``-style hook: (plugin, registered args), in registration order.

        A plugin that raises part way registers nothing.
        """
        collected: list[tuple[str, tuple[Any, ...]]] = []
        for impl in self._impls(hook_name):
            mine: list[tuple[Any, ...]] = []
            ok, _ = self._call(impl, hook_name, dict(kwargs, register=_appender(mine)))
            if ok:
                collected.extend((impl.plugin_name, args) for args in mine)
        return collected

    # -- what plugins provide ---------------------------------------------------------

    def channels(self) -> dict[str, Channel]:
        """Every channel by name; a later registration of a name replaces an earlier one."""
        if self._channels is None:
            self._channels = {}
            for _plugin, (channel,) in self._collect("register_channels", config=self.config):
                self._channels[channel.name] = channel
        return self._channels

    def followup_rules(self) -> list[tuple[str, PluginRule, int]]:
        """(kind name, rule, version) of every plugin rule."""
        if self._rules is None:
            self._rules = []
            for plugin, args in self._collect("register_followup_rules", config=self.config):
                name, rule, version = (*args, 1)[:3]
                self._rules.append((name, self._isolated(plugin, name, rule), version))
        return self._rules

    def _isolated(self, plugin: str, name: str, rule: PluginRule) -> PluginRule:
        def run(state: ContactState) -> list[FollowUp]:
            try:
                return list(rule(state))
            except Exception as error:
                failure = PluginFailure(plugin, f"follow-up rule {name!r}", describe_error(error))
                if failure not in self.failures:
                    self.failures.append(failure)
                return []

        return run

    def projections(self) -> list[Projection]:
        if self._projections is None:
            self._projections = [args[0] for _plugin, args
                                 in self._collect("register_projections", config=self.config)]
        return self._projections

    def note_parsers(self) -> dict[str, Callable[..., None]]:
        """Note type → parser; a later registration of a type replaces an earlier one."""
        return {args[0]: args[1] for _plugin, args in self._collect("register_note_parsers")}

    def importers(self) -> dict[str, Callable[[str], Any]]:
        """Import format → reader (``coffeechat import FORMAT FILE``)."""
        return {args[0]: args[1] for _plugin, args in self._collect("register_importers")}

    def views(self) -> dict[str, Callable[..., dict[str, str]]]:
        """View name → render function (the notes folder's Markdown views)."""
        return {args[0]: args[1] for _plugin, args in self._collect("register_views")}

    def fingerprint(self) -> str:
        """What plugin rules and projections are loaded, at which versions."""
        parts = [f"rule:{name}:{version}" for name, _rule, version in self.followup_rules()]
        parts += [f"projection:{p.name}:{p.version}" for p in self.projections()]
        return ",".join(sorted(parts))

    def add_commands(self, cli: Any) -> None:
        self._each("register_commands", cli=cli)

    def template_dirs(self) -> list[str]:
        """Folders of message templates that plugins registered, in order."""
        return [args[0] for _plugin, args in self._collect("register_template_dirs")]

    def compose_message(self, kind: str, state: ContactState, to: str | None, nudge: bool,
                        template: str | None, store: Store) -> Message | None:
        """The first message a plugin composes (latest registered first), else None.

        Unlike other hooks, a plugin that raises here stops the command: a
        message that cannot be composed must not be sent or recorded.
        """
        args = {"kind": kind, "state": state, "to": to, "nudge": nudge, "template": template,
                "store": store, "template_dirs": self.template_dirs()}
        for impl in reversed(self._impls("compose_message")):
            try:
                message = impl.function(**{a: args[a] for a in impl.argnames})
            except CoffeechatError:
                raise
            except Exception as error:
                raise CoffeechatError(
                    f"plugin {impl.plugin_name!r} failed to compose the message: "
                    f"{describe_error(error)}; nothing was sent or recorded") from None
            if message is not None:
                return message  # type: ignore[no-any-return]
        return None

    def implements(self, hook_name: str) -> bool:
        """Whether any loaded plugin implements this hook."""
        return bool(self._impls(hook_name))

    def event_appended(self, events: Iterable[Event], store: Store) -> None:
        """Tell every plugin about each committed event; failures are kept, not raised."""
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


def _appender(into: list[tuple[Any, ...]]) -> Callable[..., None]:
    def register(*args: Any) -> None:
        into.append(args)

    return register


def _import_entry_point(value: str) -> Any:
    module_name, _, attr = value.partition(":")
    module = importlib.import_module(module_name.strip())
    return getattr(module, attr.strip()) if attr else module


def _import_file(name: str, path: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"coffeechat_plugins_dir.{name}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
