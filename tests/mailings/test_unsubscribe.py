"""One-click unsubscribe (RFC 8058): a page with one button, and a POST that needs nothing else."""

import pytest
from django.test import Client
from django.urls import reverse

from mailings import tokens
from mailings.models import Recipient
from members.models import ConsentRecord, Member, Suppression
from tests.mailings.inbound_helpers import (  # noqa: F401 (fixtures)
    mailing_fixture,
    recipient_fixture,
    token_for,
)

pytestmark = pytest.mark.django_db

ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = "application/x-www-form-urlencoded"


def url(token: str) -> str:
    return reverse("mailings:unsubscribe", args=[token])


def one_click(client: Client, token: str):
    """What Gmail's or Yahoo's servers send: the exact body, no cookie, no CSRF token."""
    return client.generic("POST", url(token), ONE_CLICK, content_type=FORM)


@pytest.fixture
def strict_client():
    return Client(enforce_csrf_checks=True)


def test_the_link_shows_a_page_with_one_button_and_changes_nothing(recipient, strict_client):
    response = strict_client.get(url(token_for(recipient, tokens.UNSUBSCRIBE)))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop these emails?" in html
    assert html.count("<button") == 1
    assert 'method="post"' in html
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is None
    assert Member.objects.get(pk=recipient.member_id).status == Member.Status.SUBSCRIBED


def test_the_one_click_post_unsubscribes_at_once_without_a_csrf_token(recipient, strict_client):
    response = one_click(strict_client, token_for(recipient, tokens.UNSUBSCRIBE))
    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is not None
    member = Member.objects.get(pk=recipient.member_id)
    assert member.status == Member.Status.UNSUBSCRIBED
    assert Suppression.objects.get(email_key=member.email_key).reason == "unsubscribed"
    withdrawal = ConsentRecord.objects.get(member=member, action="withdrawn")
    assert withdrawal.source_kind == ConsentRecord.SourceKind.MAILING
    assert withdrawal.source == f"Mailing “June appeal” (#{recipient.mailing_id})"
    assert "one-click" in withdrawal.reason


def test_the_one_click_post_as_multipart_form_data_unsubscribes_too(recipient, strict_client):
    """RFC 8058 says the provider SHOULD post multipart/form-data (and MAY post URL-encoded)."""
    body = (
        "--AaB03x\r\n"
        'Content-Disposition: form-data; name="List-Unsubscribe"\r\n'
        "\r\n"
        "One-Click\r\n"
        "--AaB03x--\r\n"
    )
    response = strict_client.generic(
        "POST",
        url(token_for(recipient, tokens.UNSUBSCRIBE)),
        body,
        content_type="multipart/form-data; boundary=AaB03x",
    )
    assert response.status_code == 200
    assert Member.objects.get(pk=recipient.member_id).status == Member.Status.UNSUBSCRIBED
    assert "one-click" in ConsentRecord.objects.get(action="withdrawn").reason


def test_a_file_part_in_the_one_click_post_is_refused(recipient, strict_client):
    body = (
        "--AaB03x\r\n"
        'Content-Disposition: form-data; name="f"; filename="a.html"\r\n'
        "Content-Type: text/html\r\n"
        "\r\n"
        "<script>alert(1)</script>\r\n"
        "--AaB03x--\r\n"
    )
    response = strict_client.generic(
        "POST",
        url(token_for(recipient, tokens.UNSUBSCRIBE)),
        body,
        content_type="multipart/form-data; boundary=AaB03x",
    )
    assert response.status_code == 400
    assert Member.objects.get(pk=recipient.member_id).status == Member.Status.SUBSCRIBED


def test_the_pages_own_button_unsubscribes_too(recipient, strict_client):
    response = strict_client.post(url(token_for(recipient, tokens.UNSUBSCRIBE)), {})
    assert response.status_code == 200
    assert Member.objects.get(pk=recipient.member_id).status == Member.Status.UNSUBSCRIBED
    assert "page" in ConsentRecord.objects.get(action="withdrawn").reason


