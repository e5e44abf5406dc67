"""The database router: reads marked as able to lag go to the read replica, all else to the
primary (lib/replica.py decides which reads and when the replica is fit).

With no replica configured it answers nothing and Django routes as it always has. With
one, it names the primary for every write and every unmarked read, even of an object that
was read from the replica, and keeps migrations off the replica.
"""

from django.db import DEFAULT_DB_ALIAS

from lib.replica import REPLICA, read_alias, replica_configured, write_noted


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if not replica_configured():
            return None
        return read_alias()

    def db_for_write(self, model, **hints):
        if not replica_configured():
            return None
        write_noted()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: an object read there may be related to one
        # read here.
        if not replica_configured():
            return None
        return {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA} or None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None
