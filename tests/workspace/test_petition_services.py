"""petitions.services.petitions: a petition's life, each step logged with who took it."""

import pytest

from petitions.models import Petition, PetitionEvent, Source
from petitions.services import (
    PetitionTransitionRefused,
    petition_close,
    petition_create,
    petition_declare_victory,
    petition_publish,
    petition_reopen,
    petition_update,
)
from tests.factories import PetitionFactory

pytestmark = pytest.mark.django_db

Status = Petition.Status

SERVICES = {
    "publish": petition_publish,
    "close": petition_close,
    "reopen": petition_reopen,
    "victory": petition_declare_victory,
}
ALLOWED = {
    ("publish", Status.DRAFT): Status.OPEN,
    ("close", Status.OPEN): Status.CLOSED,
    ("reopen", Status.CLOSED): Status.OPEN,
    ("victory", Status.OPEN): Status.WON,
    ("victory", Status.CLOSED): Status.WON,
}
REFUSED = [
    (action, status)
    for action in SERVICES
    for status in Status.values
    if (action, status) not in ALLOWED
]


def _data(**overrides) -> dict:
    data = {
        "title": "Stop the scraping of our faces",
        "target": "PhotoCircle",
        "summary": "Tell them to stop.",
        "story": "Our faces are **not** raw material.",
        "image_alt": "",
        "language": "en",
        "require_confirmation": True,
        "goal_mode": "auto",
        "delivery_fields": ["name", "country"],
        "goal": None,
        "slug": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(("action", "status"), list(ALLOWED))
def test_each_allowed_step_moves_the_status_and_logs_who_took_it(
    organisation, campaigner, action, status
):
    petition = PetitionFactory(organisation=organisation, status=status)

    SERVICES[action](petition=petition, by=campaigner)

    petition.refresh_from_db()
    assert petition.status == ALLOWED[(action, status)]
    event = PetitionEvent.objects.get(petition=petition)
    assert (event.from_status, event.to_status, event.by) == (
        status,
        ALLOWED[(action, status)],
        campaigner,
    )


@pytest.mark.parametrize(("action", "status"), REFUSED)
def test_a_step_the_status_does_not_allow_is_refused_and_changes_nothing(
    organisation, campaigner, action, status
):
    petition = PetitionFactory(organisation=organisation, status=status)
    before = Petition.objects.filter(pk=petition.pk).values().get()

    with pytest.raises(PetitionTransitionRefused) as refused:
        SERVICES[action](petition=petition, by=campaigner)

    assert Petition.objects.filter(pk=petition.pk).values().get() == before
    assert not PetitionEvent.objects.filter(petition=petition).exists()
    assert petition.get_status_display().lower() in str(refused.value)


def test_publishing_sets_the_publication_time_once(organisation, campaigner):
    petition = PetitionFactory(organisation=organisation, status=Status.DRAFT)

    petition_publish(petition=petition, by=campaigner)
    first = petition.published_at
    petition_close(petition=petition, by=campaigner)
    petition_reopen(petition=petition, by=campaigner)

    petition.refresh_from_db()
    assert first is not None and petition.published_at == first
    assert petition.closed_at is None


def test_closing_then_winning_keeps_when_signing_stopped(organisation, campaigner):
    petition = PetitionFactory(organisation=organisation, status=Status.OPEN)
    petition_close(petition=petition, by=campaigner)
    closed_at = petition.closed_at

    petition_declare_victory(petition=petition, by=campaigner)

    assert petition.status == Status.WON and petition.closed_at == closed_at


def test_a_second_colleague_closing_the_same_petition_is_told_it_is_closed(
    organisation, campaigner, owner
):
    petition = PetitionFactory(organisation=organisation, status=Status.OPEN)
    stale = Petition.objects.get(pk=petition.pk)
    petition_close(petition=petition, by=campaigner)

    with pytest.raises(PetitionTransitionRefused, match="closed"):
        petition_close(petition=stale, by=owner)

    assert PetitionEvent.objects.filter(petition=petition).count() == 1


def test_creating_makes_a_draft_with_an_address_from_the_ask(organisation, campaigner):
    petition = petition_create(organisation=organisation, data=_data(), by=campaigner)

    assert petition.status == Status.DRAFT
    assert petition.slug == "stop-the-scraping-of-our-faces"
    event = petition.events.get()
    assert (event.action, event.by) == (PetitionEvent.Action.CREATED, campaigner)


def test_a_taken_address_gets_a_number(organisation, campaigner):
    petition_create(organisation=organisation, data=_data(), by=campaigner)

    second = petition_create(organisation=organisation, data=_data(), by=campaigner)

    assert second.slug == "stop-the-scraping-of-our-faces-2"


def test_an_ask_without_latin_letters_still_gets_an_address(organisation, campaigner):
    petition = petition_create(
        organisation=organisation, data=_data(title="Остановите слежку"), by=campaigner
    )

    assert petition.slug == "petition"


def test_sources_are_kept_in_the_order_given(organisation, campaigner):
    sources = [
        {"title": "B", "publisher": "P", "url": "https://b.example/", "published_on": None},
        {"title": "A", "publisher": "P", "url": "https://a.example/", "published_on": None},
    ]

    petition = petition_create(
        organisation=organisation, data=_data(sources=sources), by=campaigner
    )

    assert list(petition.sources.values_list("title", flat=True)) == ["B", "A"]


def test_editing_logs_what_changed_and_by_whom(organisation, campaigner):
    petition = PetitionFactory(organisation=organisation, status=Status.OPEN)

    changed = petition_update(
        petition=petition,
        data=_data(title=petition.title, story="A new story.", slug=""),
        by=campaigner,
    )

    assert "story" in changed
    event = petition.events.get()
    assert event.action == PetitionEvent.Action.EDITED and event.by == campaigner
    assert "story" in event.note


def test_saving_without_changes_logs_nothing(organisation, campaigner):
    petition = petition_create(organisation=organisation, data=_data(), by=campaigner)

    changed = petition_update(petition=petition, data=_data(), by=campaigner)

    assert changed == []
    assert petition.events.count() == 1  # only "created"


def test_the_address_changes_only_while_a_draft(organisation, campaigner):
    draft = PetitionFactory(organisation=organisation, status=Status.DRAFT, slug="old")
    open_ = PetitionFactory(organisation=organisation, status=Status.OPEN, slug="public")

    petition_update(petition=draft, data=_data(slug="new"), by=campaigner)
    petition_update(petition=open_, data=_data(slug="moved"), by=campaigner)

    assert Petition.objects.get(pk=draft.pk).slug == "new"
    assert Petition.objects.get(pk=open_.pk).slug == "public"


def test_a_fixed_goal_is_kept_as_set_and_the_fold_does_not_raise_it(organisation, campaigner):
    petition = petition_create(
        organisation=organisation, data=_data(goal_mode="fixed", goal=7), by=campaigner
    )

    assert petition.goal == 7
    assert petition.goal_at(50) == 7


def test_going_back_to_automatic_starts_the_ladder_again(organisation, campaigner):
    petition = petition_create(
        organisation=organisation, data=_data(goal_mode="fixed", goal=75_000), by=campaigner
    )

    petition_update(petition=petition, data=_data(goal_mode="auto"), by=campaigner)

    assert Petition.objects.get(pk=petition.pk).goal == 100


def test_status_is_not_something_editing_can_change(organisation, campaigner):
    petition = PetitionFactory(organisation=organisation, status=Status.DRAFT)

    petition_update(petition=petition, data=_data(status="open"), by=campaigner)

    assert Petition.objects.get(pk=petition.pk).status == Status.DRAFT
    assert Source.objects.count() == 0
