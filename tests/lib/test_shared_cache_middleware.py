"""lib.middleware.SharedCacheMiddleware: what a CDN may cache carries nothing per visitor."""

import pytest
from django.test import Client

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

    assert not_modified.status_code == 304
    assert head.status_code == 200 and head.content == b""


def test_it_keeps_nothing_per_visitor_or_unsuccessful(petition):
    from lib.middleware import kept_responses

    Client().get("/p/no-such-petition/")
    Client().get(f"/p/{petition.slug}/me.json")

    kept_paths = {path for path, _ in kept_responses._entries}
    assert "/p/no-such-petition/" not in kept_paths
    assert f"/p/{petition.slug}/me.json" not in kept_paths
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
