"""Projections that reach for coffeechat's own tables: one names the log's table as
its own, one drops it from insert, one ends the transaction."""

from coffeechat import hookimpl
from coffeechat.projections.base import Projection


class Squatter(Projection):
    name = "squatter"
    version = 1
    tables = ("events",)  # the log's own table: create() would drop it
    ddl = "CREATE TABLE {s}.events (contact TEXT)"

    def remove(self, db, schema, folded):
        pass

    def insert(self, db, schema, folded):
        pass


class Vandal(Projection):
    name = "vandal"
    version = 1
    tables = ("vandal_seen",)
    ddl = "CREATE TABLE {s}.vandal_seen (contact TEXT)"

    def remove(self, db, schema, folded):
        pass

    def insert(self, db, schema, folded):
        db.execute("DROP TABLE events")


class Committer(Projection):
    name = "committer"
    version = 1
    tables = ("committer_seen",)
    ddl = "CREATE TABLE {s}.committer_seen (contact TEXT)"

    def remove(self, db, schema, folded):
        pass

    def insert(self, db, schema, folded):
        db.execute(f"INSERT INTO {schema}.committer_seen VALUES ('x')")
        db.execute("COMMIT")


@hookimpl
def register_projections(register):
    register(Squatter())
    register(Vandal())
    register(Committer())
