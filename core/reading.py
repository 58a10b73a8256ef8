"""Reading the log the way coffeechat does: for plugins' commands and scripts.

A plugin that counts or reports needs what the CLI shows, not raw rows: undone
events left out, merged contacts folded together, follow-ups as ``due`` lists
them. :class:`Reader` gives exactly that, on a store it first catches up (as
every CLI read does, with the same plugins):

    reader = coffeechat.Reader(app.store(), app.plugins())   # in a plugin's command
    jane = reader.contact("jane")                 # a coffeechat.ContactState
    for event in reader.events(jane): ...         # live events, merges included
    for item in reader.due(within_days=7): ...    # coffeechat.DueItem, oldest first

Outside the CLI, ``coffeechat.Reader(coffeechat.open_store(path))`` loads the
installed plugins (and config.toml's plugins folder) as the CLI would, should
the projections need catching up.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import msgspec

from coffeechat.codec import EVENT_COLUMNS, Event, event_from_row
from coffeechat.fold import CONTACT_PREFIX, ContactState

if TYPE_CHECKING:
    from coffeechat.plugin_manager import Plugins
    from coffeechat.projections.projector import Projector
    from coffeechat.store import Store


class DueItem(msgspec.Struct, kw_only=True, frozen=True):
    """An open follow-up, as ``coffeechat due --json`` shows it."""

    contact: str  # the contact's id
    name: str  # the contact's name
    kind: str  # thank-you, nudge, prep, record-meeting, commitment, check-in, ... a plugin's
    due_at: str  # when, a stored time (2026-11-21T18:00:00Z)
    overdue: bool  # due before now
    reason: str  # one line for people ("met on 2026-11-20")
    event: str  # the id of the event that caused it
    commitment: str | None = None  # for a commitment: its id, which `done` takes
    handle: str = ""  # its short handle, which `done`, `skip` and `snooze` take


class Reader:
    """Contacts, their events and what is due, from one store, with the projections current.

    ``plugins`` are the plugins the CLI runs with (``app.plugins()`` in a
    command); without them, the installed ones are loaded when needed.
    """

    def __init__(self, store: Store, plugins: Plugins | None = None) -> None:
        self.store = store
        self._plugins = plugins
        self._projector: Projector | None = None

    # -- keeping current ----------------------------------------------------------

    @property
    def projector(self) -> Projector:
        if self._projector is None:
            from coffeechat.projections.projector import Projector

            if self._plugins is None:
                from coffeechat.config import load_config
                from coffeechat.plugin_manager import Plugins

                self._plugins = Plugins(load_config())
            self._projector = Projector(self.store, plugins=self._plugins)
        return self._projector

    def current(self) -> Store:
        """The store, every projection caught up with the log (cheap when it is)."""
        from coffeechat.projections import is_current

        folder = None if self._plugins is None else self._plugins.plugins_dir or ""
        if not is_current(self.store.conn, check_plugins=True, plugins_dir=folder):
            self.projector.catch_up()
        return self.store

    # -- contacts ----------------------------------------------------------------

    def contacts(self) -> list[ContactState]:
        """Every contact (a merged one is part of the one it was merged into), by name."""
        from coffeechat.projections.merges import alias_roots

        db = self.current().conn
        root_of = alias_roots(db)
        aliases: dict[str, list[str]] = {}
        for alias, root in sorted(root_of.items()):
            aliases.setdefault(root, []).append(alias)
        ids = [row[0] for row in db.execute(
            "SELECT id FROM contacts ORDER BY name COLLATE NOCASE, id")]
        return [self.projector.fold_family(contact_id, aliases.get(contact_id, []))
                for contact_id in ids if contact_id not in root_of]

    def contact(self, name_or_id: str) -> ContactState:
        """The contact a CONTACT argument names (id, or an unambiguous part of the name).

        Raises ``coffeechat.errors.UnknownContact`` or ``AmbiguousContact`` (one
        line, as the CLI says it) when it names no one, or more than one.
        """
        from coffeechat.resolve import resolve_contact

        contact_id = resolve_contact(self.current().conn, name_or_id)
        return self.projector.fold_stream(CONTACT_PREFIX + contact_id)

    def events(self, contact: str | ContactState) -> list[Event]:
        """A contact's live events, oldest first (by when they happened).

        Undone events and the undos themselves are left out; the events of
        contacts merged into this one are in. Events the current version cannot
        read are left out, as the fold leaves them out.
        """
        state = contact if isinstance(contact, ContactState) else self.contact(contact)
        live = {row.id for row in state.events}
        streams = [state.stream, *(CONTACT_PREFIX + alias for alias in state.aliases)]
        rows = self.store.conn.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE stream IN "
            "(SELECT value FROM json_each(?)) ORDER BY occurred_at, id",
            (msgspec.json.encode(streams).decode(),))
        return [event for event in map(event_from_row, rows) if event.id in live]

    # -- follow-ups ----------------------------------------------------------------

    def due(self, within_days: float | None = None, *, contact: str | None = None
            ) -> list[DueItem]:
        """Open follow-ups, oldest due first: all of them, or those due within so many days.

        ``contact`` (a CONTACT argument) keeps one contact's. Overdue is judged
        against coffeechat's clock (``COFFEECHAT_NOW`` when set).
        """
        from coffeechat import clock, queries
        from coffeechat.resolve import resolve_contact

        db = self.current().conn
        now = clock.now()
        horizon = None if within_days is None else clock.stamp(now + timedelta(days=within_days))
        contact_id = resolve_contact(db, contact) if contact is not None else None
        items = queries.due(db, "main", clock.stamp(now), horizon, contact_id=contact_id)
        return [msgspec.convert(item, DueItem) for item in items]
