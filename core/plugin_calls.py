"""Calling plugin code: each call isolated and time-limited, each failure told once.

A plugin may raise anything, return anything, or hang. Every call coffeechat
makes into plugin code goes through a :class:`Guard`:

- an exception (even ``SystemExit`` or ``GeneratorExit``) becomes a :class:`PluginFailure` naming
  the plugin and where it failed, and the caller carries on without the result;
- a call runs for at most :func:`hook_seconds`; one that takes longer is
  stopped, and that plugin's hook is not called again in the same run;
- what a plugin hands back is checked before coffeechat keeps it
  (:func:`checked_followup`, the ``register`` shapes below).

Failures are kept once per (plugin, where): a rule that fails for every
contact, or an ``event_appended`` that fails for every event of a batch, is
one warning for the command, with a count of the repeats.
"""

from __future__ import annotations

import math
import os
import reprlib
import time
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple

from coffeechat import limits
from coffeechat.limits import TimeLimitExceeded, time_limit

if TYPE_CHECKING:
    from coffeechat.fold import ContactState
    from coffeechat.rules import FollowUp

HOOK_SECONDS_ENV = "COFFEECHAT_HOOK_SECONDS"
RULE_ITEMS = 1000  # follow-ups one rule may return for one contact
KIND_CHARS = 40
TEXT_CHARS = 500  # a reason, an event or commitment id


def hook_seconds() -> float:
    """The time limit on one plugin call: ``$COFFEECHAT_HOOK_SECONDS``, else the default.

    0 turns the limit off (to step through a plugin in a debugger); a value that
    is not a number of seconds ≥ 0 is ignored.
    """
    raw = os.environ.get(HOOK_SECONDS_ENV, "").strip()
    if raw:
        try:
            seconds = float(raw)
        except ValueError:
            seconds = -1.0
        if seconds >= 0 and math.isfinite(seconds):
            return seconds
    return limits.HOOK_SECONDS


# What a plugin's call may raise and the command survives: any error, and the two exits
# a plugin has no business raising (SystemExit would end the command, GeneratorExit is
# a generator's own). A Ctrl-C (KeyboardInterrupt) still stops the command.
PLUGIN_ERRORS = (Exception, SystemExit, GeneratorExit)

_RUNNING: ContextVar[str | None] = ContextVar("coffeechat_plugin_running", default=None)


def running_plugin() -> str | None:
    """The plugin whose code a :class:`Guard` is running now (None: coffeechat's own), for
    what a hook hands back through an object rather than a return value (a command)."""
    return _RUNNING.get()


class PluginFailure(NamedTuple):
    plugin: str
    hook: str  # where it failed: a hook's name, "load", "follow-up rule 'x'", ...
    error: str
    more: int = 0  # further failures in the same place during the same run

    def __str__(self) -> str:
        text = f"plugin {self.plugin!r} failed in {self.hook}: {self.error}"
        return f"{text} (and {self.more} more)" if self.more else text


class Refused(Exception):
    """What a plugin handed over cannot be kept; the message says why (no type name)."""


class Guard:
    """Calls into plugins for one run, and keeps what failed."""

    def __init__(self) -> None:
        self.failures: list[PluginFailure] = []
        self.seconds = hook_seconds()
        self._where: dict[tuple[str, str], int] = {}  # (plugin, hook) → index in failures
        self._stopped: set[tuple[str, str]] = set()

    def fail(self, plugin: str, hook: str, error: str) -> None:
        """Keep a failure; a repeat in the same place only counts."""
        at = self._where.get((plugin, hook))
        if at is None:
            self._where[(plugin, hook)] = len(self.failures)
            self.failures.append(PluginFailure(plugin, hook, error))
        else:
            failure = self.failures[at]
            self.failures[at] = failure._replace(more=failure.more + 1)

    def stop(self, plugin: str, hook: str, error: str) -> None:
        """Keep a failure, and call this plugin's ``hook`` no more in this run.

        Being stopped is the news: it replaces an earlier error from the same place.
        """
        self._stopped.add((plugin, hook))
        at = self._where.get((plugin, hook))
        if at is None:
            self.fail(plugin, hook, error)
        else:
            failure = self.failures[at]
            self.failures[at] = failure._replace(error=error, more=failure.more + 1)

    def stopped(self, plugin: str, hook: str) -> bool:
        return (plugin, hook) in self._stopped

    def call(self, plugin: str, hook: str, function: Callable[..., Any], *args: Any,
             seconds: float | None = None, step: str | None = None,
             timed_out: str | None = None) -> tuple[bool, Any]:
        """``function(*args)`` isolated and time-limited: (ok, result).

        ``seconds`` overrides the limit, ``timed_out`` the message when it is
        reached; ``step`` prefixes the error (``insert: ...``).
        """
        if (plugin, hook) in self._stopped:
            return False, None
        limit = self.seconds if seconds is None else seconds
        what = f"plugin {plugin!r} in {hook}"
        prefix = f"{step}: " if step else ""
        running = _RUNNING.set(plugin)
        try:
            with time_limit(limit, what):
                return True, function(*args)
        except TimeLimitExceeded as error:
            if error.what != what:  # an outer limit: not this plugin's to answer for
                raise
            self.stop(plugin, hook, prefix + (
                timed_out or f"took longer than {error.seconds:g} s and was stopped"))
        except PLUGIN_ERRORS as error:
            self.fail(plugin, hook, prefix + describe(error))
        finally:
            _RUNNING.reset(running)
        return False, None


