"""The `replica` alias as a second real connection to the test database.

No streaming replica here (bench/cluster.sh runs one): a connection of its own to the
same database is what routing needs to be seen, and, unlike Django's test mirror alone,
it cannot quietly share the primary's connection. Tests that use it are transactional,
so the replica's connection sees what the primary's committed.
"""

from contextlib import contextmanager

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chorus.db.replica import ADDRESS_KEYS, replica_database
from lib.replica import REPLICA, replica_forget
from petitions.counting import counts_fold_all
from tests.factories import SignatureFactory

BOTH = ["default", REPLICA]
WRITES = ("INSERT", "UPDATE", "DELETE")
# A module's tests that read through both aliases, each seeing what the other committed.
replica_db = [
    pytest.mark.usefixtures("replica_alias"),
    pytest.mark.django_db(transaction=True, databases=BOTH),
]


@pytest.fixture
def counted(petition):
    """A petition with three confirmed signatures, folded into its count."""
    SignatureFactory.create_batch(
        3, petition=petition, state="confirmed", confirmed_at=timezone.now(), count_dirty=True
    )
    counts_fold_all()
    return petition


@pytest.fixture(scope="module")
def replica_alias(django_db_setup, django_db_blocker):
    if connection.vendor != "postgresql":
        pytest.skip("a read replica is PostgreSQL's; runs when DATABASE_URL names PostgreSQL")
    primary = connections["default"].settings_dict
    address = {key: primary[key] for key in ADDRESS_KEYS}
    connections.settings[REPLICA] = replica_database(primary, address, connect_timeout=1, keep=0)
    replica_forget()
    yield connections.settings[REPLICA]
    with django_db_blocker.unblock():
        connections[REPLICA].close()
    # The wrapper goes too: the next module's alias is a new entry, not this one.
    del connections[REPLICA]
    del connections.settings[REPLICA]
    replica_forget()


@pytest.fixture(autouse=True)
def _replica_checked_afresh():
    replica_forget()
    yield
    replica_forget()


@pytest.fixture
def replica_down(replica_alias, closed_port):
    """The replica's address is a port nothing listens on: connecting fails at once."""
    address = (replica_alias["HOST"], replica_alias["PORT"])
    connections[REPLICA].close()
    replica_alias["PORT"] = closed_port
    replica_forget()
    yield
    connections[REPLICA].close()
    replica_alias["HOST"], replica_alias["PORT"] = address
    replica_forget()


@pytest.fixture
def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again once the probe is


@contextmanager
def queries_by_alias():
    """The SQL each alias ran inside the block: {"default": [...], "replica": [...]}."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        ran: dict[str, list[str]] = {}
        yield ran
    ran["default"] = [query["sql"] for query in primary.captured_queries]
    ran[REPLICA] = [query["sql"] for query in replica.captured_queries]


def touching(queries: list[str], table: str) -> list[str]:
    return [sql for sql in queries if f'"{table}"' in sql]


def writes(queries: list[str]) -> list[str]:
    return [sql for sql in queries if sql.lstrip().upper().startswith(WRITES)]
