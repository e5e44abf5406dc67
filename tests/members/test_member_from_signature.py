"""Members are made from confirmed signatures by the worker, with their consent."""

import pytest

from jobs.services import jobs_drain
from members.consent import OPT_IN_WORDING, OPT_IN_WORDING_VERSION
from members.models import ConsentRecord, Member
from petitions.jobs import member_from_signature, signature_confirmed
from petitions.models import Signature
from petitions.services import signature_confirm, signature_create
from tests.conftest import REQUEST_META, sign_data
from tests.factories import OrganisationFactory, PetitionFactory, SignatureFactory
from tests.links import confirm_token

pytestmark = pytest.mark.django_db


def _confirmed(petition, **fields):
    fields.setdefault(
        "opt_in_wording_version", OPT_IN_WORDING_VERSION if fields.get("opt_in") else ""
    )
    return SignatureFactory(petition=petition, state="confirmed", **fields)


def test_a_confirmed_signature_makes_a_member(petition):
    signature = _confirmed(petition, first_name="Grace", postcode="N1")

    member = member_from_signature(signature=signature)

    assert (member.email, member.first_name, member.postcode) == (
        signature.email,
        "Grace",
        "N1",
    )
    assert member.organisation == petition.organisation
    assert member.email_key == signature.email_key
    signature.refresh_from_db()
    assert signature.member == member
    assert member.status == Member.Status.NONE


def test_the_same_person_on_another_petition_is_the_same_member(petition):
    other = PetitionFactory(organisation=petition.organisation)
    first = member_from_signature(
        signature=_confirmed(petition, email="grace.hopper@gmail.com", first_name="Grace")
    )

    second = member_from_signature(
        signature=_confirmed(other, email="GraceHopper+x@gmail.com", first_name="Amazing Grace")
    )

    assert second.pk == first.pk
    assert Member.objects.count() == 1
    assert Member.objects.get().first_name == "Amazing Grace"  # the latest details win


def test_another_organisation_keeps_its_own_member(petition):
    elsewhere = PetitionFactory(organisation=OrganisationFactory(name="Other"))
    member_from_signature(signature=_confirmed(petition, email="g@example.org"))
    member_from_signature(signature=_confirmed(elsewhere, email="g@example.org"))

    assert Member.objects.count() == 2


def test_opting_in_records_consent_with_the_exact_wording_and_version(petition):
    signature = _confirmed(petition, opt_in=True)

    member = member_from_signature(signature=signature)

    consent = ConsentRecord.objects.get()
    assert consent.member == member
    assert consent.action == ConsentRecord.Action.GRANTED
    assert consent.wording == OPT_IN_WORDING.format(organisation=petition.organisation.name)
    assert consent.wording_version == OPT_IN_WORDING_VERSION
    assert consent.source == petition.get_absolute_url()
    assert consent.signature == signature
    assert consent.at == signature.created_at
    member.refresh_from_db()
    assert member.status == Member.Status.SUBSCRIBED


def test_the_signing_form_wording_is_the_one_recorded(public_client, petition):
    html = public_client.get(petition.get_absolute_url()).content.decode()

    assert OPT_IN_WORDING.format(organisation=petition.organisation.name) in html


def test_no_consent_is_recorded_without_opting_in(petition):
    member_from_signature(signature=_confirmed(petition, opt_in=False))

    assert not ConsentRecord.objects.exists()


def test_leaving_the_box_unticked_later_does_not_withdraw_consent(petition):
    other = PetitionFactory(organisation=petition.organisation)
    member_from_signature(signature=_confirmed(petition, email="g@example.org", opt_in=True))

    member = member_from_signature(signature=_confirmed(other, email="g@example.org"))

    member.refresh_from_db()
    assert member.status == Member.Status.SUBSCRIBED
    assert ConsentRecord.objects.count() == 1


def test_running_the_job_twice_changes_nothing_more(petition):
    signature = _confirmed(petition, opt_in=True)
    payload = {"signature": signature.pk}

    signature_confirmed(payload)
    snapshot = (
        list(Member.objects.values()),
        list(ConsentRecord.objects.values()),
        list(Signature.objects.values("member_id")),
    )
    signature_confirmed(payload)

    assert (
        list(Member.objects.values()),
        list(ConsentRecord.objects.values()),
        list(Signature.objects.values("member_id")),
    ) == snapshot


def test_a_signature_invalidated_before_the_job_runs_makes_no_member(petition):
    signature = _confirmed(petition, opt_in=True)
    Signature.objects.filter(pk=signature.pk).update(state=Signature.State.INVALIDATED)

    signature_confirmed({"signature": signature.pk})
    signature_confirmed({"signature": 987654})  # erased meanwhile

    assert not Member.objects.exists()
    assert not ConsentRecord.objects.exists()


def test_confirming_through_the_link_makes_the_member_via_the_worker(petition, mailoutbox):
    signature_create(petition=petition, data=sign_data(opt_in=True), request_meta=REQUEST_META)
    jobs_drain()
    token = confirm_token(mailoutbox[0])
    assert not Member.objects.exists()

    signature_confirm(token=token)
    jobs_drain()

    member = Member.objects.get()
    assert member.email == "grace@example.org"
    assert member.status == Member.Status.SUBSCRIBED
    assert ConsentRecord.objects.get().wording_version == OPT_IN_WORDING_VERSION


def test_a_pending_signature_makes_no_member(petition):
    signature_create(petition=petition, data=sign_data(opt_in=True), request_meta=REQUEST_META)

    jobs_drain()

    assert not Member.objects.exists()


def test_a_german_signer_of_a_petition_without_confirmation_is_recorded_but_not_mailed(
    organisation,
):
    from members.selectors import mailable_members

    petition = PetitionFactory(organisation=organisation, require_confirmation=False)
    signature = _confirmed(petition, opt_in=True, country="DE")

    member = member_from_signature(signature=signature)

    member.refresh_from_db()
    assert member.status == Member.Status.PENDING
    assert ConsentRecord.objects.get().signature == signature
    assert not mailable_members(organisation).exists()


def test_a_german_signer_who_confirmed_by_email_is_subscribed(organisation):
    from members.selectors import mailable_members

    petition = PetitionFactory(organisation=organisation, require_confirmation=True)

    member = member_from_signature(signature=_confirmed(petition, opt_in=True, country="DE"))

    assert list(mailable_members(organisation)) == [member]
