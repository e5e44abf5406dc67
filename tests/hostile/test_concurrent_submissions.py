"""Duplicate submissions at the same instant, through the real views, on PostgreSQL.

Each thread is a browser of its own with its own database connection: a double-click on
the sign form, two colleagues creating petitions with the same address, inviting the
same person, or one invitation accepted twice. Every answer is a page, never a 5xx, and
the database keeps one of whatever must be one.
"""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from orgs.models import Invitation
from orgs.people import invitation_create, invitation_token
from petitions.models import Petition, Signature
from tests.concurrency import run_concurrently
from tests.conftest import postgres_only, sign_data, staff_login
from tests.factories import OrganisationFactory, PetitionFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]
THREADS = 4


def _browser(user=None) -> Client:
    client = Client(raise_request_exception=False, REMOTE_ADDR="203.0.113.9")
    return staff_login(client, user) if user else client


def _at_once(clients, path, data) -> list[int]:
    def post(client):
        return lambda: client.post(path, data).status_code

    return run_concurrently(*[post(client) for client in clients])


@pytest.fixture
def owners(roles):
    OrganisationFactory()
    return [UserFactory(username=f"owner-{n}", role="Owner") for n in range(THREADS)]


def test_a_double_click_on_the_sign_form_stores_one_signature():
    petition = PetitionFactory()
    path = reverse("petitions:sign", args=[petition.slug])

    statuses = _at_once([_browser() for _ in range(THREADS)], path, sign_data())

    assert statuses == [302] * THREADS
    assert Signature.objects.filter(petition=petition).count() == 1


def test_two_colleagues_creating_petitions_at_one_address_both_get_a_page(owners):
    path = reverse("staff:petition_new")
    data = {
        "title": "Keep the library open",
        "target": "The council",
        "summary": "Open it.",
        "story": "Because.",
        "goal_mode": "auto",
        "language": "en",
        "slug": "keep-the-library-open",
        "sources-TOTAL_FORMS": "0",
        "sources-INITIAL_FORMS": "0",
    }

    statuses = _at_once([_browser(owner) for owner in owners], path, data)

    assert all(status < 500 for status in statuses), statuses
    assert Petition.objects.filter(slug="keep-the-library-open").count() == 1
    assert statuses.count(302) >= 1


def test_inviting_the_same_person_at_once_keeps_one_invitation(owners):
    path = reverse("staff:people_invite")
    data = {"email": "new.colleague@example.org", "role": "Analyst"}

    statuses = _at_once([_browser(owner) for owner in owners], path, data)

    assert all(status < 500 for status in statuses), statuses
    assert Invitation.objects.filter(email="new.colleague@example.org").count() <= 1


def test_one_invitation_accepted_twice_at_once_makes_one_account(owners):
    invitation = invitation_create(email="joiner@example.org", role="Analyst", by=owners[0])
    path = reverse("staff_invitation_accept", args=[invitation_token(invitation)])

    def accept(n):
        data = {"username": f"joiner{n}", "first_name": "Jo", "last_name": "Iner",
                "password": "a long enough password 1",
                "password_again": "a long enough password 1"}  # fmt: skip
        client = _browser()
        return lambda: client.post(path, data).status_code

    statuses = run_concurrently(*[accept(n) for n in range(THREADS)])

    assert all(status < 500 for status in statuses), statuses
    assert User.objects.filter(username__startswith="joiner").count() == 1
