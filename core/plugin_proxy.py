"""Plugins as pluggy sees them: stand-ins whose hook implementations are guarded calls.

When coffeechat registers a plugin, pluggy gets a :class:`GuardedPlugin` in its
place: for each of the plugin's ``@hookimpl`` functions, a function under the
same name, with the same marker options and (through ``functools.wraps``,
whose ``__wrapped__`` pluggy follows) the same signature, that calls the real
one through the :class:`~coffeechat.plugin_calls.Guard`. So pluggy does what it
does (``pm.hook.x(...)``, the call order, ``tryfirst``/``trylast``,
``firstresult``, new-style wrappers, ``pm.add_hookcall_monitoring``) and a
plugin that raises, returns garbage or hangs still costs the user nothing.

``register`` callbacks: the caller hands a hook a :class:`Registrar`; each
implementation is given a callback of its own plugin's instead, so what was
registered is known by plugin, checked one registration at a time, and
dropped as a whole when the plugin's call fails.

Built-in plugins are :class:`LazyBuiltin` stand-ins: their hooks are known from
a table, and the module is imported the first time pluggy calls one of them.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import types
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from coffeechat.plugin_calls import Refused, describe, shown, strict_call

if TYPE_CHECKING:
    import pluggy

    from coffeechat.plugin_calls import Guard

MARK = "coffeechat_impl"  # where pluggy's HookimplMarker("coffeechat") keeps its options
STRICT_HOOKS = frozenset({"compose_message"})  # a failure there stops the command
_PLAIN = {"wrapper": False, "hookwrapper": False, "optionalhook": False,
          "tryfirst": False, "trylast": False, "specname": None}

Call = Callable[..., tuple[bool, Any]]  # (function, *args) → (ok, result)


def _caller(guard: Guard, plugin: str, hook: str) -> Call:
    """How this plugin's ``hook`` is called: guarded, or strictly for compose_message."""
    if hook in STRICT_HOOKS:
        def strict(function: Callable[..., Any], *args: Any, check: bool = True
                   ) -> tuple[bool, Any]:
            return True, strict_call(guard.seconds, plugin, function, *args, check=check)

        return strict

    def guarded(function: Callable[..., Any], *args: Any, check: bool = True
                ) -> tuple[bool, Any]:
        return guard.call(plugin, hook, function, *args)

    return guarded


# -- register callbacks ------------------------------------------------------------------


class Registrar:
    """The ``register`` argument of one hook call: what each plugin registers, shaped.

    ``shape`` takes the arguments of one ``register(...)`` call and returns what
    is kept, or raises (see plugin_calls): that registration is left out and
    reported. ``calls`` holds (plugin, what it registered) in pluggy's call
    order, for the plugins whose call went through.
    """

    def __init__(self, guard: Guard, hook: str, shape: Callable[..., tuple[Any, ...]]) -> None:
        self.guard = guard
        self.hook = hook
        self.shape = shape
        self.signature = inspect.signature(shape)
        self.calls: list[tuple[str, list[tuple[Any, ...]]]] = []  # in pluggy's call order

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("register is only for plugins registered with coffeechat")

    def opened(self, plugin: str) -> PluginRegister:
        return PluginRegister(self, plugin)

    def takes(self) -> str:
        return ", ".join(p.name if p.default is p.empty else f"{p.name}={p.default!r}"
                         for p in self.signature.parameters.values())


class PluginRegister:
    """The ``register`` callback one plugin's implementation gets."""

    def __init__(self, registrar: Registrar, plugin: str) -> None:
        self.registrar = registrar
        self.plugin = plugin
        self.kept: list[tuple[Any, ...]] = []
        self.problems: list[str] = []

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        registrar = self.registrar
        try:
            registrar.signature.bind(*args, **kwargs)
        except TypeError as error:
            self.problems.append(f"register({registrar.takes()}): {error}")
            return
        try:
            self.kept.append(registrar.shape(*args, **kwargs))
        except Exception as error:
            self.problems.append(describe(error))

    def settle(self, ok: bool) -> None:
        """The plugin's call is over: report bad registrations, keep the rest if it went well."""
        registrar = self.registrar
        for problem in self.problems:
            registrar.guard.fail(self.plugin, registrar.hook, problem)
        if ok:
            registrar.calls.append((self.plugin, self.kept))


def _own_register(plugin: str, args: tuple[Any, ...], kwargs: dict[str, Any]
                  ) -> tuple[tuple[Any, ...], dict[str, Any], PluginRegister | None]:
    """The call's arguments with a Registrar swapped for this plugin's own callback."""
    for n, arg in enumerate(args):
        if isinstance(arg, Registrar):
            own = arg.opened(plugin)
            return (*args[:n], own, *args[n + 1:]), kwargs, own
    for key, value in kwargs.items():
        if isinstance(value, Registrar):
            own = value.opened(plugin)
            return args, {**kwargs, key: own}, own
    return args, kwargs, None


def _settle(own: PluginRegister | None, ok: bool) -> None:
    if own is not None:
        own.settle(ok)


# -- guarded implementations ---------------------------------------------------------------


