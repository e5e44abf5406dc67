"""A replica that cannot be reached: every page still answers, from the primary, the same;
the replica is tried again only after a pause, and the change is logged once each way."""

import logging

import pytest
from django.core.cache import cache
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from delivery.packs import pack_path, pack_run, pack_start
from lib import replica
from lib.replica import REPLICA, reads_may_lag
from orgs.models import ExportRecord
from petitions.models import Petition
from tests.conftest import _local_caches_clear
from tests.delivery.helpers import csv_rows
from tests.replica.conftest import replica_db

pytestmark = replica_db


@pytest.fixture
def checks(monkeypatch):
    """How often the replica's fitness was checked (the real check still runs)."""
    made = []
    real = replica.replica_lag_seconds

    def counted_check():
        made.append(1)
        return real()

    monkeypatch.setattr(replica, "replica_lag_seconds", counted_check)
    return made


def _api(petition) -> tuple[int, bytes]:
    response = Client().get(f"/api/v1/petitions/{petition.slug}/")
    return response.status_code, response.content


@pytest.fixture
def from_the_replica(counted):
    """The API's answer while the replica is up, read from it."""
    with reads_may_lag():
        assert Petition.objects.all().db == REPLICA
    answer = _api(counted)
    # Nothing kept from it: the next answer is read again, from wherever reads go then.
    _local_caches_clear()
    cache.clear()
    return answer


def test_pages_answer_the_same_from_the_primary_when_the_replica_is_down(
    counted, owner_client, from_the_replica, replica_down, checks, caplog
):
    with caplog.at_level(logging.WARNING, logger="chorus.replica"):
        with CaptureQueriesContext(connections["default"]) as primary:
            first = _api(counted)
        on_primary = [query["sql"] for query in primary.captured_queries]  # before the next
        second = _api(counted)
        dashboard = owner_client.get(f"/staff/petitions/{counted.pk}/dashboard/")

    assert first == second == from_the_replica and first[0] == 200
    assert any('"petitions_petitioncount"' in sql for sql in on_primary)
    assert dashboard.status_code == 200
    assert len(checks) == 1  # the next requests did not wait on the replica again
    [line] = [r.getMessage() for r in caplog.records]
    assert line.startswith("Replica not used: it cannot be reached (OperationalError)")


def test_the_replica_is_used_again_once_it_answers(counted, replica_alias, closed_port, caplog):
    address = replica_alias["PORT"]
    with freeze_time() as clock, caplog.at_level(logging.WARNING, logger="chorus.replica"):
        connections[REPLICA].close()
        replica_alias["PORT"] = closed_port
        replica.replica_forget()
        with reads_may_lag():
            down = Petition.objects.all().db
        replica_alias["PORT"] = address
        with reads_may_lag():
            still_paused = Petition.objects.all().db
        clock.tick(replica.CHECK_SECONDS + 1)
        with reads_may_lag():
            back = Petition.objects.all().db

    assert (down, still_paused, back) == ("default", "default", REPLICA)
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "Replica not used",
        "Replica back",
    ]


def test_a_replica_that_dies_between_checks_is_dropped_and_the_page_still_answers(
    counted, owner_client, replica_down, monkeypatch, caplog
):
    monkeypatch.setattr(replica, "replica_lag_seconds", lambda: 0.0)  # it passed its check

    with caplog.at_level(logging.WARNING, logger="chorus.replica"):
        first = _api(counted)
        second = _api(counted)
        dashboard = owner_client.get(f"/staff/petitions/{counted.pk}/dashboard/")

    assert first == second and first[0] == 200
    assert dashboard.status_code == 200
    assert [r.getMessage() for r in caplog.records] == [
        "Replica not used: a read on it failed (OperationalError); reads that may lag go to "
        "the primary."
    ]


def test_an_export_and_a_pack_go_on_from_the_primary_when_the_replica_dies(
    counted, owner, owner_client, replica_down, monkeypatch
):
    monkeypatch.setattr(replica, "replica_lag_seconds", lambda: 0.0)  # it passed its check
    url = f"/staff/petitions/{counted.pk}/export/"

    response = owner_client.post(url, {"scope": "confirmed"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    replica.replica_forget()  # checked afresh: "fit" again, and dies again under the pack
    pack = pack_start(petition=counted, by=owner)
    while pack_run(pack_pk=pack.pk, size=1):
        pass

    assert len(lines) == 1 + 3  # the header and the three signatures
    assert ExportRecord.objects.get().outcome == ExportRecord.Outcome.FINISHED
    assert len(csv_rows(pack_path(pack, "csv").read_bytes())) == 1 + 3
