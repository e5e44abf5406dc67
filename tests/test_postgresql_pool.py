"""chorus.db.postgresql: pooled connections are checked only after sitting idle."""

import pytest
from django.db import connection

from chorus.db.postgresql import base as backend
from tests.conftest import postgres_only


class FakeConnection:
    """Stands in for a psycopg connection: only identity matters to the check."""


def test_it_checks_a_connection_first_used_or_idle_but_not_one_just_used(monkeypatch):
    checked = []
    monkeypatch.setattr(backend.ConnectionPool, "check_connection", checked.append)
    clock = [100.0]
    monkeypatch.setattr(backend.time, "monotonic", lambda: clock[0])
    conn = FakeConnection()

    backend.check_if_idle(conn)  # first time: checked
    clock[0] += 0.5
    backend.check_if_idle(conn)  # busy: trusted
    clock[0] += backend.IDLE_BEFORE_CHECK + 1
    backend.check_if_idle(conn)  # idle a while: checked again

    assert checked == [conn, conn]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_pool_checks_a_connection_that_sat_idle_and_trusts_one_just_used(monkeypatch):
    checked = []
    check = backend.ConnectionPool.check_connection
    monkeypatch.setattr(
        backend.ConnectionPool,
        "check_connection",
        lambda conn: checked.append(conn) or check(conn),
    )

    def query_on_a_pooled_connection():
        connection.close()  # back to the pool; the next query takes one out again
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    monkeypatch.setattr(backend, "IDLE_BEFORE_CHECK", -1.0)  # every connection has sat idle
    query_on_a_pooled_connection()
    assert len(checked) == 1

    monkeypatch.setattr(backend, "IDLE_BEFORE_CHECK", 3600.0)  # none has
    checked.clear()
    for _ in range(6):
        query_on_a_pooled_connection()
    # Each connection of the pool checked on its first use at most, never again.
    assert len(checked) == len({id(conn) for conn in checked})
