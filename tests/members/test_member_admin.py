"""The admin cannot change a subscription or an address by editing a field: those go
through members.services, which writes the consent ledger and keeps the key in step."""

import pytest

from members.models import Member
from tests.conftest import staff_login
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    return staff_login(client, UserFactory(username="operator", is_superuser=True))


def test_the_member_form_offers_no_field_for_the_subscription_or_the_address(operator):
    member = MemberFactory(first_name="Grace")

    html = operator.get(f"/admin/members/member/{member.pk}/change/").content.decode()

    for field in ("email", "email_key", "status", "status_changed_at", "status_reason"):
        assert f'name="{field}"' not in html
    assert 'name="first_name"' in html


def test_posting_a_new_status_and_address_changes_neither(operator):
    member = MemberFactory(email="grace@example.org", first_name="Grace")

    response = operator.post(
        f"/admin/members/member/{member.pk}/change/",
        {
            "organisation": member.organisation_id,
            "first_name": "Grace B.",
            "last_name": "Hopper",
            "country": "GB",
            "postcode": "",
            "language": "",
            "email": "someone.else@example.org",
            "status": "subscribed",
            "consents-TOTAL_FORMS": "0",
            "consents-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.first_name, member.email, member.status) == (
        "Grace B.",
        "grace@example.org",
        Member.Status.NONE,
    )


def test_the_admin_cannot_add_a_member_by_hand(operator):
    assert operator.get("/admin/members/member/add/").status_code == 403
