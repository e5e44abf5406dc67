"""The public pages carry the brand: name, colour, logo, postal address and privacy contact.

Each check compares the whole page after a change with the page before it, so a change
shows exactly where it should and nowhere else.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from orgs.brand import logo_prepare, organisation_brand_update, organisation_logo_set

pytestmark = pytest.mark.django_db

PURPLE = {
    "name": "Purple Rights",
    "primary_colour": "#5b2a86",
    "postal_address": "1 Rue Exemple\n75001 Paris",
    "privacy_email": "data@purple.example",
}


@pytest.fixture(autouse=True)
def _every_request_renders(settings, tmp_path):
    # The page cache keeps a petition page PETITION_PAGE_CACHE_SECONDS (3 s) in each web
    # process: a change reaches a kept page within that time. Here every request renders.
    settings.PETITION_PAGE_CACHE_SECONDS = 0
    settings.MEDIA_ROOT = str(tmp_path)


def _html(path: str) -> str:
    response = Client().get(path)
    assert response.status_code == 200
    return response.content.decode()


def _logo(size=(300, 100)) -> bytes:
    content = io.BytesIO()
    Image.new("RGBA", size, (91, 42, 134, 255)).save(content, "PNG")
    return content.getvalue()


def _rebranded(before: str, old_version: str, new_version: str) -> str:
    return (
        before.replace("Open Faces Alliance", "Purple Rights")
        .replace(f"/brand/{old_version}.css", f"/brand/{new_version}.css")
        .replace(
            '<meta name="theme-color" content="#0b5d1e">',
            '<meta name="theme-color" content="#5b2a86">',
        )
        .replace("12 Example Street<br>London N1 0AA", "1 Rue Exemple<br>75001 Paris")
        .replace("privacy@openfaces.example", "data@purple.example")
    )


@pytest.mark.parametrize("page", ["petition", "home"])
def test_a_change_shows_on_the_public_pages_and_nothing_else_changes(
    organisation, petition, owner, page
):
    path = petition.get_absolute_url() if page == "petition" else "/"
    _html(path)  # the organisation is now cached, as on a live site
    before = _html(path)
    old_version = organisation.brand_version

    organisation_brand_update(organisation=organisation, data=PURPLE, by=owner)
    after = _html(path)

    assert after != before
    assert after == _rebranded(before, old_version, organisation.brand_version)


def test_the_logo_takes_the_names_place_in_the_header_with_its_description(
    organisation, petition, owner
):
    before = _html(petition.get_absolute_url())
    organisation_brand_update(
        organisation=organisation, data={"logo_alt": "Open Faces: two faces in profile"}, by=owner
    )

    organisation_logo_set(
        organisation=organisation,
        logo=logo_prepare(SimpleUploadedFile("logo.png", _logo())),
        by=owner,
    )
    after = _html(petition.get_absolute_url())

    assert after == before.replace(
        '<a class="brand" href="/">Open Faces Alliance</a>',
        '<a class="brand" href="/"><img class="brand-logo" '
        f'src="{organisation.logo.url}" alt="Open Faces: two faces in profile" '
        'width="300" height="100"></a>',
    )


def test_a_logo_without_a_description_is_named_by_the_organisation(organisation, owner):
    organisation_logo_set(
        organisation=organisation,
        logo=logo_prepare(SimpleUploadedFile("logo.png", _logo())),
        by=owner,
    )

    assert 'alt="Open Faces Alliance" width="300" height="100">' in _html("/")


def test_the_logo_is_served_from_the_sites_own_media(organisation, owner, media_serves_tmp):
    organisation_logo_set(
        organisation=organisation,
        logo=logo_prepare(SimpleUploadedFile("logo.png", _logo())),
        by=owner,
    )

    response = Client().get(organisation.logo.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert organisation.logo.url.startswith("/media/brand/")


@pytest.fixture
def media_serves_tmp(settings, monkeypatch):
    from chorus import urls

    [media] = [p for p in urls.urlpatterns if str(p.pattern).startswith("media/")]
    monkeypatch.setitem(media.default_args, "document_root", settings.MEDIA_ROOT)
