"""Two answers the hostile suite found only on PostgreSQL, kept on every database.

PostgreSQL refuses a NUL byte in a query's text and a value longer than its column, where
SQLite takes both; each was a 500 there.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orgs.models import Invitation
from petitions.pages import public_petition

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("slug", ["a\x00b", "", "x" * 81, "slug with spaces", "ünïcode"])
def test_a_slug_that_cannot_be_one_is_no_petition_without_a_query(petition, slug):
    with CaptureQueriesContext(connection) as queries:
        assert public_petition(slug) is None

    assert len(queries) == 0


def test_a_nul_in_the_one_press_sign_form_goes_back_to_the_petitions(public_client, petition):
    response = public_client.post(
        reverse("mailings:sign"), {"token": "x", "petition": f"{petition.slug}\x00"}
    )

    assert response.status_code in (302, 303, 404)


def test_an_invitation_to_an_address_longer_than_its_column_is_refused(owner_client):
    address = "x" * 250 + "@example.org"

    response = owner_client.post(
        reverse("staff:people_invite"), {"email": address, "role": "Analyst"}
    )

    assert response.status_code == 200
    assert "at most 254 characters" in response.content.decode()
    assert not Invitation.objects.exists()
