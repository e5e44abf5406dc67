"""The operators' admin at /admin/: superusers only; everyone else is told where to go."""

import pytest
from django.test import Client

from orgs.models import StaffEvent
from orgs.people import invitation_create
from tests.staff import staff_client

pytestmark = pytest.mark.django_db


def test_a_superuser_opens_the_admin():
    _, client = staff_client("superuser")

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200


@pytest.mark.parametrize("persona", ["owner", "campaigner", "analyst", "view_only"])
def test_a_signed_in_colleague_is_refused_once_with_a_way_to_the_workspace(persona):
    _, client = staff_client(persona)

    response = client.get("/admin/auth/user/", follow=True)

    assert response.redirect_chain == [("/admin/login/?next=/admin/auth/user/", 302)]
    assert response.status_code == 403
    page = response.content.decode()
    assert "The operators' admin is for superusers" in page
    assert 'href="/staff/"' in page


def test_a_signed_out_visitor_is_sent_to_the_staff_sign_in():
    response = Client().get("/admin/", follow=True)

    assert response.redirect_chain[-1] == ("/staff/login/?next=/admin/", 302)
    assert response.status_code == 200


def test_a_deactivated_superuser_is_not_let_in():
    user, client = staff_client("superuser")
    user.is_active = False
    user.save()

    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_the_people_log_is_read_only_in_the_admin_too():
    user, client = staff_client("superuser")
    owner, _ = staff_client("owner")
    invitation_create(email="ada@example.org", role="Analyst", by=owner)
    event = StaffEvent.objects.get()

    assert client.get("/admin/orgs/staffevent/").status_code == 200
    assert (
        client.post(f"/admin/orgs/staffevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert (
        client.post(f"/admin/orgs/staffevent/{event.pk}/change/", {"detail": "x"}).status_code
        == 403
    )
    assert StaffEvent.objects.get().detail == "Analyst"
