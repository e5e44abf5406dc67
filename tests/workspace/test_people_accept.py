"""Accepting an invitation: an account with the role, then straight to the second factor."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from orgs.models import Invitation, StaffEvent
from orgs.people import invitation_revoke
from tests.staff import staff_client
from tests.workspace.people import invited

pytestmark = pytest.mark.django_db

GONE = "This invitation link no longer works"
PASSWORD = "a long walk by the canal"


@pytest.fixture
def owner():
    return staff_client("owner")[0]


@pytest.fixture
def invitation(owner):
    return invited(email="ada.lovelace@example.org", role="Analyst", by=owner)


def _join(client, token, **overrides):
    data = {
        "username": "ada",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "password": PASSWORD,
        "password_again": PASSWORD,
    }
    data.update(overrides)
    return client.post(f"/staff/join/{token}/", data)


def test_the_page_names_the_role_and_suggests_a_username_from_the_address(invitation):
    _, token = invitation

    page = Client().get(f"/staff/join/{token}/").content.decode()

    assert "invited you as <strong>Analyst</strong>" in page
    assert 'value="ada.lovelace"' in page
    assert "ada.lovelace@example.org" in page


def test_accepting_makes_a_staff_account_with_the_role_and_sends_it_to_set_up_the_app(
    invitation,
):
    stored, token = invitation
    client = Client()

    response = _join(client, token)

    user = User.objects.get(username="ada")
    assert (user.email, user.is_staff, user.is_superuser) == (stored.email, True, False)
    assert [g.name for g in user.groups.all()] == ["Analyst"]
    assert user.check_password(PASSWORD)
    assert response["Location"] == "/staff/login/setup/?next=%2Fstaff%2F"
    stored.refresh_from_db()
    assert (stored.accepted_user, stored.accepted_at is not None) == (user, True)
    assert StaffEvent.objects.filter(action="invitation_accepted", user=user).exists()


def test_no_workspace_page_opens_before_the_app_is_set_up(invitation):
    client = Client()
    _join(client, invitation[1])

    response = client.get("/staff/petitions/")

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")
    assert client.get(response["Location"])["Location"].startswith("/staff/login/setup/")


def test_a_weak_password_or_a_taken_username_is_explained_and_nothing_is_made(invitation):
    _, token = invitation

    weak = _join(Client(), token, password="12345678", password_again="12345678")
    taken = _join(Client(), token, username="owner-persona")
    differ = _join(Client(), token, password_again="something else entirely")

    assert "This password is too common." in weak.content.decode()
    assert "That username is taken" in taken.content.decode()
    assert "The two passwords differ" in differ.content.decode()
    assert not User.objects.filter(email="ada.lovelace@example.org").exists()
    assert Invitation.objects.pending().count() == 1


def _gone(response) -> bool:
    return response.status_code == 404 and GONE in response.content.decode()


def test_a_used_link_does_not_work_again(invitation):
    _, token = invitation
    _join(Client(), token)

    again = _join(Client(), token, username="ada2")

    assert _gone(again) and _gone(Client().get(f"/staff/join/{token}/"))
    assert not User.objects.filter(username="ada2").exists()


def test_an_expired_a_withdrawn_and_an_unknown_link_get_the_same_page(owner, invitation):
    stored, token = invitation
    other, other_token = invited(email="grace@example.org", role="Campaigner", by=owner)
    Invitation.objects.filter(pk=stored.pk).update(expires_at=timezone.now())
    invitation_revoke(invitation=other, by=owner)

    pages = [Client().get(f"/staff/join/{t}/") for t in (token, other_token, "x" * 43, "short")]

    assert all(_gone(p) for p in pages)
    bodies = {
        p.content.decode().replace(t, "")
        for p, t in zip(pages, (token, other_token, "x" * 43, "short"), strict=True)
    }
    assert len(bodies) == 1


def test_guessing_links_is_throttled_like_sign_in(invitation, settings):
    settings.STAFF_SIGN_IN_NETWORK_LIMIT = 3
    _, token = invitation
    client = Client()
    for guess in range(3):
        client.get(f"/staff/join/guess{guess}/")

    assert _gone(client.get(f"/staff/join/{token}/"))


def test_a_signed_in_colleague_is_asked_to_sign_out_first(invitation):
    _, client = staff_client("campaigner")

    response = client.get(f"/staff/join/{invitation[1]}/")

    assert "sign out first" in response.content.decode()
    assert Invitation.objects.pending().count() == 1
