"""The People page: accounts, their roles and status, and invitations waiting."""

from datetime import UTC, datetime

import pytest

from orgs.people import invitation_create
from tests.factories import UserFactory
from tests.staff import staff_client
from tests.workspace.walk import workspace_urls

pytestmark = pytest.mark.django_db


def test_it_lists_each_account_with_role_status_and_last_sign_in():
    user, client = staff_client("owner")
    UserFactory(
        username="ada",
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.org",
        role="Analyst",
        last_login=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    )
    UserFactory(username="gone", role="Campaigner", is_active=False)

    page = client.get("/staff/people/").content.decode()

    for expected in ("Ada Lovelace", "ada@example.org", "Analyst", "2 Nov 2026, 09:30"):
        assert expected in page
    assert "Deactivated" in page and "Campaigner" in page
    assert "(you)" in page


def test_pending_invitations_show_with_their_expiry_and_used_ones_do_not():
    user, client = staff_client("owner")
    invitation = invitation_create(email="grace@example.org", role="Campaigner", by=user)

    page = client.get("/staff/people/").content.decode()

    assert "grace@example.org" in page
    assert f"{invitation.expires_at:%-d %b %Y, %H:%M}" in page
    assert "Invited" in page


def test_the_page_does_not_grow_queries_with_people(django_assert_max_num_queries):
    user, client = staff_client("owner")
    client.get("/staff/people/")
    with django_assert_max_num_queries(30) as few:
        client.get("/staff/people/")
    for n in range(10):
        UserFactory(username=f"more{n}", role="Analyst")
        invitation_create(email=f"more{n}@example.org", role="Analyst", by=user)

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/staff/people/").status_code == 200


@pytest.mark.parametrize("persona", ["campaigner", "analyst", "view_only"])
def test_only_owners_see_people(persona):
    _, client = staff_client(persona)

    assert client.get("/staff/people/").status_code == 403
    assert b"/staff/people/" not in client.get("/staff/petitions/").content


def test_every_people_page_declares_a_permission_only_owners_hold():
    owner, campaigner = staff_client("owner")[0], staff_client("campaigner")[0]
    analyst = staff_client("analyst")[0]
    samples = {"user_pk": owner.pk, "invitation_pk": 1, "pk": 1, "signature_pk": 1}
    samples |= {"update_pk": 1, "member_pk": 1, "import_pk": 1, "token": "x"}
    samples |= {"segment_pk": 1, "mailing_pk": 1, "bulk_pk": 1, "pack_pk": 1}
    samples |= {"partner_pk": 1, "apitoken_pk": 1, "endpoint_pk": 1}
    samples |= {"language": "fr"}
    people_urls = [u for u in workspace_urls(samples) if u.name.startswith("people")]

    assert len(people_urls) == 7
    for url in people_urls:
        assert url.permission and url.permission.startswith("auth."), url.name
        assert owner.has_perm(url.permission)
        assert not campaigner.has_perm(url.permission)
        assert not analyst.has_perm(url.permission)
