"""The language switcher in the staff header: Django's set_language and its cookie.

The choice lives in the language cookie only (no per-user setting). The public pages
stay one kept copy per page and language: the cookie picks the language like
Accept-Language does, and never makes a page uncacheable or per visitor.
"""

import html

import pytest
from django.conf import settings
from django.test import Client

from tests.staff import PERSONAS, staff_client

pytestmark = pytest.mark.django_db

SET_LANGUAGE = "/i18n/setlang/"
COOKIE = settings.LANGUAGE_COOKIE_NAME


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_role_sees_the_switcher_with_the_four_languages(petition, persona):
    _, client = staff_client(persona)

    page = client.get("/staff/", follow=True).content.decode()

    assert 'action="/i18n/setlang/"' in page
    for code, name in settings.LANGUAGES:
        assert f'<option value="{code}" lang="{code}"' in page
        assert name in page
    assert '<option value="en" lang="en" selected>' in page


def test_choosing_a_language_sets_the_cookie_and_comes_back_to_the_same_page(petition):
    _, client = staff_client("campaigner")

    response = client.post(SET_LANGUAGE, {"language": "es", "next": "/staff/members/"})

    assert response.status_code == 302
    assert response["Location"] == "/staff/members/"
    assert response.cookies[COOKIE].value == "es"
    page = html.unescape(client.get("/staff/members/").content.decode())
    assert '<html lang="es">' in page
    assert "Miembros" in page
    assert '<option value="es" lang="es" selected>' in page


def test_the_choice_outlives_signing_out_and_in_again(petition):
    _, client = staff_client("analyst")
    client.post(SET_LANGUAGE, {"language": "de", "next": "/staff/"})

    client.post("/staff/logout/")
    page = client.get("/staff/login/").content.decode()

    assert '<html lang="de">' in page
    assert "Anmelden" in page


@pytest.mark.parametrize(
    "data",
    [
        {"language": "xx", "next": "/staff/"},
        {"language": "", "next": "/staff/"},
        {"language": "fr" * 500, "next": "/staff/"},
        {"language": "de\r\nSet-Cookie: x=1", "next": "/staff/"},
    ],
)
def test_a_language_that_is_not_offered_changes_nothing(petition, data):
    _, client = staff_client("owner")

    response = client.post(SET_LANGUAGE, data)

    assert response.status_code == 302
    assert COOKIE not in response.cookies
    assert '<html lang="en">' in client.get("/staff/petitions/").content.decode()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_it_never_sends_anyone_to_another_site(petition, next_url):
    _, client = staff_client("owner")

    response = client.post(SET_LANGUAGE, {"language": "fr", "next": next_url})

    assert response.status_code == 302
    assert "evil" not in response["Location"] and "javascript" not in response["Location"]


def test_the_language_cookie_does_not_make_public_pages_per_visitor(
    petition, django_assert_num_queries
):
    # A public page's language is in its address; the cookie only picks the address.
    url = f"/fr/p/{petition.slug}/"
    first = Client(HTTP_COOKIE=f"{COOKIE}=fr").get(url)

    with django_assert_num_queries(0):
        second = Client(HTTP_COOKIE=f"{COOKIE}=fr").get(url)

    assert second.status_code == 200
    assert second.content == first.content
    assert second["Content-Language"] == "fr"
    assert not second.cookies
    assert "Cookie" not in second.get("Vary", "")


def test_each_language_keeps_its_own_copy_of_a_public_page(petition):
    url = f"/p/{petition.slug}/"

    english = Client().get(url)
    french = Client(HTTP_COOKIE=f"{COOKIE}=fr").get(f"/fr{url}")
    english_again = Client(HTTP_COOKIE=f"{COOKIE}=en").get(url)

    assert english["Content-Language"] == english_again["Content-Language"] == "en"
    assert french["Content-Language"] == "fr"
    assert english_again.content == english.content


def test_each_language_is_named_in_itself_whatever_the_page_language(petition):
    _, client = staff_client("owner")
    client.cookies[COOKIE] = "de"

    page = client.get("/staff/petitions/").content.decode()

    assert '<option value="en" lang="en">English</option>' in page
    assert '<option value="fr" lang="fr">Français</option>' in page
    assert '<option value="de" lang="de" selected>Deutsch</option>' in page
    assert "Englisch" not in page
