"""Every subscription change goes through one service, lands in the consent ledger, and
keeps the suppression list's word: nobody suppressed is mailed again by accident."""

from datetime import UTC, datetime

import pytest

from members.models import ConsentRecord, CountryConsentRule, Member, Suppression
from members.selectors import mailable_members
from members.services import (
    Consent,
    SubscriptionRefused,
    member_record,
    member_subscribe,
    member_suppress,
    member_unsubscribe,
)
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _consent(**changes) -> Consent:
    values = {
        "wording": "Email me about this and other campaigns.",
        "wording_version": "email-2026-11",
        "source": "/p/stop-face-scraping/",
        "at": AT,
        "address_proven": True,
    }
    return Consent(**(values | changes))


def _record(organisation, email="grace@example.org", country="GB", consent=None) -> Member:
    return member_record(
        organisation_id=organisation.pk,
        email=email,
        email_key=email,
        first_name="Grace",
        last_name="Hopper",
        country=country,
        consent=consent,
    )


def _ledger(member) -> list[tuple]:
    return list(
        ConsentRecord.objects.filter(member=member)
        .order_by("id")
        .values_list("action", "source_kind", "reason")
    )


def test_subscribing_writes_the_consent_and_subscribes_since_its_time(organisation):
    member = MemberFactory(organisation=organisation)

    member_subscribe(member=member, consent=_consent())

    member.refresh_from_db()
    assert (member.status, member.status_changed_at) == (Member.Status.SUBSCRIBED, AT)
    assert _ledger(member) == [("granted", "page", "")]
    assert list(mailable_members(organisation)) == [member]


def test_unsubscribing_writes_the_withdrawal_with_its_reason_and_suppresses_the_address(
    organisation, owner
):
    member = MemberFactory(organisation=organisation)
    member_subscribe(member=member, consent=_consent())

    member_unsubscribe(member=member, source="staff", reason="Asked by phone", by=owner, at=LATER)

    member.refresh_from_db()
    assert (member.status, member.status_changed_at, member.status_reason) == (
        Member.Status.UNSUBSCRIBED,
        LATER,
        "Asked by phone",
    )
    assert _ledger(member) == [("granted", "page", ""), ("withdrawn", "staff", "Asked by phone")]
    assert ConsentRecord.objects.get(action="withdrawn").by == owner
    assert Suppression.objects.get().reason == Suppression.Reason.UNSUBSCRIBED
    assert not mailable_members(organisation).exists()


def test_unsubscribing_twice_is_refused_and_writes_nothing_more(organisation):
    member = MemberFactory(organisation=organisation)
    member_unsubscribe(member=member, source="staff", reason="Asked")

    with pytest.raises(SubscriptionRefused):
        member_unsubscribe(member=member, source="staff", reason="Again")

    assert len(_ledger(member)) == 1


def test_suppressing_a_member_writes_the_withdrawal_and_stops_their_mail(organisation, owner):
    member = MemberFactory(organisation=organisation)
    member_subscribe(member=member, consent=_consent())

    member_suppress(
        organisation_id=organisation.pk,
        email_key=member.email_key,
        reason="complained",
        by=owner,
        note="Marked our mail as spam",
    )

    member.refresh_from_db()
    assert member.status == Member.Status.COMPLAINED
    assert _ledger(member)[-1] == ("withdrawn", "staff", "Marked our mail as spam")
    assert not mailable_members(organisation).exists()


def test_an_address_suppressed_before_it_became_a_member_stays_suppressed(organisation):
    member_suppress(
        organisation_id=organisation.pk, email_key="grace@example.org", reason="bounced"
    )

    member = _record(organisation, consent=_consent())

    member.refresh_from_db()
    assert member.status == Member.Status.NONE
    assert _ledger(member) == [("granted", "page", "")]  # what they agreed to is still kept
    assert Suppression.objects.get().reason == Suppression.Reason.BOUNCED
    assert not mailable_members(organisation).exists()


def test_a_new_opt_in_of_their_own_lifts_an_unsubscription(organisation):
    member = _record(organisation, consent=_consent())
    member_unsubscribe(member=member, source="page", reason="Unsubscribe link")

    _record(organisation, consent=_consent(at=LATER, signature_id=None))

    member.refresh_from_db()
    assert (member.status, member.status_changed_at) == (Member.Status.SUBSCRIBED, LATER)
    assert not Suppression.objects.exists()
    assert list(mailable_members(organisation)) == [member]


