"""Inviting a colleague: the invitation, its email, and what is refused."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from jobs.models import Job
from jobs.services import jobs_drain
from orgs.models import Invitation, StaffEvent
from orgs.people import (
    PeopleRefused,
    invitation_create,
    invitation_for_token,
    invitation_revoke,
)
from staff.jobs import invitation_send
from tests.factories import OrganisationFactory, UserFactory
from tests.staff import staff_client
from tests.workspace.people import invited, join_tokens

pytestmark = pytest.mark.django_db


@pytest.fixture
def inviter():
    OrganisationFactory(name="Open Faces")
    user, client = staff_client("owner")
    user.first_name, user.last_name = "Olive", "Owner"
    user.save()
    return user, client


class TestTheService:
    def test_it_stores_only_a_nonce_and_the_hash_of_the_link(self, inviter, settings):
        invitation, token = invited(email="ada@example.org", role="Analyst", by=inviter[0])

        stored = Invitation.objects.filter(pk=invitation.pk).values().get()
        assert token not in str(stored)
        assert token not in str(Job.objects.values().get())
        assert invitation_for_token(token) == invitation

    def test_the_link_expires_after_the_configured_days(self, inviter, settings):
        settings.STAFF_INVITATION_DAYS = 3

        invitation = invitation_create(email="ada@example.org", role="Analyst", by=inviter[0])

        lifetime = invitation.expires_at - timezone.now()
        assert timedelta(days=3) - timedelta(minutes=1) < lifetime <= timedelta(days=3)

    def test_it_refuses_an_address_with_an_active_account(self, inviter):
        UserFactory(username="ada", email="Ada@Example.org")

        with pytest.raises(PeopleRefused, match="already has an account"):
            invitation_create(email="ada@example.org", role="Analyst", by=inviter[0])
        assert not Invitation.objects.exists()

    def test_it_refuses_an_address_with_a_pending_invitation(self, inviter):
        invitation_create(email="ada@example.org", role="Analyst", by=inviter[0])

        with pytest.raises(PeopleRefused, match="already has an invitation waiting"):
            invitation_create(email="ADA@example.org", role="Owner", by=inviter[0])
        assert Invitation.objects.count() == 1

    def test_an_expired_invitation_does_not_block_a_new_one(self, inviter):
        old = invitation_create(email="ada@example.org", role="Analyst", by=inviter[0])
        Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now())

        invitation_create(email="ada@example.org", role="Analyst", by=inviter[0])

        assert Invitation.objects.count() == 2

    def test_it_points_a_deactivated_account_to_reactivation(self, inviter):
        UserFactory(username="ada", email="ada@example.org", is_active=False)

        with pytest.raises(PeopleRefused, match="reactivate"):
            invitation_create(email="ada@example.org", role="Analyst", by=inviter[0])

    def test_it_logs_who_invited_whom_with_which_role(self, inviter):
        invitation = invitation_create(email="ada@example.org", role="Campaigner", by=inviter[0])

        event = StaffEvent.objects.get()
        assert (event.actor, event.action, event.invitation, event.detail) == (
            inviter[0],
            "invited",
            invitation,
            "Campaigner",
        )


class TestTheEmail:
    def test_it_names_the_organisation_the_inviter_the_role_the_expiry_and_the_link(self, inviter):
        invitation, token = invited(email="ada@example.org", role="Analyst", by=inviter[0])

        [message] = mail.outbox
        html = message.alternatives[0][0]
        expiry = f"{invitation.expires_at:%-d %B %Y}"
        assert message.subject == "Olive Owner invited you to Open Faces's workspace"
        for part in (message.body, html):
            for expected in ("Olive Owner", "Open Faces", "Analyst", expiry, token):
                assert expected in part
        assert join_tokens(message) == {token}

    def test_a_withdrawn_invitation_sends_no_email(self, inviter):
        invitation = invitation_send(email="ada@example.org", role="Analyst", by=inviter[0])
        invitation_revoke(invitation=invitation, by=inviter[0])

        jobs_drain()

        assert mail.outbox == []


class TestTheInvitePage:
    def test_an_owner_invites_and_sees_the_invitation_waiting(self, inviter):
        _, client = inviter

        response = client.post(
            "/staff/people/invite/", {"email": "ada@example.org", "role": "Analyst"}
        )
        listing = client.get(response["Location"]).content.decode()

        assert response["Location"] == "/staff/people/"
        assert "Invitation sent to ada@example.org as Analyst" in listing
        assert "Invitations waiting" in listing and "ada@example.org" in listing
        assert Job.objects.get().kind == "staff_invitation_mail"

    def test_a_refused_address_is_explained_next_to_the_field_and_nothing_is_sent(self, inviter):
        owner, client = inviter

        response = client.post("/staff/people/invite/", {"email": owner.email, "role": "Analyst"})
        page = response.content.decode()

        assert response.status_code == 200
        assert page.count("already has an account in this workspace") == 2  # summary + field
        assert f'value="{owner.email}"' in page
        assert not Invitation.objects.exists() and not Job.objects.exists()

    def test_a_bad_address_and_a_missing_role_are_each_explained(self, inviter):
        response = inviter[1].post("/staff/people/invite/", {"email": "not an address"})

        page = response.content.decode()
        assert "Enter a valid email address." in page
        assert "This field is required." in page
        assert not Invitation.objects.exists()


class TestWithdrawingAndResending:
    def test_withdrawing_asks_first_then_the_link_stops_working(self, inviter):
        owner, client = inviter
        invitation, token = invited(email="ada@example.org", role="Analyst", by=owner)
        url = f"/staff/people/invitations/{invitation.pk}/revoke/"

        confirm = client.get(url).content.decode()
        assert "stops working now" in confirm and Invitation.objects.pending().exists()

        client.post(url)

        assert invitation_for_token(token) is None
        assert StaffEvent.objects.filter(action="invitation_revoked").count() == 1

    def test_resending_replaces_the_link_with_a_new_one(self, inviter):
        owner, client = inviter
        invitation, old_token = invited(email="ada@example.org", role="Campaigner", by=owner)

        client.post(f"/staff/people/invitations/{invitation.pk}/resend/")
        jobs_drain()

        [new_token] = join_tokens(mail.outbox[-1])
        assert new_token != old_token
        assert invitation_for_token(old_token) is None
        assert invitation_for_token(new_token).role == "Campaigner"
        assert Invitation.objects.pending().count() == 1

    def test_an_invitation_no_longer_pending_is_not_withdrawn_twice(self, inviter):
        owner, client = inviter
        invitation, _ = invited(email="ada@example.org", role="Analyst", by=owner)
        client.post(f"/staff/people/invitations/{invitation.pk}/revoke/")

        response = client.post(f"/staff/people/invitations/{invitation.pk}/revoke/", follow=True)

        assert "no longer pending" in response.content.decode()
        assert StaffEvent.objects.filter(action="invitation_revoked").count() == 1