def describe(error: BaseException) -> str:
    """An exception as one line, even one whose ``str()`` itself fails."""
    if isinstance(error, Refused):
        return " ".join(str(error).splitlines())
    try:
        text = str(error)
    except Exception:
        text = "(its message cannot be shown)"
    return " ".join(f"{type(error).__name__}: {text}".splitlines())


def shown(value: object) -> str:
    """A short, safe rendering of what a plugin returned (no plugin code is run)."""
    if value is None or type(value) in (str, int, float, bool, bytes):
        return reprlib.repr(value)
    if type(value) is tuple:
        return f"a tuple of {len(value)}"
    return f"a {type(value).__name__}"


# -- follow-up rules ------------------------------------------------------------------------


class RuleRunner:
    """One plugin rule for one catch-up: a time budget shared by every contact, items checked.

    The catch-up holds the write lock, so a slow rule must not cost
    :func:`hook_seconds` per contact: once its budget is spent, or a call
    timed out, the rule is skipped for the rest of the run.
    """

    def __init__(self, guard: Guard, plugin: str, name: str,
                 rule: Callable[[ContactState], Iterable[FollowUp]]) -> None:
        self.guard = guard
        self.plugin = plugin
        self.hook = f"follow-up rule {name!r}"
        self.rule = rule
        self.budget = guard.seconds  # 0: no limit

    def __call__(self, state: ContactState) -> list[FollowUp]:
        guard, plugin, hook = self.guard, self.plugin, self.hook
        if guard.stopped(plugin, hook):
            return []
        limited = guard.seconds > 0
        spent = f"took longer than {guard.seconds:g} s in all and was stopped"
        if limited and self.budget <= 0:
            guard.stop(plugin, hook, spent)
            return []
        started = time.monotonic()
        ok, items = guard.call(plugin, hook, _first_items, self.rule, state,
                               seconds=self.budget if limited else 0, timed_out=spent)
        self.budget -= time.monotonic() - started
        if not ok:
            return []
        if len(items) > RULE_ITEMS:
            guard.fail(plugin, hook, f"returned more than {RULE_ITEMS} items for one contact")
            return []
        kept = []
        for item in items:
            kept_item, problem = checked_followup(item, state.id)
            if kept_item is not None:
                kept.append(kept_item)
            else:
                guard.fail(plugin, hook, f"{problem}; the item was dropped")
        return kept


def _first_items(rule: Callable[[ContactState], Iterable[FollowUp]], state: ContactState
                 ) -> list[Any]:
    returned = rule(state)
    if isinstance(returned, str | bytes | Mapping) or not isinstance(returned, Iterable):
        raise Refused(f"returned {shown(returned)}, not coffeechat.FollowUp items")
    return list(islice(iter(returned), RULE_ITEMS + 1))


_REQUIRED = ("contact", "kind", "due_at", "reason", "event")
_OPTIONAL = ("expires_at", "commitment", "anchor")
_STAMPS = ("due_at", "expires_at", "anchor")


def checked_followup(item: object, contact: str) -> tuple[FollowUp | None, str]:
    """(a clean copy of a plugin rule's item, "") or (None, why it cannot be kept)."""
    from coffeechat.rules import FollowUp

    if not isinstance(item, FollowUp) or tuple.__len__(item) != len(FollowUp._fields):
        return None, f"returned {shown(item)}, not a coffeechat.FollowUp"
    fields: dict[str, Any] = {  # whatever the plugin put there, checked next
        name: tuple.__getitem__(item, n) for n, name in enumerate(FollowUp._fields)}
    problem = _followup_problem(fields, contact)
    return (None, problem) if problem else (FollowUp(**fields), "")


def _followup_problem(fields: dict[str, Any], contact: str) -> str | None:
    from coffeechat.clock import is_stamp

    for name in _REQUIRED + _OPTIONAL:
        value = fields[name]
        if type(value) is not str and not (value is None and name in _OPTIONAL):
            return f"{name} is {shown(value)}, not a str"
    if fields["contact"] != contact:
        return (f"contact {shown(fields['contact'])} is not the contact the rule was given "
                f"({contact!r})")
    kind = fields["kind"]
    if not (0 < len(kind) <= KIND_CHARS and kind.isprintable() and kind.strip() == kind):
        return f"kind {shown(kind)} is not a short one-line name (1 to {KIND_CHARS} characters)"
    for name in _STAMPS:
        if fields[name] is not None and not is_stamp(fields[name]):
            return (f"{name} {shown(fields[name])} is not a stored time "
                    "(YYYY-MM-DDTHH:MM:SSZ, 1900 to 2200)")
    for name in ("reason", "event", "commitment"):
        value = fields[name]
        if value is not None and not (len(value) <= TEXT_CHARS and value.isprintable()):
            return f"{name} {shown(value)} is not one line of at most {TEXT_CHARS} characters"
    return None


