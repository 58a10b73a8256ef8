"""The projector: keeps every projection at the end of the log.

Before a read, :func:`coffeechat.projections.is_current` compares each
projection's checkpoint with the log's last ``seq``; when nothing is new, the
projector is not even imported. Otherwise, in one write transaction, it
re-folds the contacts that the new events touched, replaces their rows in every
projection, and moves the checkpoints: rows and checkpoint commit together, so
a crash leaves a projection either before or after the batch, never half way.
A projection whose version changed, or that depends on follow-up settings,
plugin rules or the local time zone that changed, is rebuilt from the whole log;
so is one whose table is missing (derived data, dropped behind our back), and
a missing bookkeeping table (``projections``, ``meta``) is recreated first.

A plugin's projection is isolated (:mod:`.isolation`): when it fails, its
checkpoint stays put and the rest go on. Built-in ones are not: a failure
there is a bug of ours and must show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

import msgspec

from coffeechat.collector import collector_paused
from coffeechat.config import FollowupRules, config_stat, load_config
from coffeechat.fold import ContactState
from coffeechat.projections import (
    INDEXES,
    META_PLUGIN_ENV,
    META_PLUGINS_DIR,
    META_ZONE,
    SHADOWS,
    folding,
    is_current,
    local_zone,
)
from coffeechat.projections.base import Projection
from coffeechat.projections.contacts import ContactsProjection
from coffeechat.projections.folding import CONTACT_STREAMS
from coffeechat.projections.followups import FollowupsProjection
from coffeechat.projections.isolation import Step, in_savepoint
from coffeechat.projections.merges import MergesProjection
from coffeechat.projections.referrals import ReferralsProjection
from coffeechat.projections.search import PENDING, SearchProjection
from coffeechat.rules import ExtraRule
from coffeechat.store import (
    Store,
    index_names,
    missing_bookkeeping,
    restore_bookkeeping,
    table_names,
)

if TYPE_CHECKING:
    from coffeechat.plugin_manager import Plugins

FULL_REFOLD_RATIO = 4  # above 1 touched contact in 4, fold everything in one pass
FULL_REFOLD_MIN = 2000  # ... but never for fewer touched contacts than a quarter of this

Progress = Callable[[int, int], None]  # (done, total) events


class Setup(NamedTuple):
    """What one catch-up folds with."""

    rules: FollowupRules
    extra_rules: tuple[ExtraRule, ...]
    projections: list[Projection]
    rules_changed: bool  # rebuild what depends on the rules (or the local time zone)


class Projector:
    """Keeps the projections of one store current.

    ``rules`` fixes the follow-up settings (otherwise they come from the config
    file); ``plugins`` adds plugin rules and projections.
    """

    def __init__(self, store: Store, rules: FollowupRules | None = None,
                 plugins: Plugins | None = None) -> None:
        self.store = store
        self._rules = rules
        self.plugins = plugins

    # -- settings -----------------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        row = self.store.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _remember(self, key: str, value: str) -> bool:
        """Store a meta value; True when it changed."""
        if self._meta(key) == value:
            return False
        self.store.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))
        return True

    def _follow_up_rules(self) -> tuple[FollowupRules, str | None]:
        """The settings, and the config file's stat when it was (re)read."""
        if self._rules is not None:
            return self._rules, None
        stat = config_stat()
        stored = self._meta("rules")
        if stat == self._meta("config_stat") and stored is not None:
            try:
                return msgspec.json.decode(stored, type=FollowupRules), None
            except msgspec.DecodeError:  # (noted by another version, with other settings)
                pass
        return load_config().followups, stat

    def setup(self, *, record: bool = True) -> Setup:
        """The settings to fold with; with ``record`` (in a write), note them and what changed."""
        rules, stat = self._follow_up_rules()
        projections: list[Projection] = [
            ContactsProjection(rules), FollowupsProjection(), ReferralsProjection(),
            SearchProjection(), MergesProjection()]
        extra: tuple[ExtraRule, ...] = ()
        plugin_set = ""
        if self.plugins is not None:
            extra = tuple(rule for _name, rule, _version in self.plugins.followup_rules())
            names = {p.name for p in projections}
            projections += [p for p in self.plugins.projections() if p.name not in names]
            plugin_set = self.plugins.fingerprint()
        changed = False
        if record:
            if stat is not None:
                self._remember("config_stat", stat)
            changed = self._remember("rules", msgspec.json.encode(rules).decode())
            # Days are calendar days in the local zone: another zone, other due times.
            changed = self._remember(META_ZONE, local_zone()) or changed
            changed = self._remember("plugin_set", plugin_set) or changed
            if self.plugins is not None:
                from coffeechat.plugin_sources import environment_fingerprint

                # The folder loaded without --plugins-dir (config.toml's), and what was
                # loaded now: a command loading something else sees it (is_current).
                self._remember(META_PLUGINS_DIR, self.plugins.configured_dir or "")
                self._remember(META_PLUGIN_ENV, environment_fingerprint(self.plugins.plugins_dir))
        return Setup(rules, extra, projections, changed)

    # -- keeping current ----------------------------------------------------------

    def is_current(self) -> bool:
        """True when there is nothing new to apply (see :func:`is_current`).

        With plugins, their folder (``--plugins-dir`` or the config's) is compared.
        """
        folder = None if self.plugins is None else self.plugins.plugins_dir or ""
        return is_current(self.store.conn, check_config=self._rules is None,
                          check_plugins=self.plugins is not None, plugins_dir=folder)

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply what is new in the log; return how many events were applied."""
        if self.is_current():
            return 0
        self._load_plugins()
        with self.store.write(durable=False):  # (the log has it all: no wait for the disk)
            return self._catch_up(progress)

    def _load_plugins(self) -> None:
        """Import plugins and take their registrations before the write lock, not inside it."""
        if self.plugins is not None:
            self.plugins.fingerprint()

    def catch_up_locked(self) -> int:
        """:meth:`catch_up` for a caller already inside a write transaction."""
        return 0 if self.is_current() else self._catch_up(None)

    def checkpoint(self) -> int:
        """The seq every built-in projection has applied (what the views show).

        (A failing plugin projection stays behind; it must not hold the views back.)
        """
        from coffeechat.projections import VERSIONS

        return self.store.conn.execute(
            "SELECT min(checkpoint) FROM projections WHERE name IN "
            "(SELECT value FROM json_each(?))", (msgspec.json.encode(list(VERSIONS)),)
        ).get or 0

    def _catch_up(self, progress: Progress | None) -> int:
        db = self.store.conn
        last = self.store.last_seq()
        present = table_names(db)
        restore_bookkeeping(db, present)
        present |= index_names(db)
        setup = self.setup()
        state = {name: (version, checkpoint) for name, version, checkpoint
                 in db.execute("SELECT name, version, checkpoint FROM projections")}
        stale: list[Projection] = []
        behind: list[Projection] = []
        for projection in setup.projections:
            version, checkpoint = state.get(projection.name, (None, 0))
            if (version != projection.version or (setup.rules_changed and projection.uses_rules)
                    or _missing_table(projection, present)):
                stale.append(projection)
            elif checkpoint < last:
                behind.append(projection)
        applied = 0
        failed: set[str] = set()  # plugin projections that failed to catch up: left behind
        unbuilt: set[str] = set()  # ... that failed in a rebuild: to be rebuilt
        if stale:
            applied = self._rebuild(stale, setup, progress, failed=unbuilt)
        if behind:
            since = min(state[p.name][1] for p in behind)
            applied = max(applied, last - since)
            # A few new events (a command catching up the last one): read just them,
            # by seq. Left alone, SQLite answers DISTINCT from the (stream, version)
            # index, a scan of every event (5-13 ms on 100k), which only pays when a
            # good part of the log is new.
            by_seq = "NOT INDEXED " if (last - since) * FULL_REFOLD_RATIO < last else ""
            streams = [row[0] for row in db.execute(
                f"SELECT DISTINCT stream FROM events {by_seq}"
                "WHERE seq > ? AND +stream >= ? AND +stream < ?", (since, *CONTACT_STREAMS))]
            contacts = db.execute("SELECT count(*) FROM contacts").get
            if len(streams) * FULL_REFOLD_RATIO > max(contacts, FULL_REFOLD_MIN):
                self._rebuild(behind, setup, progress, failed=unbuilt)
            else:
                folded = folding.refold(db, streams, setup.rules, setup.extra_rules)
                for projection in behind:
                    self._run(projection, failed,
                              ("remove", partial(projection.remove, db, "main", folded)),
                              ("insert", partial(projection.insert, db, "main", folded)))
        self._checkpoint([p for p in stale + behind if p.name not in failed | unbuilt], last,
                         keep={p.name for p in setup.projections}, unbuilt=unbuilt)
        return applied

    def _run(self, projection: Projection, failed: set[str], *steps: Step) -> None:
        """Run steps of a projection's work; a plugin's are isolated (see the module doc).

        A plugin projection that fails is added to ``failed`` and skipped from then on.
        """
        owner = self.plugins.owner(projection) if self.plugins is not None else None
        if owner is None:  # built in
            for _name, call in steps:
                call()
            return
        assert self.plugins is not None
        if projection.name not in failed and not in_savepoint(
                self.store.conn, self.plugins.guard, owner, f"projection {projection.name!r}",
                steps):
            failed.add(projection.name)

    def _checkpoint(self, projections: list[Projection], last: int, keep: set[str],
                    unbuilt: set[str] | None = None) -> None:
        """Move checkpoints; plugin projections whose rebuild failed are marked to rebuild.

        (Its tables may be half rebuilt: version -1, which no plugin uses, makes
        the next command, read or write, rebuild it.)
        """
        db = self.store.conn
        db.executemany(
            "INSERT INTO projections(name, version, checkpoint) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET version = excluded.version, "
            "checkpoint = excluded.checkpoint",
            [(p.name, p.version, last) for p in projections])
        db.executemany(
            "INSERT INTO projections(name, version, checkpoint) VALUES (?, -1, 0) "
            "ON CONFLICT(name) DO UPDATE SET version = -1, checkpoint = 0",
            [(name,) for name in sorted(unbuilt or ())])
        # A projection whose plugin is gone is no longer kept current.
        for (name,) in db.execute("SELECT name FROM projections").fetchall():
            if name not in keep:
                db.execute("DELETE FROM projections WHERE name = ?", (name,))

    def rebuild(self, progress: Progress | None = None) -> int:
        """Rebuild every projection from the whole log; return the events read."""
        self._load_plugins()
        with self.store.write(durable=False):
            restore_bookkeeping(self.store.conn, table_names(self.store.conn))
            setup = self.setup()
            unbuilt: set[str] = set()
            count = self._rebuild(setup.projections, setup, progress, failed=unbuilt)
            self._checkpoint([p for p in setup.projections if p.name not in unbuilt],
                             self.store.last_seq(), keep={p.name for p in setup.projections},
                             unbuilt=unbuilt)
        return count

    def _rebuild(self, projections: list[Projection], setup: Setup,
                 progress: Progress | None, schema: str = "main",
                 recorded_by: str | None = None, failed: set[str] | None = None) -> int:
        """Rebuild in one pass over the log; plugin projections that fail go into ``failed``.

        (Their steps are isolated one by one: one that fails part way through
        keeps what it wrote before, so it must be rebuilt again, not caught up.)
        """
        db = self.store.conn
        failed = set() if failed is None else failed
        for projection in projections:
            self._run(projection, failed, ("create", partial(projection.create, db, schema)))
        count = 0
        with collector_paused():  # (folding makes millions of small objects, no cycles)
            for chunk, read in folding.fold_all(db, setup.rules, setup.extra_rules,
                                                recorded_by=recorded_by):
                for projection in projections:
                    self._run(projection, failed,
                              ("insert", partial(projection.insert, db, schema, chunk)))
                count = read
                if progress is not None:
                    progress(read, 0)
        for projection in projections:
            self._run(projection, failed,
                      ("indexes", partial(projection.create_indexes, db, schema)),
                      ("finish", partial(projection.finish, db, schema)))
        return count

    # -- folding one contact (coffeechat.projections.folding) -------------------------

    def fold_family(self, contact_id: str, aliases: list[str]) -> ContactState:
        """A contact folded with the contacts merged into it."""
        return folding.fold_family(self.store.conn, contact_id, aliases)

    def fold_stream(self, stream: str) -> ContactState:
        """The current state of one contact, with any contacts merged into it."""
        return folding.fold_stream(self.store.conn, stream)

    # -- the past -----------------------------------------------------------------

    @contextmanager
    def as_of(self, recorded_by: str) -> Iterator[str]:
        """Build every projection, as recorded by ``recorded_by``, in a scratch schema."""
        db = self.store.conn
        self._load_plugins()
        if missing_bookkeeping(table_names(db)):  # (the settings are read from meta)
            with self.store.write(durable=False):
                restore_bookkeeping(db, table_names(db))
        db.execute("ATTACH DATABASE ':memory:' AS asof")
        try:
            setup = self.setup(record=False)
            db.execute("BEGIN")
            try:
                self._rebuild(setup.projections, setup, None, "asof", recorded_by)
            finally:
                db.execute("COMMIT")
            yield "asof"
        finally:
            db.execute("DETACH DATABASE asof")



def _missing_table(projection: Projection, present: set[str]) -> bool:
    """Whether a table (or a built-in index) the projection keeps is not among ``present``
    (lower-case names).

    (The search index's list of what is still to index exists only until the
    first search: it is not missed.)
    """
    return any(name.lower() not in present
               for name in (*projection.tables, *SHADOWS.get(projection.name, ()),
                            *INDEXES.get(projection.name, ()))
               if name != PENDING)
