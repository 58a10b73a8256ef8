"""Importers: ``coffeechat import NAME PATH``, one shape for every format.

Every import but ``jsonl`` (the log itself) is an :class:`Importer`: the
built-in ones (linkedin, vcard, google, ics, mbox, maildir, registered by
``coffeechat.plugins.importers``) and a plugin's alike, registered with the
``register_importers`` hook. An importer says what it is (``name``, ``help``,
whether it ``reads`` a file or a folder, its own ``options``) and does three
things, which coffeechat calls in this order:

1. ``read(path, context)`` reads and checks the whole input before the store
   is locked (nothing waits inside the write lock). An input that cannot be
   imported raises ``BadInput`` naming the file and the line.
2. ``plan(store, data, context)`` decides, inside the write transaction and
   against the log as it is then, what to record: a :class:`Plan` (the events,
   and an outcome of the importer's own for its report).
3. ``report(result)`` turns an :class:`Imported` into a :class:`Report`: the
   ``--json`` document, the lines a person reads, notes for stderr.

Applying the plan is coffeechat's, the same for every importer
(:func:`apply`): its events are appended as one batch, with source
``import:NAME``, in the transaction the plan was made in, so what the plan
decided still holds; a dry run stops after the plan. So every importer has
``--dry-run`` and ``--json``, one batch that ``undo --batch`` takes back, and
re-imports that add nothing (through the events' keys, or a plan that finds
nothing new).

Every call into an importer goes through the plugin guard
(:class:`coffeechat.plugin_calls.Guard`). Its own ``BadInput`` is the user's
error, as it says. Anything else it raises, and a hang (a plugin's importer
is held to the hook time limit; the built-in ones are not, since a big
mailbox takes the time it takes), stops the import with one line naming the
plugin, and nothing is recorded. A report that fails after the events were
recorded is a warning, and a plain report stands in.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    Literal,
    NamedTuple,
    Protocol,
    TypeVar,
    cast,
    overload,
)

from coffeechat.errors import BadInput, CoffeechatError

if TYPE_CHECKING:
    from coffeechat.calendars import FoldContact
    from coffeechat.codec import Event
    from coffeechat.config import Config
    from coffeechat.people import Parsed
    from coffeechat.plugin_calls import Guard
    from coffeechat.plugin_manager import Plugins
    from coffeechat.store import NewEvent, Store

Data = TypeVar("Data")  # what an importer's read gives its plan
Outcome = TypeVar("Outcome")  # an importer's own account of a plan, for its report

Reads = Literal["file", "folder"]
OptionValue = bool | str | None
Advance = Callable[[int], None]  # told how many items are done so far
Progress = Callable[[int, str], AbstractContextManager[Advance]]  # (total, label)

JSONL = "jsonl"  # `import jsonl` is the log itself: coffeechat's own command
RESERVED_OPTIONS = frozenset({"dry-run", "json", "help"})
NAME_CHARS = 40
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_OPTION = re.compile(r"[a-z][a-z0-9-]*")


class Option(NamedTuple):
    """An option of an importer's own: ``Option("skip-bad", "...")`` is ``--skip-bad``."""

    name: str  # lower-case letters, digits and dashes, without the leading --
    help: str
    metavar: str | None = None  # None: a flag (True or False); else it takes a value


def _no_advance(_done: int) -> None:
    pass


def no_progress(_total: int, _label: str) -> AbstractContextManager[Advance]:
    """The progress of work no one watches."""
    return nullcontext(_no_advance)


class ImportContext(NamedTuple):
    """What an importer is told about the import under way."""

    name: str  # the importer's name
    path: str  # the FILE or DIR as the user gave it
    source: str  # what its events are recorded as: import:NAME
    options: Mapping[str, OptionValue]  # the importer's own options, by name
    config: Config
    fold_contact: FoldContact  # for plan: a contact as the log has it now
    progress: Progress = no_progress  # a bar on a terminal for long work: (total, label)


