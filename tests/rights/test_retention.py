"""Retention: signers of long-closed petitions anonymised, IP data dropped, links pruned."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from freezegun import freeze_time

from members.models import Member, Suppression
from members.services import member_suppress, suppression_hash
from orgs.models import AuditEvent
from petitions.counting import counts_fold_all, petition_count, petition_recount
from petitions.models import Petition, Signature
from rights import retention
from rights.retention import months_before, retention_run
from tests.factories import MemberFactory, PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

CLOSED = datetime(2024, 1, 15, 12, tzinfo=UTC)


def _closed_petition(organisation, closed_at=CLOSED, status=Petition.Status.CLOSED):
    petition = PetitionFactory(organisation=organisation)
    Petition.objects.filter(pk=petition.pk).update(status=status, closed_at=closed_at)
    return petition


def _signers(petition, organisation):
    with freeze_time(CLOSED - timedelta(days=10)):
        kept = SignatureFactory(
            petition=petition, email="stays@example.org", state="confirmed", ip_hash="h" * 64
        )
        MemberFactory(organisation=organisation, email="stays@example.org", status="subscribed")
        gone = SignatureFactory(
            petition=petition,
            email="goes@example.org",
            state="confirmed",
            postcode="N1",
            comment="Yes",
            ip_hash="h" * 64,
            ip_prefix="203.0.113.0/24",
        )
        waiting = MemberFactory(organisation=organisation, email="waits@example.org")
        SignatureFactory(petition=petition, email="waits@example.org", member=waiting)
    return kept, gone


def test_it_anonymises_signers_of_petitions_closed_long_enough_ago(organisation, settings):
    settings.RETENTION_CLOSED_PETITION_MONTHS = 24
    petition = _closed_petition(organisation)
    kept, gone = _signers(petition, organisation)
    recent = _closed_petition(organisation, closed_at=CLOSED + timedelta(days=60))
    with freeze_time(CLOSED):
        fresh = SignatureFactory(petition=recent, email="recent@example.org")
    petition_recount(petition=petition)  # factories write rows the fold has not seen
    counts_fold_all()
    before = petition_count(petition)
    assert before == 2

    with freeze_time(CLOSED + timedelta(days=731, minutes=1)):
        run = retention_run()

    assert run.signers_anonymised == 2  # gone, and the member only awaiting an opt-in
    gone.refresh_from_db()
    assert (gone.email, gone.first_name, gone.postcode, gone.comment) == ("", "", "", "")
    assert gone.email_key == f"erased:{gone.pk}" and gone.state == "confirmed"
    kept.refresh_from_db()
    assert kept.email == "stays@example.org" and kept.first_name == "Ada"
    assert Signature.objects.get(pk=fresh.pk).email == "recent@example.org"
    petition_recount(petition=petition)
    counts_fold_all()
    assert petition_count(petition) == before
    event = AuditEvent.objects.get(action="retention", summary__contains="signers")
    assert event.actor is None and event.detail == {"signatures": 2, "members": 1}
    # The member awaiting nothing, whose only signature went, goes too; the subscriber stays.
    assert run.members_anonymised == 1
    assert not Member.objects.filter(email="waits@example.org").exists()
    assert Member.objects.filter(email="stays@example.org").exists()


def test_it_waits_until_the_months_are_over(organisation):
    petition = _closed_petition(organisation)
    _signers(petition, organisation)

    with freeze_time(CLOSED + timedelta(days=731) - timedelta(minutes=1)):
        assert retention_run(dry_run=True).signers_anonymised == 0
    with freeze_time(CLOSED + timedelta(days=731, minutes=1)):
        assert retention_run(dry_run=True).signers_anonymised == 2


def test_it_anonymises_won_petitions_too_but_never_open_ones(organisation):
    won = _closed_petition(organisation, status=Petition.Status.WON)
    still_open = PetitionFactory(organisation=organisation)
    with freeze_time(CLOSED - timedelta(days=1)):
        SignatureFactory(petition=won)
        SignatureFactory(petition=still_open)

    with freeze_time(CLOSED + timedelta(days=3650)):
        assert retention_run().signers_anonymised == 1

    assert Signature.objects.get(petition=still_open).email != ""


def test_it_drops_ip_data_after_the_days(organisation, settings):
    settings.IP_RETENTION_DAYS = 30
    petition = PetitionFactory(organisation=organisation)
    with freeze_time(CLOSED):
        old = SignatureFactory(petition=petition, ip_hash="a" * 64, ip_prefix="198.51.100.0/24")
    with freeze_time(CLOSED + timedelta(days=20)):
        young = SignatureFactory(petition=petition, ip_hash="b" * 64, ip_prefix="192.0.2.0/24")

    with freeze_time(CLOSED + timedelta(days=30, minutes=1)):
        run = retention_run()

    assert run.ip_dropped == 1
    old.refresh_from_db()
    young.refresh_from_db()
    assert (old.ip_hash, old.ip_prefix) == ("", "")
    assert old.email != "" and old.first_name == "Ada"  # nothing else goes
    assert young.ip_hash == "b" * 64
    assert AuditEvent.objects.get(action="retention").detail == {"signatures": 1}


def test_it_works_in_bounded_batches(organisation, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 3)
    monkeypatch.setattr(retention, "MAX_BATCHES", 2)
    petition = PetitionFactory(organisation=organisation)
    with freeze_time(CLOSED):
        for _ in range(8):
            SignatureFactory(petition=petition, ip_hash="a" * 64)

    with freeze_time(CLOSED + timedelta(days=365)):
        assert retention_run().ip_dropped == 6
        assert retention_run().ip_dropped == 2
        assert retention_run().total == 0

    assert AuditEvent.objects.filter(action="retention").count() == 3


def test_the_command_counts_with_dry_run_and_acts_without(organisation, capsys):
    petition = _closed_petition(organisation)
    _signers(petition, organisation)

    with freeze_time(CLOSED + timedelta(days=800)):
        call_command("chorus_retention", "--dry-run")
        assert "Would anonymise 2 signatures" in capsys.readouterr().out
        assert Signature.objects.filter(email="goes@example.org").exists()
        call_command("chorus_retention")
        assert "Did anonymise 2 signatures" in capsys.readouterr().out

    assert not Signature.objects.filter(email="goes@example.org").exists()
    assert Member.objects.filter(email="stays@example.org").exists()


@pytest.mark.parametrize(
    "moment, months, expected",
    [
        (datetime(2026, 3, 31, 9), 1, datetime(2026, 2, 28, 9)),
        (datetime(2026, 1, 15), 24, datetime(2024, 1, 15)),
        (datetime(2024, 3, 29), 1, datetime(2024, 2, 29)),
        (datetime(2026, 12, 1), 12, datetime(2025, 12, 1)),
    ],
)
def test_months_before_counts_calendar_months(moment, months, expected):
    assert months_before(moment, months) == expected


def test_a_member_who_signed_a_petition_still_open_keeps_their_record(organisation):
    old = _closed_petition(organisation)
    still_open = PetitionFactory(organisation=organisation)
    member = MemberFactory(organisation=organisation, email="both@example.org")
    with freeze_time(CLOSED - timedelta(days=1)):
        SignatureFactory(petition=old, email="both@example.org", member=member)
        recent = SignatureFactory(petition=still_open, email="both@example.org", member=member)

    with freeze_time(CLOSED + timedelta(days=3650)):
        run = retention_run()

    assert (run.signers_anonymised, run.members_anonymised) == (1, 0)
    assert Member.objects.get(pk=member.pk).email == "both@example.org"
    assert Signature.objects.get(pk=recent.pk).member_id == member.pk


def test_an_anonymised_member_stays_suppressed_under_a_hash_of_the_key(organisation):
    petition = _closed_petition(organisation)
    member = MemberFactory(organisation=organisation, email="left@example.org")
    key = member.email_key
    with freeze_time(CLOSED - timedelta(days=1)):
        SignatureFactory(petition=petition, email="left@example.org", member=member)
    member_suppress(organisation_id=organisation.pk, email_key=key, reason="unsubscribed")

    with freeze_time(CLOSED + timedelta(days=3650)):
        run = retention_run()

    assert run.members_anonymised == 1
    [entry] = Suppression.objects.all()
    assert (entry.email_key, entry.reason) == (suppression_hash(key), "unsubscribed")
    assert not Suppression.objects.filter(email_key__contains="left").exists()
