"""Plugin hook specifications (pluggy project ``coffeechat``).

Hooks that add things take a ``register`` callback, so a plugin can add none,
one or many, and the caller keeps one registry. Every hook is documented with
its exact signature in docs/plugins.md (a test checks that). Implement them
with ``@coffeechat.hookimpl``; an implementation may take any subset of the
arguments. pluggy calls the implementations in its own order: the most recently
registered plugin first, moved by ``tryfirst``/``trylast``; where two register
the same name, the first called wins. New-style wrappers
(``@hookimpl(wrapper=True)``) work too.

Every call into a plugin (its import, each hook, each rule and projection
method) is isolated and time-limited (``COFFEECHAT_HOOK_SECONDS``, see
``coffeechat.plugin_calls``): a plugin that raises, returns garbage or hangs is
named in one warning and the user's command goes on without it. What a
``register`` callback is given is checked; a bad registration is left out.

The types in the signatures are exported from ``coffeechat`` (``coffeechat.Channel``,
``coffeechat.ContactState``, ...), and so are the ``Register...`` callback types.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    import click

    from coffeechat.channels import Channel, Message
    from coffeechat.codec import Event
    from coffeechat.config import Config
    from coffeechat.events import Payload
    from coffeechat.fold import ContactState
    from coffeechat.notebook import Note, NoteBook
    from coffeechat.projections.base import Projection
    from coffeechat.rules import FollowUp
    from coffeechat.store import Store
    from coffeechat.views import ViewContext

hookspec = pluggy.HookspecMarker("coffeechat")
hookimpl = pluggy.HookimplMarker("coffeechat")


# -- the register callbacks hooks hand a plugin ---------------------------------------


class RegisterEventType(Protocol):
    def __call__(self, type_name: str, payload_struct: type[Payload],
                 schema: int | None = None) -> None: ...


class RegisterUpcaster(Protocol):
    def __call__(self, type_name: str, from_schema: int,
                 upcast: Callable[[dict[str, Any]], dict[str, Any]]) -> None: ...


class RegisterChannel(Protocol):
    def __call__(self, channel: Channel) -> None: ...


class RegisterRule(Protocol):
    def __call__(self, name: str, rule: Callable[[ContactState], Iterable[FollowUp]],
                 version: int = 1) -> None: ...


class RegisterProjection(Protocol):
    def __call__(self, projection: Projection) -> None: ...


class RegisterNoteParser(Protocol):
    def __call__(self, note_type: str, parser: Callable[[Note, NoteBook], None]) -> None: ...


class RegisterTemplateDir(Protocol):
    def __call__(self, path: str) -> None: ...


class RegisterView(Protocol):
    def __call__(self, name: str, render: Callable[[ViewContext], dict[str, str]]) -> None: ...


# -- the hooks -------------------------------------------------------------------------


@hookspec
def register_event_types(register: RegisterEventType) -> None:
    """Add event types: ``register(type_name, payload_struct, schema=1)``.

    ``payload_struct`` is a subclass of ``coffeechat.events.Payload`` (a msgspec
    Struct); ``schema`` is the payload version written today.
    """


@hookspec
def register_upcasters(register: RegisterUpcaster) -> None:
    """Move old payloads forward: ``register(type_name, from_schema, upcast)``.

    ``upcast(fields: dict) -> dict`` turns a payload of ``from_schema`` into one
    of ``from_schema + 1``.
    """


@hookspec
def register_channels(register: RegisterChannel, config: Config) -> None:
    """Add channels: ``register(channel)`` (see ``coffeechat.Channel``).

    A channel's optional ``address`` names the contact field it delivers to
    (``"email"``, the default, ``"phone"`` or ``"linkedin"``): ``Message.to`` is
    filled from it. ``config`` is the loaded ``coffeechat.Config``; a plugin's
    own settings are ``config.plugins.get("<name>", {})``.
    """


@hookspec
def register_followup_rules(register: RegisterRule, config: Config) -> None:
    """Add follow-up rules: ``register(name, rule, version=1)``.

    ``rule(state)`` gets a contact's folded ``coffeechat.ContactState``
    (``state.events`` holds its live events, ``coffeechat.Row``, oldest first)
    and returns an iterable of ``coffeechat.FollowUp``. Bump ``version`` when the
    rule's results change: the follow-ups are then recomputed from the log.

    Each item is checked (``contact`` is ``state.id``, ``kind`` a short one-line
    name, ``due_at``/``expires_at``/``anchor`` stored times, the rest strings);
    a bad one is dropped. Rules run inside the write lock: a rule gets one time
    limit for a whole catch-up, and once past it is skipped for the command.
    """


@hookspec
def register_projections(register: RegisterProjection, config: Config) -> None:
    """Add read models: ``register(projection)``.

    ``projection`` is a ``coffeechat.Projection`` with its own
    tables (none of coffeechat's), a ``name`` and a ``version`` (an int ≥ 0); it is
    caught up with the log like the built-in ones, with its checkpoint in the
    same transaction as its rows. Its work runs in a savepoint of its own: if a
    method raises or hangs, only its work is rolled back and its checkpoint stays
    put (tried again next command); the built-in projections go on.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add CLI commands: ``cli.add_command(command)`` on the click group ``cli``."""


@hookspec
def register_note_parsers(register: RegisterNoteParser) -> None:
    """Add note types for the notes folder: ``register(note_type, parser)``.

    ``parser(note, book)`` gets a ``coffeechat.Note`` (its ``front`` matter,
    ``body``, ``path``) and records events with ``book.record(contact_id,
    payload)`` on a ``coffeechat.NoteBook``; ``book.contact()`` resolves the
    note's contact. Raise ``coffeechat.NoteProblem(key, message)`` for a bad note.
    """


if TYPE_CHECKING:
    from coffeechat.importing import RegisterImporter


@hookspec
def register_importers(register: RegisterImporter) -> None:
    """Add formats to ``coffeechat import``: ``register(importer)``.

    ``importer`` is a ``coffeechat.importing.Importer``: a ``name`` (the
    command: ``coffeechat import NAME``), a ``help`` text, what it ``reads``
    (``"file"`` or ``"folder"``), its own ``options``
    (``coffeechat.importing.Option``), and three methods, called in turn:
    ``read(path, context)`` reads and checks the input before the store is
    locked; ``plan(store, data, context)`` decides against the log, inside the
    write transaction, and returns a ``coffeechat.importing.Plan`` (events, and
    an outcome of its own); ``report(result)`` turns the ``Imported`` result into
    a ``coffeechat.importing.Report`` (the ``--json`` document, lines of text).
    coffeechat appends the plan as one batch (source ``import:NAME``), and every
    importer gets ``--dry-run`` and ``--json``. Raise ``coffeechat.errors.BadInput``
    for an input that cannot be imported; anything else raised, or a hang
    (``COFFEECHAT_HOOK_SECONDS`` per call), imports nothing and names the plugin.

    ``register(name, read)`` adds a format of people: ``read(path)`` returns a
    ``coffeechat.people.Parsed`` (``Person`` rows, and ``RowError`` items for
    rows it could not read); coffeechat validates, matches and records them as
    it does LinkedIn's, with ``--skip-bad``.
    """


@hookspec
def register_template_dirs(register: RegisterTemplateDir) -> None:
    """Add message template folders: ``register(path)``; earlier ones win."""


@hookspec
def register_views(register: RegisterView) -> None:
    """Add views that ``watch`` writes: ``register(name, render)``.

    ``render(context)`` gets a ``coffeechat.ViewContext``
    (``store``, ``schema``, ``now``, ``errors``, ``pages``) and returns
    ``{path relative to the views folder: Markdown text}``.
    """


@hookspec(firstresult=True)
def compose_message(kind: str, state: ContactState, to: str | None, nudge: bool,
                    template: str | None, store: Store, template_dirs: list[str]
                    ) -> Message | None:
    """Return the ``coffeechat.Message`` to send, or None to leave it to others.

    ``kind`` is ``ask``, ``thank`` or ``checkin``; ``state`` is the contact's
    ``ContactState``; ``to`` its address on the channel in use (the contact
    field the channel's ``address`` names), if known; ``nudge`` is true for the
    reminder of an open ask;
    ``template`` is the ``--template`` name given, if any; ``store`` is the open
    store; ``template_dirs`` the folders plugins registered. The first plugin
    that returns a message wins (pluggy's ``firstresult``: the last registered
    is asked first, ``tryfirst``/``trylast`` move one);
    coffeechat's plain default is used when none does. A plugin that raises,
    hangs or returns something else stops the command: nothing is sent or recorded.
    """


@hookspec
def event_appended(event: Event, store: Store) -> None:
    """Called once per event (a ``coffeechat.Event``) after its batch committed to ``store``.

    A plugin that raises or hangs here is reported by name; the event stays
    recorded. One that hangs is stopped and not called for the rest of the batch.
    """