class Plan(NamedTuple, Generic[Outcome]):
    """What an import records: events to append as one batch, and what they mean."""

    events: list[NewEvent]
    outcome: Outcome


class Imported(NamedTuple, Generic[Outcome]):
    """An import done (or, for a dry run, planned): what the report is made from."""

    path: str
    outcome: Outcome  # the plan's
    dry_run: bool
    batch: str | None  # the batch recorded; None for a dry run, or when nothing was new
    events: list[Event]  # what was appended (events already in the log are not)


class Report(NamedTuple):
    """An import's report. For a dry run coffeechat adds ``"dry_run": true`` to the
    document and ``; nothing was recorded (dry run)`` to the first line of text."""

    document: dict[str, object]  # printed with --json
    text: Sequence[str]  # printed without it, one line each
    notes: Sequence[str] = ()  # on stderr either way, after "coffeechat: " (rows left out)


class Importer(Protocol[Data, Outcome]):
    """What the ``register_importers`` hook registers (see the module docs)."""

    name: str  # the command: coffeechat import NAME
    help: str  # its --help; the first line is the summary `import --help` lists
    reads: Reads  # "file" (FILE) or "folder" (DIR): checked before read is called

    @property
    def options(self) -> Sequence[Option]:
        """Its own options, if any (read-only here, so ``options = ()`` matches)."""
        ...

    def read(self, path: str, context: ImportContext) -> Data:
        """The whole input, read and checked; no store access (the store is not locked)."""
        ...

    def plan(self, store: Store, data: Data, context: ImportContext) -> Plan[Outcome]:
        """What to record, decided against the log inside the write transaction.

        Read ``store.conn`` as you need; append nothing (coffeechat appends the plan).
        """
        ...

    def report(self, result: Imported[Outcome]) -> Report:
        """The report of what was recorded (or, for a dry run, would be)."""
        ...


class RegisterImporter(Protocol):
    """The ``register`` callback of ``register_importers``."""

    @overload
    def __call__(self, importer: Importer[Any, Any], /) -> None: ...

    @overload
    def __call__(self, name: str, read: Callable[[str], Parsed], /) -> None: ...


class Registered(NamedTuple):
    """An importer as registered: what it said about itself, taken once (its attributes
    are not read again), its methods, and the plugin that registered it."""

    name: str
    help: str
    reads: Reads
    options: tuple[Option, ...]
    read: Callable[[str, ImportContext], Any]
    plan: Callable[[Store, Any, ImportContext], Plan[Any]]
    report: Callable[[Imported[Any]], Report]
    plugin: str = ""
    builtin: bool = False  # coffeechat's own: not held to the hook time limit


# -- registering ----------------------------------------------------------------------------

def importer_shape(importer: Importer[Any, Any] | str,
                   read: Callable[[str], Parsed] | None = None) -> tuple[Registered]:
    """One ``register(...)`` call checked: ``register(importer)``, or ``register(name, read)``
    for a people format (``read(path)`` gives a ``Parsed``). Raises Refused."""
    from coffeechat.plugin_calls import Refused, shown

    if isinstance(importer, str) or read is not None:
        from coffeechat.people import PeopleImporter

        name = _checked_name(importer)
        if not callable(read):
            raise Refused(f"importer {name!r}: read is {shown(read)}, not a function")
        importer = PeopleImporter(name, read)
    name = _checked_name(getattr(importer, "name", None))
    help_text = getattr(importer, "help", None)
    if type(help_text) is not str or not help_text.strip():
        raise Refused(f"importer {name!r}: help {shown(help_text)} is not a text")
    reads = getattr(importer, "reads", None)
    if type(reads) is not str or reads not in ("file", "folder"):
        raise Refused(f"importer {name!r}: reads {shown(reads)} is not 'file' or 'folder'")
    options = _checked_options(name, getattr(importer, "options", ()))
    methods = []
    for method in ("read", "plan", "report"):
        function = getattr(importer, method, None)
        if not callable(function):
            raise Refused(f"importer {name!r}: {method} is {shown(function)}, not a method")
        methods.append(function)
    return (Registered(name, help_text, "file" if reads == "file" else "folder", options,
                       *methods),)