def guarded_impl(guard: Guard, plugin: str, hook: str, function: Callable[..., Any],
                 opts: dict[str, Any]) -> Callable[..., Any]:
    """``function`` as pluggy should call it: same name, options and signature, guarded."""
    call = _caller(guard, plugin, hook)
    if opts.get("wrapper"):
        guarded = _guarded_wrapper(call, plugin, function)
    else:
        def guarded(*args: Any, **kwargs: Any) -> Any:
            args, kwargs, own = _own_register(plugin, args, kwargs)
            ok, result = call(functools.partial(function, *args, **kwargs))
            _settle(own, ok)
            if ok and result is not None and hook.startswith("register_"):
                # (what it meant to add, returned: without a word, nobody would know why
                # it is missing)
                guard.fail(plugin, hook, f"returned {shown(result)}; a register hook adds "
                                         "by calling what it is given, so that was not added")
            return result if ok else None

    functools.update_wrapper(guarded, function)  # (pluggy reads the signature through it)
    setattr(guarded, MARK, dict(opts))
    return guarded


def _guarded_wrapper(call: Call, plugin: str, function: Callable[..., Any]
                     ) -> Callable[..., Generator[None, Any, Any]]:
    """A new-style wrapper (``try: return (yield)``), its two halves guarded apart.

    If the part before its ``yield`` fails, the hook goes on without it; if the
    part after fails, the result of the hook stands as it was. If the hook
    itself fails (only ``compose_message`` can), the wrapper's generator is
    closed and the failure goes on.
    """
    def guarded(*args: Any, **kwargs: Any) -> Generator[None, Any, Any]:
        args, kwargs, own = _own_register(plugin, args, kwargs)
        ok, teardown = call(_started, function, args, kwargs, check=False)
        if not ok:
            _settle(own, False)
            return (yield)
        try:
            result = yield
        except BaseException:
            call(teardown.close, check=False)
            _settle(own, False)
            raise
        ok, value = call(_finished, teardown, result)
        _settle(own, ok)
        return value if ok else result

    return guarded


def _started(function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
             ) -> Generator[object, Any, Any]:
    teardown = function(*args, **kwargs)
    if not inspect.isgenerator(teardown):
        raise Refused("a wrapper must yield once (try: return (yield))")
    try:
        next(teardown)
    except StopIteration:
        raise Refused("the wrapper did not yield") from None
    return teardown


def _finished(teardown: Generator[object, Any, Any], result: Any) -> Any:
    try:
        teardown.send(result)
    except StopIteration as stop:
        return stop.value
    teardown.close()
    raise Refused("the wrapper yielded more than once")


# -- the stand-ins pluggy registers ---------------------------------------------------------


class GuardedPlugin:
    """What pluggy registers for a plugin: its hook implementations, guarded."""

    def __init__(self, name: str, impls: dict[str, Callable[..., Any]]) -> None:
        self.__dict__.update(impls)
        self._coffeechat_plugin = name

    def __repr__(self) -> str:
        return f"<plugin {self._coffeechat_plugin!r}>"


def guarded_plugin(pm: pluggy.PluginManager, guard: Guard, name: str, plugin: object
                   ) -> GuardedPlugin:
    """The stand-in for ``plugin``: each ``@hookimpl`` function guarded (found as pluggy would).

    Old-style ``hookwrapper=True`` implementations are refused: new-style
    ``wrapper=True`` ones do the same job.
    """
    impls = {}
    for attr in dir(plugin):
        opts = pm.parse_hookimpl_opts(plugin, attr)
        if opts is None:
            continue
        hook = opts.get("specname") or attr
        if opts.get("hookwrapper"):
            raise Refused(f"{hook}: old-style hookwrapper=True is not supported; use "
                          "@hookimpl(wrapper=True)")
        impls[attr] = guarded_impl(guard, name, hook, getattr(plugin, attr), dict(opts))
    return GuardedPlugin(name, impls)


class LazyBuiltin(types.ModuleType):
    """A built-in plugin module, imported when pluggy first calls one of its hooks.

    It stands for the module (same ``__name__``) until then. Each hook is
    registered with the hook specification's signature; the call passes on the
    arguments the real function takes. Built-in implementations use no marker
    options (a test checks that), so pluggy orders them rightly.
    """

    def __init__(self, guard: Guard, name: str, module_name: str, hooks: tuple[str, ...],
                 specs: object) -> None:
        super().__init__(module_name)
        self._coffeechat_plugin = name
        self._guard = guard
        self._module_name = module_name
        self._failed = False
        self._impls: dict[str, tuple[Callable[..., Any], list[str]]] = {}  # and what it takes
        for hook in hooks:
            setattr(self, hook, self._lazy(hook, getattr(specs, hook)))

    def __repr__(self) -> str:
        return f"<built-in plugin {self._coffeechat_plugin!r}>"

    def _lazy(self, hook: str, spec: Callable[..., Any]) -> Callable[..., Any]:
        names = list(inspect.signature(spec).parameters)

        def lazy(*args: Any) -> Any:
            found = self._impl(hook)
            if found is None:
                return None
            impl, takes = found
            given = dict(zip(names, args, strict=False))
            return impl(*(given[name] for name in takes))

        functools.update_wrapper(lazy, spec)
        setattr(lazy, MARK, dict(_PLAIN))
        return lazy

    def _impl(self, hook: str) -> tuple[Callable[..., Any], list[str]] | None:
        """The guarded real implementation and the arguments it takes (None: no import)."""
        found = self._impls.get(hook)
        if found is None and not self._failed:
            ok, module = self._guard.call(self._coffeechat_plugin, "load",
                                          importlib.import_module, self._module_name)
            if not ok:
                self._failed = True
                return None
            function = getattr(module, hook)
            impl = guarded_impl(self._guard, self._coffeechat_plugin, hook, function, _PLAIN)
            found = self._impls[hook] = (impl, list(inspect.signature(function).parameters))
        return found