def test_a_complaint_stays_suppressed_after_a_new_opt_in(organisation):
    member = _record(organisation, consent=_consent())
    member_suppress(
        organisation_id=organisation.pk, email_key=member.email_key, reason="complained"
    )

    _record(organisation, consent=_consent(at=LATER))

    member.refresh_from_db()
    assert member.status == Member.Status.COMPLAINED
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINED
    assert not mailable_members(organisation).exists()


def test_a_complaint_hardens_an_unsubscription_but_an_unsubscription_never_softens_a_complaint(
    organisation,
):
    key = "grace@example.org"
    member_suppress(organisation_id=organisation.pk, email_key=key, reason="unsubscribed")
    member_suppress(organisation_id=organisation.pk, email_key=key, reason="complained")
    member_suppress(organisation_id=organisation.pk, email_key=key, reason="unsubscribed")

    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINED


@pytest.mark.parametrize("country", ["DE", "AT"])
def test_a_german_or_austrian_opt_in_without_a_proven_address_waits_and_is_not_mailed(
    organisation, country
):
    member = _record(organisation, country=country, consent=_consent(address_proven=False))

    member.refresh_from_db()
    assert member.status == Member.Status.PENDING
    assert _ledger(member) == [("granted", "page", "")]
    assert not mailable_members(organisation).exists()


def test_elsewhere_an_opt_in_without_a_proven_address_subscribes(organisation):
    member = _record(organisation, country="GB", consent=_consent(address_proven=False))

    assert list(mailable_members(organisation)) == [member]


def test_an_organisations_rule_overrides_the_built_in_default(organisation):
    CountryConsentRule.objects.create(organisation=organisation, country="DE", double_opt_in=False)
    CountryConsentRule.objects.create(organisation=organisation, country="FR", double_opt_in=True)

    german = _record(organisation, "de@example.org", "DE", _consent(address_proven=False))
    french = _record(organisation, "fr@example.org", "FR", _consent(address_proven=False))

    german.refresh_from_db(), french.refresh_from_db()
    assert (german.status, french.status) == (Member.Status.SUBSCRIBED, Member.Status.PENDING)


def test_a_proven_address_in_germany_subscribes(organisation):
    member = _record(organisation, country="DE", consent=_consent(address_proven=True))

    assert list(mailable_members(organisation)) == [member]


def test_mailable_members_leaves_out_every_status_but_subscribed_and_other_organisations(
    organisation,
):
    subscribed = MemberFactory(organisation=organisation)
    member_subscribe(member=subscribed, consent=_consent())
    for status in Member.Status.values:
        if status != Member.Status.SUBSCRIBED:
            MemberFactory(organisation=organisation, status=status)
    elsewhere = MemberFactory()
    member_subscribe(member=elsewhere, consent=_consent())

    assert list(mailable_members(organisation)) == [subscribed]


def test_a_suppression_wins_over_a_subscribed_status(organisation):
    member = MemberFactory(organisation=organisation, status=Member.Status.SUBSCRIBED)
    Suppression.objects.create(
        organisation=organisation, email_key=member.email_key, reason="staff", at=AT
    )

    assert not mailable_members(organisation).exists()


def test_suppressing_an_address_no_member_has_writes_no_ledger_entry(organisation):
    user = UserFactory()

    member_suppress(
        organisation_id=organisation.pk, email_key="x@example.org", reason="staff", by=user
    )

    assert Suppression.objects.get().by == user
    assert not ConsentRecord.objects.exists()


def test_a_member_awaiting_opt_in_is_subscribed_by_a_later_proven_opt_in(organisation):
    member = _record(organisation, country="DE", consent=_consent(address_proven=False))

    _record(organisation, country="DE", consent=_consent(at=LATER, address_proven=True))

    member.refresh_from_db()
    assert (member.status, member.status_changed_at) == (Member.Status.SUBSCRIBED, LATER)
    assert len(_ledger(member)) == 2


def test_a_signatures_consent_recorded_again_changes_nothing(organisation):
    from tests.factories import PetitionFactory, SignatureFactory

    signature = SignatureFactory(petition=PetitionFactory(organisation=organisation))
    member = _record(organisation, consent=_consent(signature_id=signature.pk))
    member_unsubscribe(member=member, source="mailing", reason="Unsubscribe link", at=LATER)

    _record(organisation, consent=_consent(signature_id=signature.pk))  # a retried job

    member.refresh_from_db()
    assert member.status == Member.Status.UNSUBSCRIBED
    assert len(_ledger(member)) == 2