def _checked_name(value: object) -> str:
    from coffeechat.plugin_calls import Refused, shown

    if type(value) is not str or len(value) > NAME_CHARS or not _NAME.fullmatch(value):
        raise Refused(f"importer name {shown(value)} is not a command name (letters, digits, "
                      f"'-', '_' and '.', at most {NAME_CHARS} characters)")
    if value == JSONL:
        raise Refused("`import jsonl` is coffeechat's own")
    return value


def _checked_options(importer: str, options: object) -> tuple[Option, ...]:
    from coffeechat.plugin_calls import Refused, shown

    if type(options) not in (tuple, list):
        raise Refused(f"importer {importer!r}: options {shown(options)} is not a tuple")
    kept: list[Option] = []
    for option in cast("Sequence[object]", options):  # (a tuple or a list, as checked)
        if not isinstance(option, Option):
            raise Refused(f"importer {importer!r}: option {shown(option)} is not a "
                          "coffeechat.importing.Option")
        name, help_text, metavar = (tuple.__getitem__(option, n) for n in range(3))
        if (type(name) is not str or len(name) > NAME_CHARS or not _OPTION.fullmatch(name)
                or name in RESERVED_OPTIONS or name in [k.name for k in kept]):
            raise Refused(f"importer {importer!r}: option {shown(name)} is not a free option "
                          "name (lower-case letters, digits and '-')")
        if type(help_text) is not str or not (metavar is None or type(metavar) is str):
            raise Refused(f"importer {importer!r}: option {name!r}: help or metavar is not a "
                          "text")
        kept.append(Option(name, help_text, metavar))
    return tuple(kept)


def registered_importers(plugins: Plugins) -> dict[str, Registered]:
    """Every importer, by name, with the plugin that registered it (for the guard). Of two
    under one name, the one pluggy called first wins (a plugin's over a built-in one)."""
    from coffeechat.plugin_manager import BUILTINS

    builtins = {module.rsplit(".", 1)[1] for module in BUILTINS}
    found: dict[str, Registered] = {}
    for plugin, registrations in reversed(plugins.registered("register_importers",
                                                             importer_shape)):
        for (registered,) in registrations:
            found[registered.name] = registered._replace(plugin=plugin,
                                                         builtin=plugin in builtins)
    return found


# -- importing -------------------------------------------------------------------------------

def read(importer: Registered, context: ImportContext) -> object:
    """Step 1, before the store is locked: the path checked, then the importer's ``read``."""
    check_path(importer.reads, context.path)
    return _call(importer, "read", importer.read, context.path, context)


def apply(importer: Registered, store: Store, data: object, context: ImportContext, *,
          dry_run: bool = False) -> Imported[Any]:
    """Steps 2 and 3: the plan, made inside the write transaction, and its events appended
    there as one batch. A dry run makes the plan against the log as it is and stops."""
    if dry_run:
        plan = _call(importer, "plan", _checked_plan, importer.plan, store, data, context)
        return Imported(context.path, plan.outcome, True, None, [])
    plans: list[Plan[Any]] = []

    def planned() -> list[tuple[list[NewEvent], str]]:
        plans.append(_call(importer, "plan", _checked_plan, importer.plan, store, data,
                           context))
        return [(plans[-1].events, context.source)]

    try:
        [written] = store.append_planned(planned)
    except BadInput as error:
        if not plans or importer.builtin:  # (the plan's own error, or ours)
            raise
        # The store refused an event the plugin planned: say whose it was.
        raise CoffeechatError(f"plugin {importer.plugin!r} failed in import {importer.name}: "
                              f"{error.message}") from None
    return Imported(context.path, plans[-1].outcome, False,
                    written[0].batch if written else None, written)


