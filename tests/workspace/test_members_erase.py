"""Erasing a member on their request, from the member's page: Owners only, asked once."""

import pytest

from members.models import Member
from orgs.models import AuditEvent
from petitions.models import Signature
from tests.factories import MemberFactory, PetitionFactory, SignatureFactory
from tests.rights.people import rows_mentioning
from tests.staff import PERSONAS, staff_client

pytestmark = pytest.mark.django_db

MAY_ERASE = {"owner", "superuser"}


@pytest.fixture
def member(organisation):
    member = MemberFactory(organisation=organisation, email="grace.h@example.org")
    petition = PetitionFactory(organisation=organisation, title="Ban face scraping")
    SignatureFactory(
        petition=petition, member=member, email="grace.h@example.org", state="confirmed"
    )
    return member


def _url(member, action="") -> str:
    return f"/staff/members/{member.pk}/{action}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_owners_are_offered_and_allowed_the_erasure(persona, member):
    _, client = staff_client(persona)

    page = client.get(_url(member))
    response = client.post(_url(member, "erase/"), {"reason": "Asked by email"})

    allowed = persona in MAY_ERASE
    if page.status_code == 200:
        assert ("Erase this person’s data" in page.content.decode()) == allowed
    assert response.status_code == (302 if allowed else 403)
    assert Member.objects.filter(email="grace.h@example.org").exists() != allowed


def test_the_confirmation_names_what_will_go(organisation, owner_client, member):
    page = owner_client.get(_url(member)).content.decode()

    assert "Erase Grace Hopper (grace.h@example.org)." in page
    assert "1 signature (and any other signature with this address)" in page
    assert "Their signatures stay counted" in page and "cannot be undone" in page


def test_erasing_takes_the_address_from_every_table_and_logs_it(owner, owner_client, member):
    response = owner_client.post(_url(member, "erase/"), {"reason": "Asked by email"})

    assert response.status_code == 302
    assert rows_mentioning("grace.h") == []
    assert Signature.objects.get().state == "confirmed"
    event = AuditEvent.objects.get(action="erase")
    assert event.actor == owner and event.detail["member"] == member.pk
    page = owner_client.get(_url(member)).content.decode()
    assert "was erased on request" in page and "Erase this person’s data" not in page
    assert "Suppress this address" not in page


@pytest.mark.parametrize("reason", ["", "   ", "x" * 301, "a\x00b", "line\nbreak"])
def test_a_bad_reason_changes_nothing(owner_client, member, reason):
    logged = AuditEvent.objects.count()  # making the owner's account logs its role
    response = owner_client.post(_url(member, "erase/"), {"reason": reason})

    assert response.status_code == 400
    assert 'id="id_reason-erase_error"' in response.content.decode()
    assert Member.objects.filter(email="grace.h@example.org").exists()
    assert AuditEvent.objects.count() == logged