def test_unsubscribing_twice_changes_nothing_more_and_answers_the_same(recipient, strict_client):
    token = token_for(recipient, tokens.UNSUBSCRIBE)
    first = one_click(strict_client, token)
    recipient.refresh_from_db()
    when = recipient.unsubscribed_at
    second = one_click(strict_client, token)
    third = strict_client.post(url(token), {})
    assert first.content == second.content == third.content
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at == when
    assert ConsentRecord.objects.filter(action="withdrawn").count() == 1
    assert Suppression.objects.count() == 1


def test_a_stranger_learns_nothing_from_a_bad_token(recipient, strict_client):
    """Whole responses compared: only the form's own address (the token) differs."""
    genuine = token_for(recipient, tokens.UNSUBSCRIBE)
    body, day, mac = genuine.split(".")
    bad_tokens = [
        f"{body}.{day}.{'A' * 22}",  # tampered signature
        tokens.recipient_token(recipient.pk + 1000, tokens.UNSUBSCRIBE),  # nobody's
        token_for(recipient, tokens.CLICK),  # another purpose
        "x" * 300,  # overlong
        "<script>alert(1)<script>",
    ]

    def shape(response, token):
        return (
            response.status_code,
            # The length follows the token's; Expires is the moment of asking.
            sorted(
                (name, "" if name in ("Content-Length", "Expires") else value)
                for name, value in response.headers.items()
            ),
            response.content.replace(url(token).encode(), b"ACTION"),
        )

    get_genuine = shape(strict_client.get(url(genuine)), genuine)
    for bad in bad_tokens:
        assert shape(strict_client.get(url(bad)), bad) == get_genuine, bad
    posts_bad = [shape(one_click(strict_client, bad), bad) for bad in bad_tokens]
    post_genuine = shape(one_click(strict_client, genuine), genuine)
    for post_bad in posts_bad:
        assert post_bad == post_genuine
    assert b"<script>" not in post_genuine[2]
    assert Suppression.objects.count() == 1  # only the genuine one did anything


def test_bad_tokens_change_nothing(recipient, strict_client):
    genuine = token_for(recipient, tokens.UNSUBSCRIBE)
    for bad in [genuine[:-1] + ("A" if genuine[-1] != "A" else "B"), "0.0.0", "..", "é" * 10]:
        assert one_click(strict_client, bad).status_code == 200
    assert not Suppression.objects.exists()
    assert Recipient.objects.get(pk=recipient.pk).unsubscribed_at is None


@pytest.mark.parametrize(
    "body, content_type",
    [
        ("List-Unsubscribe=One-Click&" + "a=b&" * 2000, FORM),
        ("%ZZ%", FORM),
        ("List-Unsubscribe=<script>", FORM),
        ("\x00\xff", FORM),
        ('{"List-Unsubscribe": "One-Click"}', "application/json"),
    ],
)
def test_hostile_bodies_never_cause_a_500(recipient, strict_client, body, content_type):
    response = strict_client.generic(
        "POST", url(token_for(recipient, tokens.UNSUBSCRIBE)), body, content_type=content_type
    )
    assert response.status_code in (200, 400, 413)


def test_the_preview_link_shows_the_same_page_and_unsubscribes_nobody(recipient, strict_client):
    page = strict_client.get(reverse("mailings:unsubscribe_preview"))
    assert page.status_code == 200
    assert "Stop these emails?" in page.content.decode()
    done = strict_client.generic(
        "POST", reverse("mailings:unsubscribe_preview"), ONE_CLICK, content_type=FORM
    )
    assert "You are unsubscribed" in done.content.decode()
    assert not Suppression.objects.exists()


def test_a_member_unsubscribed_already_still_gets_the_page_and_nothing_breaks(
    recipient, strict_client
):
    from members.services import member_unsubscribe

    member_unsubscribe(member=recipient.member, source="staff", reason="asked by phone")
    response = one_click(strict_client, token_for(recipient, tokens.UNSUBSCRIBE))
    assert response.status_code == 200
    recipient.refresh_from_db()
    assert recipient.unsubscribed_at is not None


def test_get_and_head_of_the_page_change_nothing(recipient, strict_client):
    token = token_for(recipient, tokens.UNSUBSCRIBE)
    strict_client.head(url(token))
    strict_client.get(url(token))
    assert not Suppression.objects.exists()
