"""A projection that fails where HOSTILE_PROJECTION says: a method name (it raises
there, after doing its work), ``hang-<method>`` (it sleeps) or ``sql-<method>``
(it runs a query that never ends)."""

import os
import time

from coffeechat import hookimpl
from coffeechat.projections.base import Projection


def trouble(db, method):
    how = os.environ.get("HOSTILE_PROJECTION", "")
    if how == method:
        raise RuntimeError(f"{method} is broken on purpose")
    if how == f"hang-{method}":
        time.sleep(3600)
    if how == f"sql-{method}":
        db.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                   "SELECT count(*) FROM n").fetchall()


class Seen(Projection):
    name = "hostile_seen"
    version = 1
    tables = ("hostile_seen",)
    ddl = "CREATE TABLE {s}.hostile_seen (contact TEXT PRIMARY KEY)"

    def create(self, db, schema):
        super().create(db, schema)
        trouble(db, "create")

    def remove(self, db, schema, folded):
        db.executemany(f"DELETE FROM {schema}.hostile_seen WHERE contact = ?",
                       [(f.state.id,) for f in folded])
        trouble(db, "remove")

    def insert(self, db, schema, folded):
        db.executemany(f"INSERT OR REPLACE INTO {schema}.hostile_seen VALUES (?)",
                       [(f.state.id,) for f in folded])
        trouble(db, "insert")

    def finish(self, db, schema):
        trouble(db, "finish")


@hookimpl
def register_projections(register):
    register(Seen())
