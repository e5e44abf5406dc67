"""Shared parts of the inbound tests: a sent mailing about a petition, and its recipient."""

import pytest
from django.utils import timezone

from mailings import tokens
from members.services import Consent, member_subscribe
from tests.factories import MailingFactory, MemberFactory, RecipientFactory


def subscribed_member(organisation, **fields):
    member = MemberFactory(organisation=organisation, **fields)
    consent = Consent(
        wording="Email me about campaigns.",
        wording_version="test",
        source="test",
        at=timezone.now(),
        address_proven=True,
    )
    return member_subscribe(member=member, consent=consent)


@pytest.fixture(name="mailing")
def mailing_fixture(petition):
    return MailingFactory(
        organisation=petition.organisation,
        petition=petition,
        name="June appeal",
        links=[
            f"https://act.openfaces.example/p/{petition.slug}/",
            "https://news.example.org/story?id=1",
        ],
        state="sent",
    )


@pytest.fixture(name="recipient")
def recipient_fixture(mailing):
    member = subscribed_member(
        mailing.organisation, first_name="Grace", email="grace@example.org", postcode="N1 0AA"
    )
    return RecipientFactory(mailing=mailing, member=member, sent_at=timezone.now(), state="done")


def token_for(recipient, purpose: str) -> str:
    return tokens.recipient_token(recipient.pk, purpose)
