"""chorus.pagecache: only pages for everyone are kept, answered right, and memory stays bounded."""

import gzip
import threading

import brotli
import pytest
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path
from django.utils import translation

from chorus.pagecache import kept_pages
from chorus.urls import urlpatterns as chorus_urlpatterns
from tests.concurrency import THREAD_TIMEOUT, run_concurrently

pytestmark = pytest.mark.django_db


def test_the_count_answers_a_stale_cookie_without_setting_one(petition):
    response = Client(HTTP_COOKIE="csrftoken=abc; sessionid=x" + "y" * 31).get(
        f"/p/{petition.slug}/count.json"
    )

    assert response.status_code == 200
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_pages_for_one_visitor_still_set_their_cookies(petition):
    response = Client().get(f"/p/{petition.slug}/me.json")

    assert "csrftoken" in response.cookies


def test_a_second_visitor_is_served_from_memory_without_touching_the_database(
    petition, django_assert_num_queries
):
    first = Client().get(f"/p/{petition.slug}/")

    with django_assert_num_queries(0):
        second = Client().get(f"/p/{petition.slug}/?utm_source=newsletter&ch=x")

    assert second.status_code == 200
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert not second.cookies


def test_a_kept_page_answers_a_conditional_get_with_304_and_head_without_a_body(petition):
    etag = Client().get(f"/p/{petition.slug}/")["ETag"]

    not_modified = Client().get(f"/p/{petition.slug}/", HTTP_IF_NONE_MATCH=etag)
    head = Client().head(f"/p/{petition.slug}/")

    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified["ETag"] == etag
    assert head.status_code == 200 and head.content == b""


def test_the_first_render_answers_a_conditional_get_too(petition):
    etag = Client().get(f"/p/{petition.slug}/")["ETag"]
    kept_pages.clear()  # as in another process, or once the copy expired

    not_modified = Client().get(f"/p/{petition.slug}/", HTTP_IF_NONE_MATCH=f'W/{etag}, "other"')

    assert not_modified.status_code == 304


def test_the_count_gets_an_etag_and_304_from_the_cache_like_the_page(petition):
    etag = Client().get(f"/p/{petition.slug}/count.json")["ETag"]

    assert (
        Client().get(f"/p/{petition.slug}/count.json", HTTP_IF_NONE_MATCH=etag).status_code == 304
    )


def test_it_keeps_nothing_per_visitor_or_unsuccessful(petition):
    Client().get("/p/no-such-petition/")
    Client().get(f"/p/{petition.slug}/me.json")
    Client().get(f"/p/{petition.slug}/")

    kept_paths = {path for path, _ in kept_pages._entries}
    assert kept_paths == {f"/p/{petition.slug}/"}
    assert "csrftoken" in Client().get(f"/p/{petition.slug}/me.json").cookies


def test_it_checks_allowed_hosts_even_for_kept_pages(petition):
    Client().get(f"/p/{petition.slug}/")

    response = Client(HTTP_HOST="attacker.example").get(f"/p/{petition.slug}/")

    assert response.status_code == 400


def test_a_kept_page_goes_on_being_served_while_the_database_is_down(petition, monkeypatch):
    from django.db import OperationalError

    clock = [1000.0]
    monkeypatch.setattr("lib.localcache.time.monotonic", lambda: clock[0])
    kept = Client().get(f"/p/{petition.slug}/")

    def database_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("petitions.pages._load_public_petition", database_down)
    clock[0] += 60  # long expired
    during = Client().get(f"/p/{petition.slug}/")
    never_kept = Client().get(f"/p/{petition.slug}/count.json")

    assert during.status_code == 200
    assert during.content == kept.content
    assert never_kept.status_code == 503  # nothing kept to fall back on: please try again


