"""Publish, close, reopen and victory in the workspace: a confirmation step, then the service."""

import pytest

from petitions.models import Petition, PetitionCount, PetitionEvent
from tests.factories import PetitionFactory
from tests.staff import staff_client

pytestmark = pytest.mark.django_db

Status = Petition.Status

STEPS = [
    ("publish", Status.DRAFT, Status.OPEN),
    ("close", Status.OPEN, Status.CLOSED),
    ("reopen", Status.CLOSED, Status.OPEN),
    ("victory", Status.OPEN, Status.WON),
    ("victory", Status.CLOSED, Status.WON),
]


def _url(petition, action) -> str:
    return f"/staff/petitions/{petition.pk}/{action}/"


@pytest.mark.parametrize(("action", "before", "after"), STEPS)
def test_a_campaigner_confirms_and_the_step_is_taken_and_logged(
    organisation, action, before, after
):
    user, client = staff_client("campaigner")
    petition = PetitionFactory(organisation=organisation, status=before)

    confirm = client.get(_url(petition, action))
    assert confirm.status_code == 200
    assert Petition.objects.get(pk=petition.pk).status == before  # asking changes nothing

    response = client.post(_url(petition, action))

    assert response["Location"] == f"/staff/petitions/{petition.pk}/edit/"
    assert Petition.objects.get(pk=petition.pk).status == after
    event = PetitionEvent.objects.get(petition=petition)
    assert (event.from_status, event.to_status, event.by) == (before, after, user)


def test_the_confirmation_says_what_happens_and_to_how_many(organisation):
    _, client = staff_client("campaigner")
    petition = PetitionFactory(organisation=organisation, slug="night-buses")
    PetitionCount.objects.create(petition=petition, dimension="total", value="", count=1234)

    page = client.get(_url(petition, "close")).content.decode()

    assert "1,234 confirmed signers" in page
    assert "/p/night-buses/" in page
    assert "Nobody can sign any more" in page


def test_publishing_names_the_public_address(organisation):
    _, client = staff_client("campaigner")
    petition = PetitionFactory(organisation=organisation, slug="night-buses", status="draft")

    page = client.get(_url(petition, "publish")).content.decode()

    assert "becomes public at" in page and "/p/night-buses/" in page


@pytest.mark.parametrize(
    ("action", "status"),
    [("publish", Status.OPEN), ("close", Status.DRAFT), ("reopen", Status.WON)],
)
def test_a_step_that_does_not_apply_offers_no_button_and_changes_nothing_on_post(
    organisation, action, status
):
    _, client = staff_client("campaigner")
    petition = PetitionFactory(organisation=organisation, status=status)

    page = client.get(_url(petition, action)).content.decode()
    response = client.post(_url(petition, action), follow=True)

    assert "cannot be" in page
    assert 'class="btn-row"' not in page  # no confirm button
    assert Petition.objects.get(pk=petition.pk).status == status
    assert not PetitionEvent.objects.exists()
    assert "Only" in response.content.decode() or "Victory can" in response.content.decode()


@pytest.mark.parametrize("action", ["publish", "close", "reopen", "victory"])
def test_an_analyst_gets_403_and_nothing_changes(organisation, action):
    _, client = staff_client("analyst")
    petition = PetitionFactory(organisation=organisation, status=Status.OPEN)

    assert client.get(_url(petition, action)).status_code == 403
    assert client.post(_url(petition, action)).status_code == 403
    assert Petition.objects.get(pk=petition.pk).status == Status.OPEN


@pytest.mark.parametrize("action", ["publish", "close", "reopen", "victory"])
def test_a_signed_out_visitor_is_sent_to_sign_in(client, organisation, action):
    petition = PetitionFactory(organisation=organisation, status=Status.DRAFT)

    response = client.post(_url(petition, action))

    assert response["Location"].startswith("/staff/login/")
    assert Petition.objects.get(pk=petition.pk).status == Status.DRAFT


def test_an_unknown_petition_is_a_404(organisation):
    _, client = staff_client("campaigner")

    assert client.get("/staff/petitions/999999/publish/").status_code == 404


def test_the_edit_page_offers_only_the_steps_that_apply(organisation):
    _, client = staff_client("campaigner")
    petition = PetitionFactory(organisation=organisation, status=Status.OPEN)

    page = client.get(f"/staff/petitions/{petition.pk}/edit/").content.decode()

    assert _url(petition, "close") in page and _url(petition, "victory") in page
    assert _url(petition, "publish") not in page and _url(petition, "reopen") not in page


def test_the_operators_admin_actions_go_through_the_same_services(organisation):
    user, client = staff_client("superuser")
    draft = PetitionFactory(organisation=organisation, status=Status.DRAFT)
    won = PetitionFactory(organisation=organisation, status=Status.WON)

    client.post(
        "/admin/petitions/petition/",
        {"action": "publish", "_selected_action": [draft.pk, won.pk]},
    )

    assert Petition.objects.get(pk=draft.pk).status == Status.OPEN
    assert Petition.objects.get(pk=won.pk).status == Status.WON
    assert PetitionEvent.objects.get().by == user
