"""staff.access: the one rule every workspace view goes through."""

import pytest
from django.test import Client

from tests.conftest import staff_login
from tests.factories import UserFactory
from tests.staff import staff_client
from tests.workspace.walk import workspace_urls


@pytest.mark.django_db
class TestTheRule:
    def test_every_workspace_view_declares_its_permission(self):
        urls = workspace_urls(
            {
                "pk": 1,
                "signature_pk": 1,
                "update_pk": 1,
                "user_pk": 1,
                "invitation_pk": 1,
                "member_pk": 1,
                "import_pk": 1,
                "token": "x",
                "segment_pk": 1,
                "mailing_pk": 1,
                "bulk_pk": 1,
                "pack_pk": 1,
                "partner_pk": 1,
                "apitoken_pk": 1,
                "endpoint_pk": 1,
                "language": "fr",
            }
        )

        assert urls
        assert [u.path for u in urls if not getattr(u.view, "is_staff_view", False)] == []

    def test_a_signed_out_visitor_is_sent_to_sign_in_and_back(self, client):
        response = client.get("/staff/petitions/")

        assert response.status_code == 302
        assert response["Location"] == "/staff/login/?next=/staff/petitions/"

    def test_a_deactivated_account_is_treated_as_signed_out(self):
        user, client = staff_client("owner")
        user.is_active = False
        user.save()

        assert client.get("/staff/petitions/")["Location"].startswith("/staff/login/")

    def test_a_role_without_the_permission_gets_the_403_page_naming_the_role(self):
        _, client = staff_client("campaigner")

        response = client.get("/staff/organisation/")

        assert response.status_code == 403
        assert "Campaigner" in response.content.decode()

    def test_an_account_with_no_role_is_told_so(self):

        client = staff_login(Client(), UserFactory(username="nobody"))

        response = client.get("/staff/")

        assert response.status_code == 200
        assert "no role" in response.content.decode()

    def test_the_front_door_opens_the_first_section_of_the_role(self):
        _, client = staff_client("analyst")

        assert client.get("/staff/")["Location"] == "/staff/petitions/"
