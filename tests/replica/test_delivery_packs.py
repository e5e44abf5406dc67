"""A delivery pack reads its CSV rows and its PDF's counts from the replica, once the
replica holds the pack as the primary does; a replica that has not caught up is not read."""

import pytest
from django.db import connections, transaction

from delivery.packs import pack_path, pack_run, pack_start
from lib.replica import REPLICA
from tests.delivery.helpers import confirmed, csv_rows
from tests.replica.conftest import queries_by_alias, replica_db, touching, writes

pytestmark = replica_db


def _made(pack) -> None:
    while pack_run(pack_pk=pack.pk, size=2):
        pass


def test_the_csv_rows_and_the_pdf_counts_come_from_the_replica(petition, owner):
    confirmed(petition, 5)
    pack = pack_start(petition=petition, by=owner)

    with queries_by_alias() as ran:
        _made(pack)

    assert len(csv_rows(pack_path(pack, "csv").read_bytes())) == 1 + 5
    assert touching(ran[REPLICA], "petitions_signature")
    assert touching(ran[REPLICA], "petitions_petitioncount")
    assert not touching(ran["default"], "petitions_signature")
    assert touching(writes(ran["default"]), "delivery_deliverypack")
    assert not writes(ran[REPLICA])


@pytest.fixture
def replica_behind():
    """The replica's connection held on a snapshot from now: it sees nothing committed
    after, as a replica that lags behind."""
    with transaction.atomic(using=REPLICA):
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT 1 FROM delivery_deliverypack LIMIT 1")
        yield


def test_a_replica_that_has_not_caught_up_with_the_pack_is_not_read(
    petition, owner, replica_behind
):
    confirmed(petition, 3, first_name="Lagging")  # committed after the replica's snapshot
    pack = pack_start(petition=petition, by=owner)

    _made(pack)

    rows = csv_rows(pack_path(pack, "csv").read_bytes())
    assert len(rows) == 1 + 3
    assert all("Lagging" in " ".join(row) for row in rows[1:])