def test_a_page_that_stops_being_public_is_no_longer_kept(petition, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("lib.localcache.time.monotonic", lambda: clock[0])
    Client().get(f"/p/{petition.slug}/")
    petition.delete()
    clock[0] += 60

    assert Client().get(f"/p/{petition.slug}/").status_code == 404
    assert len(kept_pages) == 0


# Compression: once, when kept.


def test_a_kept_page_is_served_gzipped_to_clients_that_accept_it_and_plain_to_others(petition):
    plain = Client().get(f"/p/{petition.slug}/")
    zipped = Client().get(f"/p/{petition.slug}/", HTTP_ACCEPT_ENCODING="gzip, deflate")
    refused = Client().get(f"/p/{petition.slug}/", HTTP_ACCEPT_ENCODING="gzip;q=0, deflate")

    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert int(zipped["Content-Length"]) == len(zipped.content) < len(plain.content) / 3
    assert "Content-Encoding" not in plain and "Content-Encoding" not in refused
    assert refused.content == plain.content
    assert "Accept-Encoding" in plain["Vary"] and "Accept-Encoding" in zipped["Vary"]


def test_brotli_is_preferred_when_the_client_accepts_it(petition):
    plain = Client().get(f"/p/{petition.slug}/")
    compressed = Client().get(f"/p/{petition.slug}/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert compressed["Content-Encoding"] == "br"
    assert brotli.decompress(compressed.content) == plain.content


def test_each_encoding_has_its_own_etag_and_304(petition):
    plain = Client().get(f"/p/{petition.slug}/")
    zipped = Client().get(f"/p/{petition.slug}/", HTTP_ACCEPT_ENCODING="gzip")

    zipped_again = Client().get(
        f"/p/{petition.slug}/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=zipped["ETag"]
    )
    plain_with_the_gzip_tag = Client().get(
        f"/p/{petition.slug}/", HTTP_IF_NONE_MATCH=zipped["ETag"]
    )

    assert plain["ETag"] != zipped["ETag"]
    assert zipped_again.status_code == 304 and zipped_again["ETag"] == zipped["ETag"]
    assert plain_with_the_gzip_tag.status_code == 200
    assert plain_with_the_gzip_tag.content == plain.content


def test_head_answers_the_headers_of_the_encoding_a_get_would_get(petition):
    zipped = Client().get(f"/p/{petition.slug}/", HTTP_ACCEPT_ENCODING="gzip")

    head = Client().head(f"/p/{petition.slug}/", HTTP_ACCEPT_ENCODING="gzip")

    assert head.status_code == 200 and head.content == b""
    assert head["Content-Encoding"] == "gzip"
    assert head["Content-Length"] == zipped["Content-Length"]
    assert head["ETag"] == zipped["ETag"]


def test_a_tiny_answer_is_not_compressed(petition):
    count = Client().get(f"/p/{petition.slug}/count.json", HTTP_ACCEPT_ENCODING="gzip, br")

    assert "Content-Encoding" not in count
    assert count.json()["count"] == 0
    assert "Accept-Encoding" not in count.get("Vary", "")


# The language in the key.

TWO_LANGUAGES = [("en", "English"), ("fr", "Français")]


@pytest.fixture
def two_languages(settings):
    settings.LANGUAGES = TWO_LANGUAGES
    yield
    translation.deactivate()


def test_each_language_url_is_kept_and_served_apart(
    petition, two_languages, django_assert_num_queries
):
    english = Client().get(f"/p/{petition.slug}/", HTTP_ACCEPT_LANGUAGE="en-GB")
    french = Client().get(f"/fr/p/{petition.slug}/", HTTP_ACCEPT_LANGUAGE="en-GB")

    with django_assert_num_queries(0):
        english_again = Client().get(f"/p/{petition.slug}/")
        french_again = Client().get(f"/fr/p/{petition.slug}/", HTTP_ACCEPT_LANGUAGE="de")

    assert (french["Content-Language"], english["Content-Language"]) == ("fr", "en")
    assert (french_again["Content-Language"], english_again["Content-Language"]) == ("fr", "en")
    assert french_again.content == french.content != english.content
    # Only the English address may send a browser elsewhere, so only it varies.
    assert "Accept-Language" in english["Vary"]
    assert "Accept-Language" not in french.get("Vary", "")
    assert set(kept_pages._entries) == {
        (f"/p/{petition.slug}/", "en"),
        (f"/fr/p/{petition.slug}/", "fr"),
    }


def test_a_first_visit_from_a_french_browser_goes_to_the_french_page(petition, two_languages):
    response = Client().get(
        f"/p/{petition.slug}/?ch=x", HTTP_ACCEPT_LANGUAGE="fr-FR, fr;q=0.9, en;q=0.5"
    )

    assert response.status_code == 302
    assert response["Location"] == f"/fr/p/{petition.slug}/?ch=x"
    assert "Accept-Language" in response["Vary"] and "Cookie" in response["Vary"]
    assert "private" in response["Cache-Control"]
    assert not response.cookies
    # The English page behind the redirect is kept, under English only.
    assert set(kept_pages._entries) == {(f"/p/{petition.slug}/", "en")}


def test_no_french_copy_is_ever_served_at_the_english_address(petition, two_languages):
    Client().get(f"/fr/p/{petition.slug}/")
    Client().get(f"/p/{petition.slug}/", HTTP_ACCEPT_LANGUAGE="fr")
    english = Client().get(f"/p/{petition.slug}/", HTTP_ACCEPT_LANGUAGE="en")
    again_french = Client().get(f"/p/{petition.slug}/", HTTP_ACCEPT_LANGUAGE="fr")

    assert english["Content-Language"] == "en"
    assert b'<html lang="en">' in english.content
    assert again_french.status_code == 302
    assert (f"/p/{petition.slug}/", "fr") not in kept_pages._entries


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_REFERER": "http://testserver/fr/p/anything/"},  # chose English in the switcher
        {"HTTP_COOKIE": "django_language=en"},  # chose it before
    ],
)
def test_a_french_browser_that_chose_english_stays_on_it(petition, two_languages, headers):
    response = Client().get(f"/p/{petition.slug}/", HTTP_ACCEPT_LANGUAGE="fr", **headers)

    assert response.status_code == 200
    assert response["Content-Language"] == "en"


