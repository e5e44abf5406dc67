"""chorus.pagecache.KeptPagesDoor: kept pages answered before Django, and only those."""

import gzip
import io
import sys

import pytest
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import translation

from chorus.pagecache import KeptPagesDoor, accepted_hosts, kept_pages
from petitions import pages
from tests.factories import PetitionFactory

pytestmark = pytest.mark.django_db


class CountingApp:
    """Django behind the door, counting how many requests reach it."""

    def __init__(self):
        self.django = get_wsgi_application()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        # As Django's test client does: the test's transaction holds the connection,
        # which the end-of-request hook would otherwise close.
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return self.django(environ, start_response)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


def call(app, path, method="GET", host="127.0.0.1", query="", **headers):
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": host,
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **{f"HTTP_{name.upper()}": value for name, value in headers.items()},
    }
    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer["status"] = status
        answer["headers"] = dict(response_headers)

    answer["body"] = b"".join(app(environ, start_response))
    return answer


@pytest.fixture
def door():
    accepted_hosts.clear()
    inner = CountingApp()
    return KeptPagesDoor(inner), inner


def test_a_kept_page_is_answered_at_the_door_with_what_django_answered(petition, door):
    app, django = door
    first = call(app, f"/p/{petition.slug}/")

    again = call(app, f"/p/{petition.slug}/", query="utm_source=newsletter&ch=x")

    assert django.calls == 1
    assert again["status"] == "200 OK"
    assert again["body"] == first["body"]
    for name in ("ETag", "Content-Type", "Content-Security-Policy", "Cache-Control"):
        assert again["headers"][name] == first["headers"][name]
    assert int(again["headers"]["Content-Length"]) == len(first["body"])
    assert "Set-Cookie" not in again["headers"]


def test_the_door_answers_conditional_gets_with_304_and_head_without_a_body(petition, door):
    app, django = door
    etag = call(app, f"/p/{petition.slug}/")["headers"]["ETag"]

    not_modified = call(app, f"/p/{petition.slug}/", if_none_match=etag)
    head = call(app, f"/p/{petition.slug}/", method="HEAD")

    assert django.calls == 1
    assert not_modified["status"].startswith("304") and not_modified["body"] == b""
    assert head["status"] == "200 OK" and head["body"] == b""


def test_a_host_django_never_accepted_goes_to_django_and_is_refused(petition, door):
    app, django = door
    call(app, f"/p/{petition.slug}/")

    hostile = call(app, f"/p/{petition.slug}/", host="attacker.invalid")

    assert django.calls == 2
    assert hostile["status"].startswith("400")


def test_posts_and_pages_not_kept_go_to_django(petition, door):
    app, django = door
    call(app, f"/p/{petition.slug}/")

    call(app, f"/p/{petition.slug}/me.json")
    call(app, f"/p/{petition.slug}/sign/", method="POST")

    assert django.calls == 3


def test_once_the_kept_copy_expires_django_renders_it_again(petition, door):
    app, django = door
    call(app, f"/p/{petition.slug}/")

    kept_pages.clear()  # as when its seconds run out
    call(app, f"/p/{petition.slug}/")

    assert django.calls == 2


def test_the_door_serves_the_encoding_the_client_accepts_as_django_would(petition, door):
    app, django = door
    plain = call(app, f"/p/{petition.slug}/")

    zipped = call(app, f"/p/{petition.slug}/", accept_encoding="gzip")
    head = call(app, f"/p/{petition.slug}/", method="HEAD", accept_encoding="gzip")
    not_modified = call(
        app,
        f"/p/{petition.slug}/",
        accept_encoding="gzip",
        if_none_match=zipped["headers"]["ETag"],
    )

    assert django.calls == 1
    assert zipped["headers"]["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped["body"]) == plain["body"]
    assert head["body"] == b"" and head["headers"] == zipped["headers"]
    assert not_modified["status"].startswith("304")


def test_the_door_keys_by_the_urls_language(petition, door, settings):
    settings.LANGUAGES = [("en", "English"), ("fr", "Français")]
    app, django = door
    try:
        call(app, f"/p/{petition.slug}/")
        call(app, f"/fr/p/{petition.slug}/")

        french = call(app, f"/fr/p/{petition.slug}/", accept_language="en")
        english = call(app, f"/p/{petition.slug}/", accept_language="xx, *")
        chose_english = call(app, f"/p/{petition.slug}/", cookie="django_language=en")
        assert django.calls == 2
        first_french_visit = call(app, f"/p/{petition.slug}/", accept_language="fr-BE, en;q=0.5")
        by_cookie = call(app, f"/p/{petition.slug}/", cookie="django_language=fr")
    finally:
        translation.deactivate()

    assert django.calls == 4  # the two first visits to be sent to French reach Django
    assert french["headers"]["Content-Language"] == "fr"
    assert english["headers"]["Content-Language"] == "en"
    assert chose_english["headers"]["Content-Language"] == "en"
    assert first_french_visit["status"].startswith("302")
    assert first_french_visit["headers"]["Location"] == f"/fr/p/{petition.slug}/"
    assert by_cookie["headers"]["Location"] == f"/fr/p/{petition.slug}/"


# 100,000 distinct URLs: the kinds a crawler, a mail scanner or an attacker would send.
# Most are query strings (cheap to answer); thousands are distinct paths that reach a
# view, which is where the old cache kept a lock per path.
CONFIRMATION_LINKS = 2_000
UNKNOWN_PETITIONS = 2_000
UNKNOWN_VISITOR_STATES = 2_000
UNKNOWN_PATHS = 1_000
PETITIONS = 40
DISTINCT_URLS = 100_000
MAX_KEPT = 50


def _distinct_urls(slugs: list[str]):
    for n in range(CONFIRMATION_LINKS):
        yield f"/c/{n:040x}/", ""
    for n in range(UNKNOWN_PETITIONS):
        yield f"/p/no-such-petition-{n}/", ""
    for n in range(UNKNOWN_VISITOR_STATES):
        yield f"/p/no-such-petition-{n}/me.json", ""
    for n in range(UNKNOWN_PATHS):
        yield f"/nothing-here-{n}/", ""
    for slug in slugs:
        yield f"/p/{slug}/", ""
        yield f"/p/{slug}/count.json", ""
    left = DISTINCT_URLS - CONFIRMATION_LINKS - UNKNOWN_PETITIONS - UNKNOWN_VISITOR_STATES
    left -= UNKNOWN_PATHS + 2 * len(slugs)
    for n in range(left):
        yield f"/p/{slugs[0]}/", f"utm_source=mail&n={n}"


def test_a_hundred_thousand_distinct_urls_keep_memory_within_its_bounds(
    organisation, door, monkeypatch, settings
):
    settings.PUBLIC_JSON_PER_MINUTE = 10**9  # one client asks every URL: the cache is tested
    monkeypatch.setattr(kept_pages, "max_entries", MAX_KEPT)
    slugs = [PetitionFactory(organisation=organisation).slug for _ in range(PETITIONS)]
    app, _ = door

    statuses = {}
    most_kept = 0
    for path, query in _distinct_urls(slugs):
        status = call(app, path, query=query)["status"][:3]
        statuses[status] = statuses.get(status, 0) + 1
        most_kept = max(most_kept, len(kept_pages))

    assert sum(statuses.values()) == DISTINCT_URLS
    assert set(statuses) == {"200", "404", "410"}
    assert most_kept <= MAX_KEPT
    assert kept_pages.refreshing == 0
    assert len(pages.petition_cache) <= pages.petition_cache.max_entries
    assert pages.petition_cache.refreshing == 0
