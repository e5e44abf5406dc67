"""chorus.dbpool: pooled connections are checked only after sitting idle."""

from django.db import connection

from chorus import dbpool
from tests.conftest import postgres_only


class FakeConnection:
    """Stands in for a psycopg connection: only identity matters to the check."""


def test_it_checks_a_connection_first_used_or_idle_but_not_one_just_used(monkeypatch):
    checked = []
    monkeypatch.setattr(dbpool.ConnectionPool, "check_connection", checked.append)
    clock = [100.0]
    monkeypatch.setattr(dbpool.time, "monotonic", lambda: clock[0])
    conn = FakeConnection()

    dbpool.check_if_idle(conn)  # first time: checked
    clock[0] += 0.5
    dbpool.check_if_idle(conn)  # busy: trusted
    clock[0] += dbpool.IDLE_BEFORE_CHECK + 1
    dbpool.check_if_idle(conn)  # idle a while: checked again

    assert checked == [conn, conn]


@postgres_only
def test_the_postgresql_pool_uses_it(db):
    connection.ensure_connection()

    assert connection.pool._check is dbpool.check_if_idle
