"""A plugin projection's work: in a savepoint of its own, time-limited, off our tables.

The projector catches every projection up in one write transaction. A plugin's
projection must not be able to spoil that for the rest, so each of its steps
(``create``, ``remove``, ``insert``, ``finish``) runs:

- in a savepoint: when it fails, only its own work is rolled back;
- through the plugin guard (:mod:`coffeechat.plugin_calls`): an exception is
  reported, a hang is stopped by the time limit, a runaway SQLite query too
  (SQLite calls back every few steps, so the limit's signal gets its chance);
- under an SQLite authorizer that refuses to change the log or coffeechat's own
  projections (an honest ``tables = ("events",)`` must not drop the log), or to
  end the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import apsw

from coffeechat.projections import INDEXES
from coffeechat.projections.contacts import ContactsProjection
from coffeechat.projections.followups import FollowupsProjection
from coffeechat.projections.merges import MergesProjection
from coffeechat.projections.referrals import ReferralsProjection
from coffeechat.projections.search import PENDING, SearchProjection

if TYPE_CHECKING:
    from coffeechat.plugin_calls import Guard

Step = tuple[str, Callable[[], object]]  # (what is called, e.g. "insert"; the call)

PROGRESS_STEPS = 1000  # SQLite steps between chances for a time limit to stop a query
# The names a plugin may not take: tables and indexes share one namespace, and a
# built-in projection makes its indexes after the plugins' projections made theirs.
BUILTIN_NAMES = frozenset((
    "events", "meta", "migrations", "projections",  # the log and its bookkeeping
    *ContactsProjection.tables, *FollowupsProjection.tables, *ReferralsProjection.tables,
    *SearchProjection.tables, *MergesProjection.tables,
    *(index for indexes in INDEXES.values() for index in indexes), f"{PENDING}_seq"))
FTS_SHADOWS = ("data", "idx", "content", "docsize", "config")  # tables an FTS5 table keeps
_SAVEPOINT = "coffeechat_plugin_work"


def builtin_name(name: str) -> bool:
    """Whether a table or index name is coffeechat's own (an FTS table's shadow tables
    included)."""
    name = name.lower()
    base, _, suffix = name.rpartition("_")
    return name in BUILTIN_NAMES or (base in BUILTIN_NAMES and suffix in FTS_SHADOWS)


def in_savepoint(db: apsw.Connection, guard: Guard, plugin: str, where: str,
                 steps: tuple[Step, ...]) -> bool:
    """Run a plugin's steps in a savepoint of their own, guarded; False when one failed.

    On a failure the savepoint is rolled back: only the plugin's own work is
    undone, and the caller's transaction goes on.
    """
    ok = True
    db.execute(f"SAVEPOINT {_SAVEPOINT}")
    db.set_progress_handler(_keep_going, PROGRESS_STEPS)
    db.authorizer = partial(_authorize, builtin_name)
    try:
        for name, call in steps:
            ok, _ = guard.call(plugin, where, call, step=name)
            if not ok:
                break
    finally:
        db.authorizer = None
        db.set_progress_handler(None)
    if not ok:
        db.execute(f"ROLLBACK TO {_SAVEPOINT}")
    db.execute(f"RELEASE {_SAVEPOINT}")
    return ok


def _keep_going() -> bool:
    return False  # (True would abort the query; a time limit raises from here instead)


_TABLE_FIRST = frozenset((apsw.SQLITE_INSERT, apsw.SQLITE_UPDATE, apsw.SQLITE_DELETE,
                          apsw.SQLITE_DROP_TABLE, apsw.SQLITE_CREATE_TABLE,
                          apsw.SQLITE_CREATE_VTABLE, apsw.SQLITE_DROP_VTABLE))
_TABLE_SECOND = frozenset((apsw.SQLITE_CREATE_INDEX, apsw.SQLITE_DROP_INDEX,
                           apsw.SQLITE_CREATE_TRIGGER, apsw.SQLITE_DROP_TRIGGER,
                           apsw.SQLITE_ALTER_TABLE))


def _authorize(protected: Callable[[str], bool], operation: int, one: str | None,
               two: str | None, _database: str | None, _trigger: str | None) -> int:
    """SQLite asks before each statement runs: may the plugin do this?"""
    if operation in _TABLE_FIRST:
        table = one
    elif operation in _TABLE_SECOND:
        if operation == apsw.SQLITE_CREATE_INDEX and one is not None and protected(one):
            return apsw.SQLITE_DENY  # (an index of its own table, under one of our names)
        table = two
    elif operation in (apsw.SQLITE_TRANSACTION, apsw.SQLITE_ATTACH, apsw.SQLITE_DETACH):
        return apsw.SQLITE_DENY
    elif operation == apsw.SQLITE_SAVEPOINT:  # its own savepoints are fine, ours is not its
        return apsw.SQLITE_DENY if (two or "").lower() == _SAVEPOINT else apsw.SQLITE_OK
    elif operation == apsw.SQLITE_PRAGMA:  # reading one is fine, setting one is not
        return apsw.SQLITE_DENY if two is not None else apsw.SQLITE_OK
    else:
        return apsw.SQLITE_OK
    return apsw.SQLITE_DENY if table is not None and protected(table) else apsw.SQLITE_OK
