"""Changing a colleague's role, deactivating and reactivating, and the history of each."""

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client

from orgs.models import StaffEvent
from orgs.people import PeopleRefused, staff_deactivate, staff_role, staff_role_set
from tests.conftest import staff_login
from tests.factories import UserFactory
from tests.staff import staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return staff_client("owner")


@pytest.fixture
def colleague():
    return UserFactory(username="ada", first_name="Ada", role="Analyst")


def _role(user) -> str:
    return staff_role(User.objects.get(pk=user.pk))


class TestRoles:
    def test_an_owner_changes_a_role_and_it_is_logged(self, owner, colleague):
        user, client = owner

        response = client.post(f"/staff/people/{colleague.pk}/", {"role": "Campaigner"})

        assert response.status_code == 302
        assert _role(colleague) == "Campaigner"
        event = StaffEvent.objects.get()
        assert (event.actor, event.user, event.detail) == (user, colleague, "Analyst → Campaigner")
        page = client.get(f"/staff/people/{colleague.pk}/").content.decode()
        assert "Changed the role: Analyst → Campaigner" in page

    def test_the_last_active_owner_cannot_be_demoted(self, owner):
        user, client = owner

        response = client.post(f"/staff/people/{user.pk}/", {"role": "Analyst"})

        assert response.status_code == 200
        assert "the only active owner" in response.content.decode()
        assert _role(user) == "Owner" and not StaffEvent.objects.exists()

    def test_an_owner_may_step_down_once_there_is_another(self, owner):
        user, _ = owner
        UserFactory(username="second-owner", role="Owner")

        staff_role_set(user=user, role="Campaigner", by=user)

        assert _role(user) == "Campaigner"

    def test_a_deactivated_owner_does_not_count_as_the_other_owner(self, owner):
        user, _ = owner
        UserFactory(username="gone-owner", role="Owner", is_active=False)

        with pytest.raises(PeopleRefused):
            staff_role_set(user=user, role="Analyst", by=user)

    def test_an_operator_account_is_not_changed_here(self, owner):
        user, client = owner
        root = UserFactory(username="root", is_superuser=True)

        with pytest.raises(PeopleRefused, match="operator"):
            staff_role_set(user=root, role="Analyst", by=user)


class TestDeactivation:
    def test_deactivating_asks_first_then_ends_every_session_of_that_person(
        self, owner, colleague
    ):
        _, client = owner
        colleague_browser = staff_login(Client(), colleague)
        assert colleague_browser.get("/staff/petitions/").status_code == 200
        url = f"/staff/people/{colleague.pk}/deactivate/"

        assert "signed out now" in client.get(url).content.decode()
        client.post(url)

        colleague.refresh_from_db()
        assert not colleague.is_active
        assert colleague_browser.get("/staff/petitions/")["Location"].startswith("/staff/login/")
        assert not any(
            s.get_decoded().get("_auth_user_id") == str(colleague.pk)
            for s in Session.objects.all()
        )
        assert StaffEvent.objects.get().action == "deactivated"

    def test_nobody_deactivates_themselves(self, owner):
        user, client = owner
        UserFactory(username="second-owner", role="Owner")

        response = client.post(f"/staff/people/{user.pk}/deactivate/", follow=True)

        assert "You cannot deactivate your own account" in response.content.decode()
        user.refresh_from_db()
        assert user.is_active

    def test_the_last_active_owner_cannot_be_deactivated(self, owner):
        user, _ = owner
        other = UserFactory(username="other-owner", role="Owner")
        staff_deactivate(user=other, by=user)
        helper = UserFactory(username="helper", role="Owner")
        staff_deactivate(user=helper, by=user)

        with pytest.raises(PeopleRefused, match="only active owner"):
            staff_deactivate(user=user, by=UserFactory(username="root", is_superuser=True))

    def test_reactivating_gives_back_the_role(self, owner, colleague):
        user, client = owner
        staff_deactivate(user=colleague, by=user)

        client.post(f"/staff/people/{colleague.pk}/reactivate/")

        colleague.refresh_from_db()
        assert colleague.is_active and _role(colleague) == "Analyst"
        assert [e.action for e in StaffEvent.objects.order_by("id")] == [
            "deactivated",
            "reactivated",
        ]
