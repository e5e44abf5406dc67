"""The petition page's image, and how edits reach a page kept in memory."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from petitions.models import Petition
from petitions.services import petition_close

pytestmark = pytest.mark.django_db


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (11, 93, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def test_an_image_is_stored_through_the_storage_api_and_shown_with_its_alt_text(
    petition, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    petition.image = _png()
    petition.image_alt = "A wall of faces cut from holiday photos"
    petition.save()

    html = Client().get(f"/p/{petition.slug}/").content.decode()

    assert (tmp_path / petition.image.name).exists()
    assert 'alt="A wall of faces cut from holiday photos"' in html
    assert f'property="og:image" content="{settings.BASE_URL}/media/{petition.image.name}"' in html
    assert 'name="twitter:card" content="summary_large_image"' in html


def test_an_edit_shows_once_the_kept_page_expires(petition, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("lib.localcache.time.monotonic", lambda: clock[0])
    Client().get(f"/p/{petition.slug}/")
    Petition.objects.filter(pk=petition.pk).update(title="Stop the face scrapers now")

    kept = Client().get(f"/p/{petition.slug}/").content.decode()
    clock[0] += 3.1  # PETITION_PAGE_CACHE_SECONDS
    fresh = Client().get(f"/p/{petition.slug}/").content.decode()

    assert "Stop the face scrapers now" not in kept
    assert "Stop the face scrapers now" in fresh


def test_closing_a_petition_stops_signing_within_the_cache_interval(petition, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("lib.localcache.time.monotonic", lambda: clock[0])
    Client().get(f"/p/{petition.slug}/")
    petition_close(petition=petition)
    clock[0] += 3.1

    response = Client().post(
        f"/p/{petition.slug}/sign/",
        {"first_name": "Ada", "last_name": "L", "email": "ada@example.org", "country": "GB"},
    )

    assert response.status_code in (400, 403)
    assert "closed" in Client().get(f"/p/{petition.slug}/").content.decode().lower()