# -- what plugins register ------------------------------------------------------------------
# A shape takes the arguments of one ``register(...)`` call and returns what is
# kept, or raises (Refused): that one registration is left out and reported
# (see coffeechat.plugin_proxy.Registrar).


def _name(value: object, what: str) -> str:
    if type(value) is not str or not (0 < len(value) <= KIND_CHARS and value.isprintable()
                                      and value.strip() == value):
        raise Refused(f"{what} {shown(value)} is not a short one-line name "
                      f"(1 to {KIND_CHARS} characters)")
    return value


def _function(value: object, what: str) -> Callable[..., Any]:
    if not callable(value):
        raise Refused(f"{what} is {shown(value)}, not a function")
    return value


def channel_shape(channel: Any) -> tuple[Any, ...]:
    from coffeechat.channels import ADDRESS_FIELDS, Channel

    if not isinstance(channel, Channel):
        raise Refused(f"registered {shown(channel)}, not a channel "
                      "(name, can_send, can_draft, send, draft)")
    name = _name(channel.name, "channel name")
    address = getattr(channel, "address", "email")
    if type(address) is not str or address not in ADDRESS_FIELDS:
        raise Refused(f"channel {name!r}: address {shown(address)} is not a contact field "
                      f"({', '.join(ADDRESS_FIELDS)})")
    return (channel,)


def rule_shape(name: str, rule: Callable[..., Any], version: int = 1) -> tuple[Any, ...]:
    _name(name, "rule name")
    _function(rule, f"rule {name!r}")
    if type(version) is not int:
        raise Refused(f"rule {name!r}: version {shown(version)} is not a whole number")
    return name, rule, version


def projection_shape(projection: Any) -> tuple[Any, ...]:
    from coffeechat.projections.base import Projection

    if not isinstance(projection, Projection):
        raise Refused(f"registered {shown(projection)}, not a "
                      "coffeechat.projections.base.Projection")
    name = _name(getattr(projection, "name", None), "projection name")
    version = getattr(projection, "version", None)
    if type(version) is not int or version < 0:
        raise Refused(f"projection {name!r}: version {shown(version)} is not a whole "
                      "number ≥ 0")
    tables = getattr(projection, "tables", None)
    # (exact types: a subclass could iterate as it likes)
    if not (type(tables) is tuple or type(tables) is list) or \
            not all(type(t) is str for t in tables):
        raise Refused(f"projection {name!r}: tables {shown(tables)} is not a tuple of names")
    return (projection,)


def named_shape(what: str) -> Callable[..., tuple[Any, ...]]:
    def named(name: str, function: Callable[..., Any]) -> tuple[Any, ...]:
        return _name(name, what), _function(function, f"{what} {name!r}")

    return named


def folder_shape(path: str) -> tuple[Any, ...]:
    try:
        return (os.fspath(path),)
    except TypeError:
        raise Refused(f"folder {shown(path)} is not a path") from None


# -- composing a message ---------------------------------------------------------------------


def strict_call(seconds: float, plugin: str, function: Callable[..., Any], /, *args: Any,
                check: bool = True) -> Any:
    """A plugin's ``compose_message`` call: its answer, or a CoffeechatError that stops the command.

    Here a failure stops the command, since a message that cannot be composed
    must not be sent or recorded. With ``check``, the answer must be a Message
    or None.
    """
    from coffeechat.channels import Message
    from coffeechat.errors import CoffeechatError

    what = f"plugin {plugin!r} in compose_message"
    failed = f"plugin {plugin!r} failed to compose the message"
    try:
        with time_limit(seconds, what):
            message = function(*args)
    except CoffeechatError:
        raise
    except TimeLimitExceeded as error:
        if error.what != what:
            raise
        raise CoffeechatError(f"{failed}: it took longer than {error.seconds:g} s; nothing "
                              "was sent or recorded") from None
    except PLUGIN_ERRORS as error:
        raise CoffeechatError(f"{failed}: {describe(error)}; nothing was sent or "
                              "recorded") from None
    if message is None or not check:
        return message
    text = ("contact", "name", "subject", "body", "kind")
    if not isinstance(message, Message) or any(type(getattr(message, f)) is not str
                                               for f in text):
        raise CoffeechatError(f"{failed}: it returned {shown(message)}, not a "
                              "coffeechat.Message; nothing was sent or recorded")
    return message
