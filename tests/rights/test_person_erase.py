"""Erasure: through the link or by staff, the address is gone from every table; counts stay."""

import pytest
from django.test import Client

from jobs.services import jobs_drain
from mailings.models import Click, Recipient
from members.models import ConsentRecord, Member, Suppression
from members.selectors import mailable_members
from members.services import suppression_hash
from orgs.models import AuditEvent
from petitions.counting import counts_fold_all, petition_count, petition_recount
from petitions.models import Petition, PetitionCount, Signature
from rights.models import RightsRequest
from rights.services import ERASED_REASON, ERASED_WORDING, person_erase
from tests.rights.people import ADDRESS, LOCAL_PART, known_person, rights_links, rows_mentioning

pytestmark = pytest.mark.django_db

TRACES = (LOCAL_PART, "ada.lovelace", "Ada.Love.lace", "Lovelace", "SW1 1AA", "Count me in")
TRACES += ("203.0.113", "Too many emails")


def _counts() -> dict:
    return {(c.petition_id, c.dimension, c.value): c.count for c in PetitionCount.objects.all()}


def _erase_by_link(mailoutbox) -> Client:
    mailoutbox.clear()
    Client().post("/your-data/", {"email": "ADA.LOVELACE@gmail.com", "purpose": "erase"})
    jobs_drain()
    [(purpose, token)] = rights_links(mailoutbox)
    assert purpose == "erase"
    client = Client()
    confirm = client.get(f"/your-data/erase/{token}/")
    assert confirm.status_code == 200
    assert b"2 signatures" in confirm.content and b"Erase my data" in confirm.content
    assert Signature.objects.filter(first_name="Ada").count() == 2  # GET erased nothing
    done = client.post(f"/your-data/erase/{token}/")
    assert done.status_code == 302
    assert b"Your data is erased" in client.get(done["Location"]).content
    again = client.post(f"/your-data/erase/{token}/")
    assert again.status_code == 410
    return client


def test_erasing_by_link_leaves_no_trace_of_the_address_anywhere(organisation, mailoutbox):
    known_person(organisation)
    counts_fold_all()
    assert rows_mentioning(*TRACES)  # the search finds them while they are there
    before = _counts()

    _erase_by_link(mailoutbox)
    counts_fold_all()

    assert rows_mentioning(*TRACES) == []
    assert _counts() == before
    for petition in Petition.objects.all():
        petition_recount(petition=petition)
    counts_fold_all()
    assert _counts() == before
    assert sum(petition_count(p) for p in Petition.objects.all()) == 2


def test_erasure_keeps_the_states_the_consent_ledger_and_the_mailing_numbers(organisation):
    member = known_person(organisation)
    key = member.email_key
    states = list(Signature.objects.order_by("pk").values_list("state", "counted", "country"))
    consents = ConsentRecord.objects.filter(member=member).count()

    erasure = person_erase(
        organisation=organisation, email_key=member.email_key, by=None, reason="test"
    )

    assert len(erasure.signature_ids) == 2 and erasure.member_id == member.pk
    assert list(Signature.objects.order_by("pk").values_list("state", "counted", "country")) == (
        states
    )
    assert not Signature.objects.exclude(email="").exists()
    assert not Signature.objects.filter(member__isnull=False).exists()
    member.refresh_from_db()
    assert (member.email, member.first_name, member.last_name, member.postcode) == ("", "", "", "")
    assert member.email_key == f"erased:{member.pk}"
    assert member.status == "unsubscribed" and member.status_reason == ERASED_REASON
    ledger = ConsentRecord.objects.filter(member=member)
    assert ledger.count() == consents  # already unsubscribed: nothing more to withdraw
    assert set(ledger.values_list("reason", flat=True)) == {""}
    recipient = Recipient.objects.get()
    assert (recipient.member_id, recipient.clicks, recipient.last_error) == (member.pk, 1, "")
    assert Click.objects.count() == 1
    # The unsubscription is still honoured, under a keyed hash of the key: no address.
    [entry] = Suppression.objects.all()
    assert (entry.email_key, entry.reason) == (suppression_hash(key), "unsubscribed")
    assert not mailable_members(organisation).exists()


def test_a_subscribed_member_stops_being_mailed_and_the_ledger_says_why(organisation):
    member = known_person(organisation)
    Suppression.objects.all().delete()
    Member.objects.filter(pk=member.pk).update(status="subscribed")
    assert mailable_members(organisation).exists()

    person_erase(organisation=organisation, email_key=member.email_key, by=None, reason="x")

    assert not mailable_members(organisation).exists()
    withdrawal = ConsentRecord.objects.filter(member=member).order_by("-id").first()
    assert (withdrawal.action, withdrawal.reason) == ("withdrawn", ERASED_REASON)
    assert withdrawal.wording == ERASED_WORDING and withdrawal.source_kind == "page"


def test_it_is_logged_with_ids_and_counts_only(organisation, owner):
    member = known_person(organisation)
    ids = sorted(Signature.objects.values_list("pk", flat=True))

    person_erase(organisation=organisation, email_key=member.email_key, by=owner, reason="Asked")

    event = AuditEvent.objects.get(action="erase")
    assert event.actor == owner
    assert event.target == f"members.member:{member.pk}"
    assert event.detail == {
        "signatures": 2,
        "signature_ids": ids,
        "member": member.pk,
        "suppression_entries": 1,
        "reason": "Asked",
    }
    assert rows_mentioning(*TRACES) == []


def test_it_is_idempotent(organisation):
    member = known_person(organisation)
    key = member.email_key
    person_erase(organisation=organisation, email_key=key, by=None, reason="x")
    snapshot = list(Signature.objects.order_by("pk").values())

    again = person_erase(organisation=organisation, email_key=key, by=None, reason="x")

    assert not again.anything
    assert list(Signature.objects.order_by("pk").values()) == snapshot
    assert AuditEvent.objects.filter(action="erase").count() == 1


def test_a_pending_signature_is_erased_and_its_jobs_mail_nobody(petition, mailoutbox):
    Client().post(
        f"/p/{petition.slug}/sign/",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": ADDRESS,
            "country": "GB",
            "postcode": "",
            "comment": "",
            "channel": "",
            "website": "",
        },
    )
    signature = Signature.objects.get()
    person_erase(
        organisation=petition.organisation,
        email_key=signature.email_key,
        by=None,
        reason="x",
    )

    jobs_drain()

    assert mailoutbox == []
    assert Signature.objects.get().state == "pending"
    assert rows_mentioning(LOCAL_PART, "ada.lovelace") == []


def test_pending_self_service_links_go_with_the_person(organisation, mailoutbox):
    member = known_person(organisation)
    Client().post("/your-data/", {"email": ADDRESS, "purpose": "copy"})
    jobs_drain()
    assert RightsRequest.objects.exists()

    person_erase(organisation=organisation, email_key=member.email_key, by=None, reason="x")

    assert not RightsRequest.objects.exists()
