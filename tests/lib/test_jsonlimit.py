"""Public JSON endpoints are limited per client network: a 429 with Retry-After past it."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import REQUEST_META

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit(settings):
    settings.PUBLIC_JSON_PER_MINUTE = 3
    settings.COUNT_CACHE_SECONDS = 0  # every answer from the view, none kept


def _get(url, address="203.0.113.7"):
    return Client(REMOTE_ADDR=address).get(url)


@pytest.mark.parametrize("name", ["petitions:count", "petitions:visitor"])
def test_a_network_over_the_limit_gets_a_429_with_retry_after(petition, limit, name):
    url = reverse(name, args=[petition.slug])

    answers = [_get(url, f"203.0.113.{n}") for n in range(1, 6)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert json.loads(refused.content) == {
        "error": "too many requests",
        "retry_after": int(refused["Retry-After"]),
    }
    assert "no-store" in refused["Cache-Control"]


def test_another_network_is_not_held_back(petition, limit):
    url = reverse("petitions:count", args=[petition.slug])
    for _ in range(4):
        _get(url, "203.0.113.7")

    assert _get(url, "198.51.100.7").status_code == 200


def test_ipv6_clients_are_counted_by_their_48(petition, limit):
    url = reverse("petitions:count", args=[petition.slug])

    answers = [_get(url, f"2001:db8:1:{n}::1") for n in range(4)]

    assert answers[-1].status_code == 429
    assert _get(url, "2001:db8:2::1").status_code == 200


def test_the_recognise_endpoint_is_limited_too(petition, limit):
    client = Client(**REQUEST_META)
    url = reverse("mailings:recognise")

    answers = [client.post(url, {"token": "x", "petition": petition.slug}) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]


def test_a_kept_count_is_served_without_counting(petition, settings):
    settings.PUBLIC_JSON_PER_MINUTE = 1
    settings.COUNT_CACHE_SECONDS = 60
    url = reverse("petitions:count", args=[petition.slug])

    assert [_get(url).status_code for _ in range(5)] == [200] * 5


def test_the_limit_fails_open_without_a_cache(petition, limit, monkeypatch):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", down)
    monkeypatch.setattr(cache, "add", down)
    url = reverse("petitions:count", args=[petition.slug])

    assert [_get(url).status_code for _ in range(5)] == [200] * 5


def test_every_public_json_endpoint_is_limited():
    """A JSON endpoint added later outside the workspace must take the limit too."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                yield route, entry.callback

    public_json = [
        route
        for route, view in walk(get_resolver().url_patterns)
        if not route.startswith(("staff/", "admin/", "anymail/"))
        and (route.endswith(".json") or "json" in view.__name__)
    ]
    unlimited = [
        route
        for route, view in walk(get_resolver().url_patterns)
        if route in public_json and not getattr(view, "json_rate_limited", False)
    ]

    assert len(public_json) >= 3
    assert unlimited == []
