"""The updates tab: list, write with a preview, edit, delete with a confirmation."""

import pytest
from django.utils import timezone

from petitions.models import Update
from tests.workspace.tabs import tab_url

pytestmark = pytest.mark.django_db


def _update(petition, **fields):
    values = {"title": "We met the board", "body": "It went **well**.", **fields}
    values.setdefault("published_at", timezone.now())
    return Update.objects.create(petition=petition, **values)


def test_it_lists_updates_newest_first_and_marks_scheduled_ones(owner_client, petition):
    _update(petition, title="Older", published_at=timezone.now() - timezone.timedelta(days=2))
    _update(petition, title="Later", published_at=timezone.now() + timezone.timedelta(days=2))

    page = owner_client.get(tab_url(petition, "updates/")).content.decode()

    assert page.index("Later") < page.index("Older")
    assert "Scheduled" in page


def test_an_empty_list_says_what_updates_are_for(owner_client, petition):
    page = owner_client.get(tab_url(petition, "updates/")).content.decode()

    assert "No updates yet" in page
    assert "Write the first update" in page


def test_writing_an_update_saves_it_with_the_time_given(campaigner_client, petition):
    response = campaigner_client.post(
        tab_url(petition, "updates/new/"),
        {
            "title": "The board replied",
            "body": "They *will* meet us.",
            "published_at": "2026-12-01T09:30",
        },
    )

    assert response.status_code == 302
    update = Update.objects.get(petition=petition)
    assert update.title == "The board replied"
    assert update.published_at.isoformat() == "2026-12-01T09:30:00+00:00"


def test_the_form_offers_now_as_the_publish_time(owner_client, petition):
    page = owner_client.get(tab_url(petition, "updates/new/")).content.decode()

    assert f'value="{timezone.now():%Y-%m-%dT%H:}' in page


def test_preview_renders_the_markdown_with_the_public_sanitiser_and_saves_nothing(
    owner_client, petition
):
    response = owner_client.post(
        tab_url(petition, "updates/new/"),
        {
            "title": "News",
            "body": "**Big** news <script>alert(1)</script> [link](javascript:alert(1))",
            "published_at": "2026-12-01T09:30",
            "preview": "1",
        },
    )
    page = response.content.decode()

    assert response.status_code == 200
    assert "<strong>Big</strong> news" in page
    assert "<script>alert(1)</script>" not in page
    assert 'href="javascript' not in page
    assert not Update.objects.exists()


def test_a_refused_update_keeps_what_was_typed_and_says_why(owner_client, petition):
    response = owner_client.post(
        tab_url(petition, "updates/new/"),
        {"title": "Line\r\nbreak", "body": "Kept body", "published_at": "soon"},
    )
    page = response.content.decode()

    assert response.status_code == 400
    assert "The update was not saved" in page
    assert "Kept body" in page
    assert "Enter a date and time" in page
    assert not Update.objects.exists()


def test_editing_changes_the_update(owner_client, petition):
    update = _update(petition)

    owner_client.post(
        tab_url(petition, f"updates/{update.pk}/edit/"),
        {"title": "We met the board again", "body": "Twice.", "published_at": "2026-12-02T10:00"},
    )

    update.refresh_from_db()
    assert (update.title, update.body) == ("We met the board again", "Twice.")


def test_deleting_asks_first_then_deletes(owner_client, petition):
    update = _update(petition)
    url = tab_url(petition, f"updates/{update.pk}/delete/")

    assert "cannot be undone" in owner_client.get(url).content.decode()
    assert Update.objects.exists()
    owner_client.post(url)

    assert not Update.objects.exists()


def test_an_update_of_another_petition_is_not_found(owner_client, petition):
    from tests.factories import PetitionFactory

    other = _update(PetitionFactory())

    assert owner_client.get(tab_url(petition, f"updates/{other.pk}/edit/")).status_code == 404


def test_an_analyst_reads_updates_but_cannot_write_edit_or_delete(analyst_client, petition):
    update = _update(petition)

    page = analyst_client.get(tab_url(petition, "updates/")).content.decode()

    assert "We met the board" in page
    assert "Write an update" not in page
    for rest in ("updates/new/", f"updates/{update.pk}/edit/", f"updates/{update.pk}/delete/"):
        assert analyst_client.post(tab_url(petition, rest), {}).status_code == 403
    assert Update.objects.count() == 1