def test_a_link_from_another_site_still_goes_to_the_browsers_language(petition, two_languages):
    response = Client().get(
        f"/p/{petition.slug}/",
        HTTP_ACCEPT_LANGUAGE="fr",
        HTTP_REFERER="https://news.example.org/story",
    )

    assert response.status_code == 302


def test_the_language_cookie_sends_a_visit_to_its_language(petition, two_languages):
    response = Client().get(f"/p/{petition.slug}/", HTTP_COOKIE="django_language=fr")

    assert response["Location"] == f"/fr/p/{petition.slug}/"


def test_count_json_is_never_sent_elsewhere(petition, two_languages):
    response = Client().get(f"/p/{petition.slug}/count.json", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 200
    assert response.json()["count"] == 0


@override_settings(ROOT_URLCONF=__name__)
def test_a_page_is_rendered_in_the_language_it_is_kept_under(two_languages):
    french = Client().get("/language/", HTTP_ACCEPT_LANGUAGE="fr")
    english = Client().get("/language/", HTTP_ACCEPT_LANGUAGE="en")
    french_again = Client().get("/language/", HTTP_ACCEPT_LANGUAGE="fr-CA")

    assert (french.content, english.content, french_again.content) == (b"fr", b"en", b"fr")
    assert {
        key: page.encodings["identity"].body for key, (_, page) in kept_pages._entries.items()
    } == {
        ("/language/", "fr"): b"fr",
        ("/language/", "en"): b"en",
    }


def test_a_language_nobody_configured_makes_no_new_entry(petition, two_languages):
    Client().get(f"/fr/p/{petition.slug}/")
    for junk in ("xx-YY", "de, it;q=0.5", "*", "a" * 300, "en;q=garbage"):
        answer = Client().get(f"/p/{petition.slug}/", HTTP_ACCEPT_LANGUAGE=junk)
        assert answer["Content-Language"] == "en"
    for address in ("/de/p/{}/", "/xx/p/{}/", "/FR/p/{}/"):
        assert Client().get(address.format(petition.slug)).status_code == 404

    assert len(kept_pages) == 2


def test_with_one_language_the_page_does_not_vary_by_accept_language(petition, settings):
    # An installation with one language needs no LocaleMiddleware (which always varies).
    settings.LANGUAGES = [("en", "English")]
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("LocaleMiddleware")]
    response = Client().get(f"/p/{petition.slug}/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response["Content-Language"] == "en"
    assert "Accept-Language" not in response["Vary"]


# Pages not for sharing never wait for one another.

slow_view_inside = threading.Barrier(2, timeout=THREAD_TIMEOUT)


def slow_view(request):
    """Returns only once two requests are inside it at the same moment."""
    slow_view_inside.wait()
    return HttpResponse("done")


def language_view(request):
    """For everyone who reads the same language: says which one it was rendered in."""
    response = HttpResponse(translation.get_language())
    response.shared_cache = 60
    return response


urlpatterns = [path("slow/", slow_view), path("language/", language_view), *chorus_urlpatterns]


@override_settings(ROOT_URLCONF=__name__)
def test_gets_for_one_path_not_for_sharing_run_at_the_same_time():
    slow_view_inside.reset()

    answers = run_concurrently(lambda: Client().get("/slow/"), lambda: Client().get("/slow/"))

    assert [answer.status_code for answer in answers] == [200, 200]
    assert kept_pages.refreshing == 0
