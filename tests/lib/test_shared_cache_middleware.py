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
