"""Hostile input on every public endpoint of mailings: never a 500, nothing stored."""

import pytest
from django.test import Client

from mailings.models import Click, Recipient
from members.models import ConsentRecord, Suppression
from petitions.models import Signature
from tests.mailings.inbound_helpers import (  # noqa: F401 (fixtures)
    mailing_fixture,
    recipient_fixture,
    token_for,
)

pytestmark = pytest.mark.django_db

TOKENS = [
    "x" * 5000,
    "<script>alert(1)</script>".replace("/", ""),
    '=HYPERLINK("https:evil.example")',
    "1.1." + "A" * 22,
    "%00%ff",
    "..",
    "\u202e\u0000",
    "0" * 64,
]
BODIES = [
    ("token=" + "x" * 20000, "application/x-www-form-urlencoded"),
    ("token=%ZZ&petition=%", "application/x-www-form-urlencoded"),
    ("token=<script>&petition=<script>", "application/x-www-form-urlencoded"),
    (
        "token=a&token=b&petition=stop-face-scraping&petition=x",
        "application/x-www-form-urlencoded",
    ),
    ("\x00\x01\x02", "application/x-www-form-urlencoded"),
    ('{"token": "x"}', "application/json"),
    (
        "--b\r\nContent-Disposition: form-data; name=token\r\n\r\nx\r\n--b--",
        "multipart/form-data; boundary=b",
    ),
    ("token=x", "application/x-www-form-urlencoded; charset=latin-1"),
]


def _nothing_stored():
    assert not Signature.objects.exists()
    assert not Suppression.objects.exists()
    assert not ConsentRecord.objects.filter(action="withdrawn").exists()
    assert not Click.objects.exists()


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True, raise_request_exception=False)


@pytest.mark.parametrize("token", TOKENS)
def test_hostile_tokens_in_urls(recipient, client, token):
    from urllib.parse import quote

    quoted = quote(token, safe="")
    for url in [f"/m/u/{quoted}/", f"/m/c/{quoted}/0/", f"/m/c/{quoted}/99/", f"/m/o/{quoted}/"]:
        for method in ("get", "head", "post"):
            response = getattr(client, method)(url)
            assert response.status_code < 500, (method, url)
            assert b"<script>alert" not in response.content
    _nothing_stored()
    assert Recipient.objects.get(pk=recipient.pk).clicks == 0


@pytest.mark.parametrize("body, content_type", BODIES)
def test_hostile_bodies_on_every_post_endpoint(recipient, client, body, content_type):
    for url in ["/m/recognise/", "/m/sign/", "/m/u/", f"/m/u/{'x' * 40}/"]:
        response = client.generic("POST", url, body, content_type=content_type)
        assert response.status_code < 500, (url, body[:30])
        assert b"<script>" not in response.content
    _nothing_stored()


def test_wrong_methods_are_refused_cleanly(recipient, client):
    assert client.get("/m/recognise/").status_code == 405
    assert client.get("/m/sign/").status_code == 405
    assert client.put("/m/u/x/").status_code == 405
    assert client.delete("/m/c/x/0/").status_code in (403, 405)  # CSRF answers first
