"""Only the widget may be framed by other sites; every other page keeps refusing frames."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from chorus.pagecache import kept_pages
from tests.conftest import sign_data

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (p.strip() for p in header.split(";"))
        if part
    }


def _baseline(client, petition) -> dict[str, str]:
    return _policy(client.get(reverse("petitions:detail", args=[petition.slug])))


def _embed_answers(client, petition):
    embed = reverse("petitions:embed", args=[petition.slug])
    kept_pages.clear()
    first = client.get(embed + "?partner=someone")
    from_memory = client.get(embed)
    head = client.head(embed)
    refused = client.post(embed, sign_data(embed_token="bad"))
    signed_token = re.search(r'name="embed_token" value="([^"]+)"', first.content.decode())[1]
    signed = client.post(embed, sign_data(embed_token=signed_token))
    thanks = client.get(reverse("petitions:embed_thanks", args=[petition.slug]))
    return {
        "first": first,
        "from memory": from_memory,
        "head": head,
        "refused": refused,
        "signed": signed,
        "thanks": thanks,
    }


def test_the_widget_may_be_framed_by_any_site_and_nothing_else_in_its_policy_changes(petition):
    client = Client()
    baseline = _baseline(client, petition)

    for name, response in _embed_answers(client, petition).items():
        assert "X-Frame-Options" not in response, name
        policy = _policy(response)
        assert policy["frame-ancestors"] == "*", name
        assert {k: v for k, v in policy.items() if k != "frame-ancestors"} == {
            k: v for k, v in baseline.items() if k != "frame-ancestors"
        }, name


def _sample_paths(petition) -> list[str]:
    slug = petition.slug
    return [
        "/",
        reverse("petitions:detail", args=[slug]),
        reverse("petitions:detail", args=[slug]) + "?partner=x",
        reverse("petitions:thanks", args=[slug]),
        reverse("petitions:signers", args=[slug]),
        reverse("petitions:count", args=[slug]),
        reverse("petitions:confirm", args=["nope"]),
        "/p/no-such-petition/embed/",
        "/your-data/",
        reverse("staff_sign_in"),
        reverse("staff:home"),
        "/no/such/page/",
    ]


def test_every_other_page_refuses_to_be_framed(petition):
    client = Client()
    for path in _sample_paths(petition):
        response = client.get(path)
        assert response["X-Frame-Options"] == "DENY", path
        assert _policy(response)["frame-ancestors"] == "'none'", path


def test_the_sign_post_of_the_full_page_still_refuses_frames(petition):
    response = Client().post(reverse("petitions:sign", args=[petition.slug]), sign_data())

    assert response["X-Frame-Options"] == "DENY"
    assert _policy(response)["frame-ancestors"] == "'none'"


def test_the_full_page_still_needs_its_csrf_token(petition):
    """csrf_exempt is on the widget alone."""
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("petitions:sign", args=[petition.slug]), sign_data())

    assert response.status_code == 403
