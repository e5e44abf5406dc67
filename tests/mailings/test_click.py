"""Click links: counted, then on to where the mailing pointed, and never anywhere else."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from mailings import tokens
from mailings.models import Click, Mailing, Recipient
from tests.mailings.inbound_helpers import (  # noqa: F401 (fixtures)
    mailing_fixture,
    recipient_fixture,
    token_for,
)

pytestmark = pytest.mark.django_db


def click_url(token: str, link: int) -> str:
    return reverse("mailings:click", args=[token, link])


@pytest.fixture
def client():
    return Client()


def test_the_petition_link_leads_to_the_page_tagged_and_recognising(recipient, client):
    response = client.get(click_url(token_for(recipient, tokens.CLICK), 0))
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}" == "https://act.openfaces.example"
    assert target.path == "/p/stop-face-scraping/"
    assert parse_qs(target.query) == {"ch": ["mailing"]}
    kind, token = target.fragment.split("=", 1)
    assert kind == "mt"
    assert tokens.recipient_id_from_token(token, tokens.RECOGNISE) == recipient.pk
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_another_link_leads_exactly_where_the_mailing_pointed(recipient, client):
    response = client.get(click_url(token_for(recipient, tokens.CLICK), 1))
    assert response.status_code == 302
    assert response["Location"] == "https://news.example.org/story?id=1"


def test_clicks_are_counted_and_the_first_is_kept(recipient, client):
    token = token_for(recipient, tokens.CLICK)
    client.get(click_url(token, 1))
    recipient.refresh_from_db()
    first = recipient.first_clicked_at
    assert first is not None and recipient.clicks == 1
    client.get(click_url(token, 0))
    client.get(click_url(token, 1))
    recipient.refresh_from_db()
    assert recipient.clicks == 3
    assert recipient.first_clicked_at == first
    assert sorted(Click.objects.filter(recipient=recipient).values_list("link", flat=True)) == [
        0,
        1,
        1,
    ]


def test_a_head_request_leads_on_but_counts_nothing(recipient, client):
    response = client.head(click_url(token_for(recipient, tokens.CLICK), 1))
    assert response.status_code == 302
    assert Recipient.objects.get(pk=recipient.pk).clicks == 0


def test_an_index_past_the_links_is_a_404(recipient, client):
    response = client.get(click_url(token_for(recipient, tokens.CLICK), 2))
    assert response.status_code == 404
    assert "Location" not in response
    assert not Click.objects.exists()


def test_a_bad_token_is_a_404_and_counts_nothing(recipient, client):
    genuine = token_for(recipient, tokens.CLICK)
    for bad in [
        genuine[:-2] + "AA",
        token_for(recipient, tokens.UNSUBSCRIBE),
        tokens.recipient_token(recipient.pk + 99, tokens.CLICK),
        "x" * 500,
        "<script>alert(1)<script>",
        "https:%2F%2Fevil.example",
    ]:
        response = client.get(click_url(bad, 1))
        assert response.status_code == 404, bad
        assert "Location" not in response
        assert b"<script>alert" not in response.content
    assert Recipient.objects.get(pk=recipient.pk).clicks == 0


def test_no_open_redirect_from_anything_in_the_request(recipient, client):
    token = token_for(recipient, tokens.CLICK)
    response = client.get(
        click_url(token, 1) + "?next=https://evil.example/&url=//evil.example",
        HTTP_REFERER="https://evil.example/",
    )
    assert response["Location"] == "https://news.example.org/story?id=1"
    assert client.get(f"/m/c/{token}/-1/").status_code == 404
    assert client.get(f"/m/c/{token}/99999999999999999999/").status_code == 404


def test_a_link_that_is_not_a_web_address_is_never_followed(recipient, client):
    Mailing.objects.filter(pk=recipient.mailing_id).update(
        links=["https://x.example/", "javascript:alert(1)", "//evil.example"]
    )
    token = token_for(recipient, tokens.CLICK)
    assert client.get(click_url(token, 1)).status_code == 404
    assert client.get(click_url(token, 2)).status_code == 404


def test_without_a_petition_link_zero_is_the_first_link(recipient, client):
    Mailing.objects.filter(pk=recipient.mailing_id).update(
        petition=None, links=["https://news.example.org/a"]
    )
    response = client.get(click_url(token_for(recipient, tokens.CLICK), 0))
    assert response["Location"] == "https://news.example.org/a"


def test_the_petition_link_works_even_before_links_were_fixed(recipient, client):
    Mailing.objects.filter(pk=recipient.mailing_id).update(links=[])
    response = client.get(click_url(token_for(recipient, tokens.CLICK), 0))
    assert response.status_code == 302
    assert "/p/stop-face-scraping/?ch=mailing#mt=" in response["Location"]


def test_open_tracking_is_off_by_default_and_counts_only_a_number(recipient, client, settings):
    from mailings.tracking import open_pixel_url

    url = open_pixel_url(recipient.mailing_id).removeprefix("https://act.openfaces.example")
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert Mailing.objects.get(pk=recipient.mailing_id).opens == 0
    settings.MAILING_OPEN_TRACKING = True
    client.get(url)
    client.get(url)
    client.get(url.replace(str(recipient.mailing_id) + ":", "999:"))  # forged: not counted
    assert Mailing.objects.get(pk=recipient.mailing_id).opens == 2
    assert Recipient.objects.get(pk=recipient.pk).clicks == 0  # nobody's open is recorded


def test_the_mailing_carries_the_open_pixel_only_when_tracking_is_on(recipient, settings):
    from mailings.models import Mailing as MailingModel
    from mailings.render import mailing_compile

    mailing = MailingModel.objects.select_related("organisation", "petition").get(
        pk=recipient.mailing_id
    )
    html = mailing_compile(mailing).personalise(recipient.member, recipient.pk).html
    assert "/m/o/" not in html
    settings.MAILING_OPEN_TRACKING = True
    html = mailing_compile(mailing).personalise(recipient.member, recipient.pk).html
    assert f"/m/o/{recipient.mailing_id}:" in html
    assert token_for(recipient, tokens.CLICK) in html  # the click links are still per member
