"""The projector: keeps every projection at the end of the log.

Before a read, :func:`coffeechat.projections.is_current` compares each
projection's checkpoint with the log's last ``seq``; when nothing is new, the
projector is not even imported. Otherwise, in one write transaction, it
re-folds the contacts that the new events touched, replaces their rows in every
projection, and moves the checkpoints: rows and checkpoint commit together, so
a crash leaves a projection either before or after the batch, never half way.
A projection whose version changed, or that depends on follow-up settings or
plugin rules that changed, is rebuilt from the whole log.

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

from coffeechat.config import FollowupRules, config_stat, load_config
from coffeechat.fold import CONTACT_PREFIX, ROW_COLUMNS, ContactState, Row, fold
from coffeechat.projections import META_PLUGIN_ENV, META_PLUGINS_DIR, is_current
from coffeechat.projections.base import Folded, Projection
from coffeechat.projections.contacts import ContactsProjection
from coffeechat.projections.followups import FollowupsProjection
from coffeechat.projections.isolation import Step, in_savepoint
from coffeechat.projections.merges import MergesProjection, roots
from coffeechat.projections.referrals import ReferralsProjection
from coffeechat.projections.search import SearchProjection
from coffeechat.rules import ExtraRule, due_items
from coffeechat.store import Store

if TYPE_CHECKING:
    from coffeechat.plugin_manager import Plugins

CHUNK = 2000  # contacts folded and written at a time during a rebuild
FULL_REFOLD_RATIO = 4  # above 1 touched contact in 4, fold everything in one pass
_STREAM_RANGE = (CONTACT_PREFIX, CONTACT_PREFIX[:-1] + chr(ord(":") + 1))

Progress = Callable[[int, int], None]  # (done, total) events


class Setup(NamedTuple):
    """What one catch-up folds with."""

    rules: FollowupRules
    extra_rules: tuple[ExtraRule, ...]
    projections: list[Projection]
    rules_changed: bool  # rebuild what depends on the rules


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
            return msgspec.json.decode(stored, type=FollowupRules), None
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
        with self.store.write():
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
        setup = self.setup()
        state = {name: (version, checkpoint) for name, version, checkpoint
                 in db.execute("SELECT name, version, checkpoint FROM projections")}
        stale: list[Projection] = []
        behind: list[Projection] = []
        for projection in setup.projections:
            version, checkpoint = state.get(projection.name, (None, 0))
            if version != projection.version or (setup.rules_changed and projection.uses_rules):
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
            streams = [row[0] for row in db.execute(
                "SELECT DISTINCT stream FROM events "
                "WHERE seq > ? AND +stream >= ? AND +stream < ?", (since, *_STREAM_RANGE))]
            contacts = db.execute("SELECT count(*) FROM contacts").get
            if len(streams) * FULL_REFOLD_RATIO > max(contacts, CHUNK):
                self._rebuild(behind, setup, progress, failed=unbuilt)
            else:
                folded = self._refold(streams, setup)
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
        with self.store.write():
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
        for chunk, read in self.fold_all(setup, recorded_by=recorded_by):
            for projection in projections:
                self._run(projection, failed,
                          ("insert", partial(projection.insert, db, schema, chunk)))
            count = read
            if progress is not None:
                progress(read, 0)
        for projection in projections:
            self._run(projection, failed, ("finish", partial(projection.finish, db, schema)))
        return count

    # -- folding ------------------------------------------------------------------

    def _rows(self, streams: list[str], recorded_by: str | None = None) -> list[Row]:
        sql = (f"SELECT {ROW_COLUMNS} FROM events WHERE stream IN "
               "(SELECT value FROM json_each(?))")
        params: tuple[str, ...] = (msgspec.json.encode(streams).decode(),)
        if recorded_by is not None:
            sql += " AND recorded_at <= ?"
            params += (recorded_by,)
        return [Row._make(r) for r in self.store.conn.execute(
            sql + " ORDER BY occurred_at, id", params)]

    def links(self, recorded_by: str | None = None) -> dict[str, str]:
        """alias → the contact it was merged into, from the log (merges are few)."""
        sql = "SELECT DISTINCT stream FROM events WHERE type = 'contact.merged'"
        params: tuple[str, ...] = ()
        if recorded_by is not None:
            sql += " AND recorded_at <= ?"
            params = (recorded_by,)
        found = {}
        streams: list[str] = [stream for (stream,) in self.store.conn.execute(sql, params)]
        for stream in streams:
            state = fold(stream, self._rows([stream], recorded_by))
            if state.merged_into:
                found[state.id] = state.merged_into
        return found

    def fold_family(self, contact_id: str, aliases: list[str],
                    recorded_by: str | None = None) -> ContactState:
        """A contact folded with the contacts merged into it."""
        streams = [CONTACT_PREFIX + c for c in [contact_id, *aliases]]
        state = fold(streams[0], self._rows(streams, recorded_by))
        state.aliases = aliases
        return state

    def fold_stream(self, stream: str) -> ContactState:
        """The current state of one contact, with any contacts merged into it."""
        contact_id = stream[len(CONTACT_PREFIX):]
        root_of = roots(self.links())
        if contact_id in root_of:  # itself merged away: just its own events
            return fold(stream, self._rows([stream]))
        return self.fold_family(contact_id, sorted(a for a, r in root_of.items()
                                                   if r == contact_id))

    def _alias(self, alias: str, into: str, recorded_by: str | None = None) -> Folded:
        """A merged-away contact: no rows of its own (only its old ones removed)."""
        stream = CONTACT_PREFIX + alias
        state = ContactState(alias)
        state.merged_into = into
        sql = "SELECT seq FROM events WHERE stream = ?"
        state.seqs = [r[0] for r in self.store.conn.execute(sql, (stream,))]
        return Folded(stream, state, [])

    def _family(self, contact_id: str, aliases: list[str], setup: Setup,
                recorded_by: str | None = None) -> Folded:
        state = self.fold_family(contact_id, aliases, recorded_by)
        return Folded(CONTACT_PREFIX + contact_id, state,
                      due_items(state, setup.rules, setup.extra_rules))

    def _refold(self, streams: list[str], setup: Setup) -> list[Folded]:
        """Re-fold the contacts these streams belong to, following merges old and new."""
        before = roots(dict(self.store.conn.execute("SELECT alias, into_id FROM merges")))
        links = self.links()
        after = roots(links)
        touched = {s[len(CONTACT_PREFIX):] for s in streams}
        changed = {a for a in before.keys() | after.keys() if before.get(a) != after.get(a)}
        targets = {after.get(c, c) for c in touched | changed}
        targets |= {before[c] for c in changed if c in before}
        folded = [self._family(c, sorted(a for a, r in after.items() if r == c), setup)
                  for c in sorted(targets) if c not in after]
        folded += [self._alias(a, links[a]) for a in sorted((touched | changed) & after.keys())]
        return folded

    def fold_all(self, setup: Setup, *, recorded_by: str | None = None,
                 ) -> Iterator[tuple[list[Folded], int]]:
        """Fold every contact once, in chunks; yields (folded, events read so far)."""
        links = self.links(recorded_by)
        after = roots(links)
        merged = {CONTACT_PREFIX + c for c in {*after, *after.values()}}  # folded at the end
        sql = (f"SELECT {ROW_COLUMNS} FROM events "
               "WHERE +stream >= ? AND +stream < ?")
        params: tuple[str, ...] = _STREAM_RANGE
        if recorded_by is not None:
            sql += " AND recorded_at <= ?"
            params += (recorded_by,)
        sql += " ORDER BY +stream, +occurred_at, +id"
        rules, extra = setup.rules, setup.extra_rules
        chunk: list[Folded] = []
        current = None
        rows: list[Row] = []
        read = 0
        make = Row._make
        for row in self.store.conn.execute(sql, params):
            read += 1
            stream = row[6]
            if stream != current:
                if current is not None and current not in merged:
                    state = fold(current, rows)
                    chunk.append(Folded(current, state, due_items(state, rules, extra)))
                    if len(chunk) >= CHUNK:
                        yield chunk, read
                        chunk = []
                current, rows = stream, []
            rows.append(make(row))
        if current is not None and current not in merged:
            state = fold(current, rows)
            chunk.append(Folded(current, state, due_items(state, rules, extra)))
        for root in sorted(set(after.values()) - set(after)):
            family = sorted(a for a, r in after.items() if r == root)
            chunk.append(self._family(root, family, setup, recorded_by))
        chunk += [self._alias(a, links[a], recorded_by) for a in sorted(after)]
        if chunk or read == 0:
            yield chunk, read

    # -- the past -----------------------------------------------------------------

    @contextmanager
    def as_of(self, recorded_by: str) -> Iterator[str]:
        """Build every projection, as recorded by ``recorded_by``, in a scratch schema."""
        db = self.store.conn
        self._load_plugins()
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

