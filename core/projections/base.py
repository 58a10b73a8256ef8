"""What a projection is: its tables, its version, and how it replaces a contact's rows.

Projections are fed per contact: the projector folds each contact stream once
and hands every projection the same :class:`Folded` results, so a projection
only maps state to rows. Tables are always named through ``schema`` so the
same code fills the live tables (``main``) and the in-memory copy that
``--as-of`` builds (``asof``).
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

import apsw

from coffeechat.fold import ContactState
from coffeechat.rules import FollowUp


class Folded(NamedTuple):
    """One contact after folding: its state and its open follow-ups."""

    stream: str
    state: ContactState
    followups: list[FollowUp]


class Projection:
    """A read model kept in its own tables, rebuilt when ``version`` changes.

    A plugin's projection is driven the same way, but each of its calls runs in
    a savepoint of its own, guarded and time-limited (see the projector): a
    failure undoes only its own work and leaves it behind, to be tried again.
    """

    name: ClassVar[str]
    version: ClassVar[int]
    tables: ClassVar[tuple[str, ...]]  # names, dropped on rebuild
    ddl: ClassVar[str]  # CREATE statements with {s} for the schema name
    # CREATE INDEX statements (with {s}) made once a rebuild has written every row:
    # built from the full table they are a sort, where rows inserted into them one by
    # one cost a rebuild of 1M events 3.5 s (a projection may put them in ``ddl`` too)
    indexes: ClassVar[str] = ""
    uses_rules: ClassVar[bool] = False  # rebuilt when the follow-up settings change

    def create(self, db: apsw.Connection, schema: str) -> None:
        """(Re)create the tables, empty: a rebuild follows (then :meth:`finish`)."""
        for table in self.tables:
            db.execute(f"DROP TABLE IF EXISTS {schema}.{table}")
        db.execute(self.ddl.format(s=schema))

    def create_indexes(self, db: apsw.Connection, schema: str) -> None:
        """Make the :attr:`indexes` once a rebuild has inserted every row (then :meth:`finish`)."""
        if self.indexes:
            db.execute(self.indexes.format(s=schema))

    def finish(self, db: apsw.Connection, schema: str) -> None:
        """Called once after the last :meth:`insert` of a rebuild (for deferred work)."""

    def remove(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        """Delete the rows of the given contacts (before :meth:`insert` replaces them)."""
        raise NotImplementedError

    def insert(self, db: apsw.Connection, schema: str, folded: list[Folded]) -> None:
        """Write rows for the given contacts."""
        raise NotImplementedError
