"""Reads marked as able to lag go to the replica; writes, transactions, reads of what the
same block wrote and every unmarked read go to the primary."""

import logging

import pytest
from django.db import connections, router, transaction
from django.test import Client
from django.urls import reverse

from lib import replica
from lib.replica import REPLICA, reads_may_lag
from members.models import Member
from orgs.models import ExportRecord
from petitions.models import Petition, PetitionCount, Signature
from tests.conftest import sign_data
from tests.factories import MemberFactory
from tests.replica.conftest import queries_by_alias, replica_db, touching, writes

pytestmark = replica_db


def test_the_dashboard_reads_its_counts_from_the_replica(owner_client, counted):
    with queries_by_alias() as ran:
        response = owner_client.get(reverse("staff:petition_dashboard", args=[counted.pk]))

    assert response.status_code == 200
    assert touching(ran[REPLICA], "petitions_petitioncount")
    assert not touching(ran["default"], "petitions_petitioncount")
    assert not writes(ran[REPLICA])


def test_the_signatures_export_reads_rows_there_and_writes_its_record_here(owner_client, counted):
    url = f"/staff/petitions/{counted.pk}/export/"

    with queries_by_alias() as ran:
        response = owner_client.post(url, {"scope": "confirmed"})
        lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()

    assert len(lines) == 1 + 3
    assert touching(ran[REPLICA], "petitions_signature")
    assert not touching(ran["default"], "petitions_signature")
    assert touching(writes(ran["default"]), "orgs_exportrecord")
    assert not writes(ran[REPLICA])
    assert ExportRecord.objects.get().row_count == 3


def test_the_members_export_reads_rows_from_the_replica(owner_client, organisation):
    MemberFactory.create_batch(2, organisation=organisation)

    with queries_by_alias() as ran:
        response = owner_client.get(reverse("staff:members_export"))
        lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()

    assert len(lines) == 1 + 2
    assert touching(ran[REPLICA], "members_member")
    assert not touching(ran["default"], "members_member")
    assert not writes(ran[REPLICA])


@pytest.mark.parametrize("path", ["", "count/"])
def test_the_public_api_aggregates_come_from_the_replica(counted, path):
    with queries_by_alias() as ran:
        response = Client().get(f"/api/v1/petitions/{counted.slug}/{path}")

    assert response.status_code == 200 and response.json()["count"] == 3
    assert touching(ran[REPLICA], "petitions_petitioncount")
    assert not ran["default"]


def test_the_public_api_list_comes_from_the_replica(counted):
    with queries_by_alias() as ran:
        response = Client().get("/api/v1/petitions/")

    assert [p["slug"] for p in response.json()["results"]] == [counted.slug]
    assert touching(ran[REPLICA], "petitions_petition")
    assert not ran["default"]


def test_signing_and_unmarked_pages_never_touch_the_replica(petition, owner_client):
    with queries_by_alias() as ran:
        signed = Client().post(reverse("petitions:sign", args=[petition.slug]), sign_data())
        overview = owner_client.get(reverse("staff:petition", args=[petition.pk]))

    assert signed.status_code == 302 and overview.status_code == 200
    assert Signature.objects.filter(petition=petition).count() == 1
    assert ran[REPLICA] == []


def test_a_marked_read_inside_a_transaction_goes_to_the_primary(petition):
    with reads_may_lag():
        outside = Petition.objects.all().db
        with transaction.atomic():
            inside = Petition.objects.all().db

    assert (outside, inside) == (REPLICA, "default")


def test_a_marked_read_after_a_write_in_the_same_block_goes_to_the_primary(organisation):
    with reads_may_lag():
        before = Member.objects.all().db
        MemberFactory(organisation=organisation)
        after = Member.objects.all().db
    with reads_may_lag():
        next_block = Member.objects.all().db

    assert (before, after, next_block) == (REPLICA, "default", REPLICA)


def test_an_object_read_from_the_replica_is_saved_to_the_primary(petition):
    with reads_may_lag():
        lagging = Petition.objects.get(pk=petition.pk)
    lagging.title = "Saved where it belongs"

    lagging.save()
    count = PetitionCount(petition=lagging, dimension="total", value="", count=1)
    count.save()

    assert lagging._state.db == "default" and count._state.db == "default"
    assert Petition.objects.using("default").get(pk=petition.pk).title == "Saved where it belongs"


def test_migrations_never_run_on_the_replica():
    assert router.allow_migrate(REPLICA, "petitions", model_name="signature") is False
    assert router.allow_migrate("default", "petitions", model_name="signature") is True


def test_the_replica_is_a_connection_of_its_own(petition):
    with reads_may_lag():
        Petition.objects.get(pk=petition.pk)

    assert connections[REPLICA].connection is not None
    assert connections[REPLICA].connection is not connections["default"].connection


def test_a_replica_behind_by_more_than_the_limit_is_not_used(
    petition, settings, monkeypatch, caplog
):
    settings.DATABASE_REPLICA_MAX_LAG = 10
    monkeypatch.setattr(replica, "replica_lag_seconds", lambda: 42.0)

    with caplog.at_level(logging.WARNING, logger="chorus.replica"), reads_may_lag():
        first = Petition.objects.all().db
        second = Petition.objects.all().db

    assert (first, second) == ("default", "default")
    assert [r.getMessage() for r in caplog.records] == [
        "Replica not used: it is 42.0 s behind, more than 10 s; "
        "reads that may lag go to the primary."
    ]
