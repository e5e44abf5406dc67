"""/brand/<version>.css: the organisation's colours as a stylesheet every page links to."""

import re

import pytest
from django.test import Client

from chorus.pagecache import kept_pages
from orgs.brand import organisation_brand_update
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PURPLE_CSS = (
    ":root{--brand:#5b2a86;--brand-dark:#441f64;--on-brand:#ffffff}\n"
    ".brand-logo{display:block;height:2.25rem;width:auto;max-width:14rem;object-fit:contain;"
    "background:#fff;padding:.2rem .4rem;margin:.3rem 0;border-radius:.3rem}\n"
)


def _purple(organisation):
    organisation_brand_update(
        organisation=organisation, data={"primary_colour": "#5b2a86"}, by=UserFactory()
    )


def _linked_stylesheets(html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="([^"]+)">', html)


def test_it_serves_the_palette_of_the_colour_and_may_be_kept_a_year(organisation):
    _purple(organisation)

    response = Client().get(f"/brand/{organisation.brand_version}.css")

    assert response.status_code == 200
    assert response.content.decode() == PURPLE_CSS
    assert response["Content-Type"] == "text/css; charset=utf-8"
    assert set(response["Cache-Control"].split(", ")) == {
        "public",
        "max-age=31536000",
        "immutable",
    }
    assert "Set-Cookie" not in response
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_version_changes_with_the_colour(organisation):
    before = organisation.brand_version

    _purple(organisation)

    assert organisation.brand_version != before
    assert re.fullmatch(r"[0-9a-f]{12}", organisation.brand_version)


def test_an_earlier_version_gets_todays_colours_for_a_minute_only(organisation):
    earlier = organisation.brand_version
    _purple(organisation)

    response = Client().get(f"/brand/{earlier}.css")

    assert response.content.decode() == PURPLE_CSS
    assert response["Cache-Control"] == "public, max-age=60"


def test_only_the_current_version_is_kept_in_the_page_cache(organisation):
    made_up = "0123456789ab"

    Client().get(f"/brand/{made_up}.css")
    Client().get(f"/brand/{organisation.brand_version}.css")

    assert kept_pages.lookup((f"/brand/{made_up}.css", "en")) is None
    assert kept_pages.lookup((f"/brand/{organisation.brand_version}.css", "en")) is not None


@pytest.mark.parametrize(
    "path", ["/brand/.css", "/brand/XYZ.css", "/brand/0123456789abc.css", "/brand.css"]
)
def test_other_addresses_are_not_found(organisation, path):
    assert Client().get(path).status_code == 404


def test_it_answers_only_reads(organisation):
    response = Client().post(f"/brand/{organisation.brand_version}.css")

    assert response.status_code in {403, 405}  # the CSRF check or the method


def test_the_public_pages_link_it_after_their_own_stylesheet(organisation, petition):
    _purple(organisation)

    for path in [petition.get_absolute_url(), "/"]:
        html = Client().get(path).content.decode()

        assert _linked_stylesheets(html) == [
            "/static/chorus/chorus.css",
            f"/brand/{organisation.brand_version}.css",
        ], path
        assert '<meta name="theme-color" content="#5b2a86">' in html


def test_the_workspace_links_it_after_its_own_stylesheet(organisation):
    from tests.staff import staff_client

    _purple(organisation)
    _, client = staff_client("analyst")

    html = client.get("/staff/petitions/").content.decode()

    assert _linked_stylesheets(html)[:2] == [
        "/static/chorus/staff.css",
        f"/brand/{organisation.brand_version}.css",
    ]


def test_without_an_organisation_the_pages_keep_the_built_in_green(db):
    html = Client().get("/").content.decode()

    assert _linked_stylesheets(html) == ["/static/chorus/chorus.css"]
    assert '<meta name="theme-color" content="#0b5d1e">' in html