def report(importer: Registered, imported: Imported[Any], guard: Guard) -> Report:
    """The importer's report, with a dry run's additions.

    The events are recorded by now: a report that fails is a warning (kept by
    ``guard``), and a plain one stands in.
    """
    seconds = 0 if importer.builtin else None
    ok, made = guard.call(importer.plugin, f"import {importer.name}", _checked_report,
                          importer.report, imported, seconds=seconds, step="report")
    if not ok:
        count = len(imported.events)
        made = Report({"batch": imported.batch, "recorded": count},
                      [f"{imported.path}: read and planned" if imported.dry_run else
                       f"{imported.path}: {count:,} events recorded"
                       + (f" (batch {imported.batch})" if imported.batch else "")])
    if not imported.dry_run:
        return made
    text = list(made.text) or [imported.path]
    text[0] += "; nothing was recorded (dry run)"
    return Report({**made.document, "dry_run": True}, text, made.notes)


def check_path(reads: Reads, path: str) -> None:
    """A FILE must be a regular file, a DIR a folder (a FIFO or a device is never read)."""
    what = "FILE" if reads == "file" else "DIR"
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise BadInput(f"{what}: cannot read {path} ({error.strerror})") from None
    except ValueError:  # (a NUL byte in the path)
        raise BadInput(f"{what}: cannot read {path!r}") from None
    if reads == "file" and not stat.S_ISREG(mode):
        raise BadInput(f"FILE: {path} is not a regular file")
    if reads == "folder" and not stat.S_ISDIR(mode):
        raise BadInput(f"DIR: {path} is not a folder")


# -- calling the importer --------------------------------------------------------------------

def _call(importer: Registered, step: str, function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` through the guard: the importer's own CoffeechatError is raised
    as it is; any other failure, or a hang, is one error naming the plugin."""
    from coffeechat.plugin_calls import Guard

    guard = Guard()  # its own: a failure here ends the command with one line, not a warning
    ok, answer = guard.call(importer.plugin, f"import {importer.name}", _answer, function,
                            *args, seconds=0 if importer.builtin else None, step=step)
    if not ok:
        raise CoffeechatError(f"{guard.failures[0]}; nothing was imported")
    error, value = answer
    if error is not None:
        raise error
    return value


def _answer(function: Callable[..., Any], *args: Any
            ) -> tuple[CoffeechatError | None, Any]:
    try:
        return None, function(*args)
    except CoffeechatError as error:  # the user's error (a file that cannot be imported)
        return error, None


def _checked_plan(plan: Callable[..., Any], *args: Any) -> Plan[Any]:
    from coffeechat.plugin_calls import Refused, shown
    from coffeechat.store import NewEvent

    made = plan(*args)
    if not isinstance(made, Plan) or tuple.__len__(made) != 2:
        raise Refused(f"plan returned {shown(made)}, not a coffeechat.importing.Plan")
    events, outcome = (tuple.__getitem__(made, n) for n in range(2))
    if type(events) not in (list, tuple) or not all(isinstance(e, NewEvent) for e in events):
        raise Refused("the plan's events are not a list of coffeechat.NewEvent")
    return Plan(list(events), outcome)


def _checked_report(report: Callable[[Imported[Any]], Any], imported: Imported[Any]
                    ) -> Report:
    from coffeechat.codec import encode_json
    from coffeechat.plugin_calls import Refused, shown

    made = report(imported)
    if not isinstance(made, Report) or tuple.__len__(made) != 3:
        raise Refused(f"report returned {shown(made)}, not a coffeechat.importing.Report")
    document, text, notes = (tuple.__getitem__(made, n) for n in range(3))
    lines = [text, notes]
    if type(document) is not dict or not all(
            type(part) in (list, tuple) and all(type(line) is str for line in part)
            for part in lines):
        raise Refused("its report is not a dict and lists of lines")
    encode_json(document)  # (a document that cannot be printed fails here, not later)
    return Report(document, list(text), list(notes))
