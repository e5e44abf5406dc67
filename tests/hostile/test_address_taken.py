"""A petition's address taken between the form's check and the save (two colleagues at
once): a message beside the field, never a 500. The race itself runs on PostgreSQL in
test_concurrent_submissions.py; here the form's check is skipped to stand for it."""

import pytest
from django.urls import reverse

from petitions.forms import PetitionForm
from petitions.models import Petition
from petitions.services import PetitionAddressTaken, petition_create
from petitions.services import petitions as petition_services
from tests.factories import PetitionFactory

pytestmark = pytest.mark.django_db

FORM = {
    "title": "Keep the library open",
    "target": "The council",
    "summary": "Open it.",
    "story": "Because.",
    "goal_mode": "auto",
    "language": "en",
    "sources-TOTAL_FORMS": "0",
    "sources-INITIAL_FORMS": "0",
}


@pytest.fixture
def form_check_missed(monkeypatch):
    monkeypatch.setattr(PetitionForm, "validate_unique", lambda self: None)


def test_a_chosen_address_taken_meanwhile_is_refused_beside_the_field(
    owner_client, organisation, form_check_missed
):
    PetitionFactory(organisation=organisation, slug="keep-the-library-open")

    response = owner_client.post(
        reverse("staff:petition_new"), FORM | {"slug": "keep-the-library-open"}
    )

    assert response.status_code == 200
    assert "was taken a moment ago by another petition" in response.content.decode()
    assert Petition.objects.filter(slug="keep-the-library-open").count() == 1


def test_an_edited_address_taken_meanwhile_is_refused_beside_the_field(
    owner_client, organisation, form_check_missed
):
    PetitionFactory(organisation=organisation, slug="taken")
    draft = PetitionFactory(organisation=organisation, slug="mine", status="draft")

    response = owner_client.post(
        reverse("staff:petition_edit", args=[draft.pk]), FORM | {"slug": "taken"}
    )

    assert response.status_code == 200
    assert "was taken a moment ago by another petition" in response.content.decode()
    draft.refresh_from_db()
    assert draft.slug == "mine"


def test_an_address_made_from_the_title_is_made_again(organisation, owner, monkeypatch):
    PetitionFactory(organisation=organisation, slug="keep-the-library-open")
    made = iter(["keep-the-library-open", "keep-the-library-open-1"])
    monkeypatch.setattr(petition_services, "slug_from_title", lambda title: next(made))

    petition = petition_create(organisation=organisation, data={"title": "Keep"}, by=owner)

    assert petition.slug == "keep-the-library-open-1"


def test_a_chosen_address_taken_raises_the_refusal(organisation, owner):
    PetitionFactory(organisation=organisation, slug="taken")

    with pytest.raises(PetitionAddressTaken):
        petition_create(organisation=organisation, data={"title": "A", "slug": "taken"}, by=owner)
