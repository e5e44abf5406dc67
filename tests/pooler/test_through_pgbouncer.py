"""Chorus through PgBouncer in transaction mode (DATABASE_POOLER=pgbouncer-transaction):
signing, the job ledger, the count fold, a mailing's snapshot and the exports, each on a
real PgBouncer in front of the test database, with every statement free to land on a
different server connection."""

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job
from jobs.services import job_record, jobs_claim
from mailings import sending
from mailings.models import Mailing, Recipient
from members.models import Member
from petitions.counting import counts_fold_all, petition_count
from petitions.models import Signature
from tests.conftest import sign_data
from tests.factories import MailingFactory, MemberFactory, PetitionFactory, SignatureFactory
from tests.pooler.conftest import pgbouncer_show

pytestmark = pytest.mark.usefixtures("through_pgbouncer")


def _show(pooler, what: str) -> list[dict]:
    return pgbouncer_show(pooler["port"], what)


def _through(pooler) -> None:
    """The queries so far went through PgBouncer, not straight to PostgreSQL."""
    assert connection.connection.info.port == pooler["port"]


def test_the_pooler_is_in_transaction_mode_and_the_connection_is_set_for_it(through_pgbouncer):
    Signature.objects.exists()
    config = {row["key"]: row["value"] for row in _show(through_pgbouncer, "CONFIG")}
    stats = {row["database"]: row for row in _show(through_pgbouncer, "STATS")}
    options = connection.settings_dict["OPTIONS"]

    assert config["pool_mode"] == "transaction"
    assert int(stats[connection.settings_dict["NAME"]]["total_xact_count"]) >= 1
    assert "pool" not in options
    assert options["server_side_binding"] is False and options["prepare_threshold"] is None
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_the_session_time_zone_is_utc_so_django_sets_none(through_pgbouncer):
    connection.ensure_connection()

    # Django sends SET TIME ZONE only when the server reports another zone.
    assert connection.connection.info.parameter_status("TimeZone") == "UTC"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('TimeZone')")
        assert cursor.fetchone() == ("UTC",)
    _through(through_pgbouncer)


def test_a_signature_is_stored_and_its_email_job_recorded(through_pgbouncer):
    petition = PetitionFactory()

    response = Client().post(reverse("petitions:sign", args=[petition.slug]), sign_data())

    assert response.status_code == 302
    assert Signature.objects.get(petition=petition).email == "grace@example.org"
    assert Job.objects.count() == 1
    _through(through_pgbouncer)


def test_a_job_is_claimed_under_a_lease_once(through_pgbouncer):
    job = job_record(kind="pooler_test", payload={"n": 1})

    [claimed] = jobs_claim()

    assert claimed.pk == job.pk
    assert jobs_claim() == []
    claimed.refresh_from_db()
    assert claimed.leased_until > timezone.now()
    _through(through_pgbouncer)


def test_the_count_fold_counts_confirmed_signatures_once(through_pgbouncer):
    petition = PetitionFactory()
    SignatureFactory.create_batch(
        3, petition=petition, state="confirmed", confirmed_at=timezone.now(), count_dirty=True
    )

    counts_fold_all()
    counts_fold_all()

    assert petition_count(petition) == 3
    assert not Signature.objects.filter(count_dirty=True).exists()
    _through(through_pgbouncer)


def test_a_mailing_snapshots_its_audience_into_the_recipient_ledger(through_pgbouncer):
    petition = PetitionFactory()
    for name in ("ada", "bo", "cy"):
        MemberFactory(
            organisation=petition.organisation,
            email=f"{name}@example.org",
            status=Member.Status.SUBSCRIBED,
        )
    mailing = MailingFactory(
        organisation=petition.organisation,
        petition=petition,
        state=Mailing.State.SCHEDULED,
        scheduled_at=timezone.now() - timedelta(seconds=1),
    )

    assert sending.mailing_start(mailing=mailing) is True

    assert Recipient.objects.filter(mailing=mailing).count() == 3
    _through(through_pgbouncer)


def test_the_signatures_export_streams_every_row(through_pgbouncer, owner_client, petition):
    SignatureFactory.create_batch(
        5, petition=petition, state="confirmed", confirmed_at=timezone.now()
    )

    response = owner_client.post(f"/staff/petitions/{petition.pk}/export/", {"scope": "confirmed"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()

    assert response.status_code == 200
    assert len(lines) == 1 + 5
    _through(through_pgbouncer)


def test_the_members_export_streams_every_row(through_pgbouncer, owner_client, organisation):
    MemberFactory.create_batch(4, organisation=organisation)

    response = owner_client.get(reverse("staff:members_export"))
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()

    assert response.status_code == 200
    assert len(lines) == 1 + 4
    _through(through_pgbouncer)


def _two_clients_take_turns(settings_dict: dict) -> None:
    """Two clients, one statement each in turn: PgBouncer hands both the one server
    connection (it reuses the last one freed), as it does to any two under load."""
    wrapper = type(connections["default"])
    first, second = (
        wrapper({**settings_dict, "OPTIONS": {**settings_dict["OPTIONS"]}}, alias)
        for alias in ("pooler_client_1", "pooler_client_2")
    )
    try:
        for n in range(6):
            for client in (first, second):
                with client.cursor() as cursor:
                    cursor.execute("SELECT %s::int + 1", [n])
                    assert cursor.fetchone() == (n + 1,)
    finally:
        first.close()
        second.close()


def test_clients_sharing_a_server_connection_do_not_trip_over_each_other(through_pgbouncer):
    _two_clients_take_turns(connection.settings_dict)


def test_prepared_statements_would_not_pass_this_pooler(through_pgbouncer):
    # What the setting turns off, turned back on: the proof the test above can fail.
    prepared = {**connection.settings_dict}
    prepared["OPTIONS"] = {
        **prepared["OPTIONS"],
        "server_side_binding": True,
        "prepare_threshold": 0,
    }

    with pytest.raises(DatabaseError, match="already exists"):
        _two_clients_take_turns(prepared)
