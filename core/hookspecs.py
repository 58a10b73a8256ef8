"""Plugin hook specifications (pluggy project ``coffeechat``).

Hooks that add things take a ``register`` callback, so a plugin can add none,
one or many, and the caller keeps one registry. Every hook is documented with
its exact signature in docs/plugins.md (a test checks that). Implement them
with ``@coffeechat.hookimpl``; an implementation may take any subset of the
arguments.

Every call into a plugin (its import, each hook, each rule and projection
method) is isolated and time-limited (``COFFEECHAT_HOOK_SECONDS``, see
``coffeechat.plugin_calls``): a plugin that raises, returns garbage or hangs is
named in one warning and the user's command goes on without it. What a
``register`` callback is given is checked; a bad registration is left out.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("coffeechat")
hookimpl = pluggy.HookimplMarker("coffeechat")


@hookspec
def register_event_types(register: Any) -> None:
    """Add event types: ``register(type_name, payload_struct, schema=1)``.

    ``payload_struct`` is a subclass of ``coffeechat.events.Payload`` (a msgspec
    Struct); ``schema`` is the payload version written today.
    """


@hookspec
def register_upcasters(register: Any) -> None:
    """Move old payloads forward: ``register(type_name, from_schema, upcast)``.

    ``upcast(fields: dict) -> dict`` turns a payload of ``from_schema`` into one
    of ``from_schema + 1``.
    """


@hookspec
def register_channels(register: Any, config: Any) -> None:
    """Add channels: ``register(channel)`` (see ``coffeechat.channels.Channel``).

    ``config`` is the loaded ``coffeechat.config.Config``; a plugin's own
    settings are ``config.plugins.get("<name>", {})``.
    """


@hookspec
def register_followup_rules(register: Any, config: Any) -> None:
    """Add follow-up rules: ``register(name, rule, version=1)``.

    ``rule(state)`` gets a contact's folded ``ContactState`` (``state.events``
    holds its live events, ``coffeechat.fold.Row``, oldest first) and returns an
    iterable of ``coffeechat.rules.FollowUp``. Bump ``version`` when the rule's results
    change: the follow-ups are then recomputed from the log.

    Each item is checked (``contact`` is ``state.id``, ``kind`` a short one-line
    name, ``due_at``/``expires_at``/``anchor`` stored times, the rest strings);
    a bad one is dropped. Rules run inside the write lock: a rule gets one time
    limit for a whole catch-up, and once past it is skipped for the command.
    """


@hookspec
def register_projections(register: Any, config: Any) -> None:
    """Add read models: ``register(projection)``.

    ``projection`` is a ``coffeechat.projections.base.Projection`` with its own
    tables (none of coffeechat's), a ``name`` and a ``version`` (an int ≥ 0); it is
    caught up with the log like the built-in ones, with its checkpoint in the
    same transaction as its rows. Its work runs in a savepoint of its own: if a
    method raises or hangs, only its work is rolled back and its checkpoint stays
    put (tried again next command); the built-in projections go on.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add CLI commands: ``cli.add_command(command)`` on the click group ``cli``."""


@hookspec
def register_note_parsers(register: Any) -> None:
    """Add note types for the notes folder: ``register(note_type, parser)``.

    ``parser(note, book)`` gets a ``coffeechat.plugins.notes.Note`` (its
    ``front`` matter, ``body``, ``path``) and records events with
    ``book.record(contact_id, payload)``; ``book.contact()`` resolves the
    note's contact. Raise ``coffeechat.plugins.notes.NoteProblem(key, message)``
    for a bad note.
    """


@hookspec
def register_importers(register: Any) -> None:
    """Add file formats to ``coffeechat import``: ``register(name, read)``.

    ``read(path)`` returns a ``coffeechat.people.Parsed`` (``Person`` rows and
    ``RowError`` items for rows it could not read); coffeechat validates,
    matches and records them. Raise ``coffeechat.errors.BadInput`` for a file
    it cannot read at all.
    """


@hookspec
def register_template_dirs(register: Any) -> None:
    """Add message template folders: ``register(path)``; earlier ones win."""


@hookspec
def register_views(register: Any) -> None:
    """Add views that ``watch`` writes: ``register(name, render)``.

    ``render(context)`` gets a ``coffeechat.plugins.markdown_views.ViewContext``
    (``store``, ``schema``, ``now``, ``errors``, ``pages``) and returns
    ``{path relative to the views folder: Markdown text}``.
    """


@hookspec(firstresult=True)
def compose_message(kind: str, state: Any, to: str | None, nudge: bool,
                    template: str | None, store: Any, template_dirs: list[str]) -> Any:
    """Return the ``coffeechat.channels.Message`` to send, or None to leave it to others.

    ``kind`` is ``ask``, ``thank`` or ``checkin``; ``state`` is the contact's
    ``ContactState``; ``nudge`` is true for the reminder of an open ask;
    ``template`` is the ``--template`` name given, if any; ``store`` is the open
    store; ``template_dirs`` the folders plugins registered. The first plugin
    that returns a message wins (the last registered is asked first);
    coffeechat's plain default is used when none does. A plugin that raises,
    hangs or returns something else stops the command: nothing is sent or recorded.
    """


@hookspec
def event_appended(event: Any, store: Any) -> None:
    """Called once per event after its batch committed to ``store``.

    A plugin that raises or hangs here is reported by name; the event stays
    recorded. One that hangs is stopped and not called for the rest of the batch.
    """
