"""Recognised members: a mailing's link names them on the petition page, and one press signs."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jobs.services import jobs_drain
from mailings import tokens
from mailings.models import Recipient
from members.models import Member
from members.services import member_unsubscribe
from petitions.models import Signature, SignatureEvent
from tests.factories import PetitionFactory, SignatureFactory
from tests.mailings.inbound_helpers import (  # noqa: F401 (fixtures)
    mailing_fixture,
    recipient_fixture,
    token_for,
)

pytestmark = pytest.mark.django_db
NOT_RECOGNISED = {"recognised": False}


def ask(client, token, slug="stop-face-scraping"):
    response = client.post(reverse("mailings:recognise"), {"token": token, "petition": slug})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return response.json()


def press_sign_now(client, token, slug="stop-face-scraping"):
    """As the page's button posts it: with the CSRF token me.json gave the page."""
    csrf = client.get(reverse("petitions:visitor", args=["stop-face-scraping"])).json()["csrf"]
    return client.post(
        reverse("mailings:sign"),
        {"token": token, "petition": slug, "csrfmiddlewaretoken": csrf},
        HTTP_ACCEPT_LANGUAGE="de-DE",
    )


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)


def test_a_genuine_token_names_the_member_by_first_name_only(recipient, client):
    answer = ask(client, token_for(recipient, tokens.RECOGNISE))
    assert answer == {"recognised": True, "first_name": "Grace", "petition": "stop-face-scraping"}


def test_the_token_of_another_purpose_or_a_tampered_one_recognises_nobody(recipient, client):
    genuine = token_for(recipient, tokens.RECOGNISE)
    for bad in [
        token_for(recipient, tokens.CLICK),
        token_for(recipient, tokens.UNSUBSCRIBE),
        genuine[:-3] + "AAA",
        tokens.recipient_token(recipient.pk + 7, tokens.RECOGNISE),
        "x" * 1000,
        "<script>alert(1)</script>",
        "",
    ]:
        assert ask(client, bad) == NOT_RECOGNISED, bad


def test_an_expired_token_recognises_nobody(recipient, client, settings, monkeypatch):
    token = token_for(recipient, tokens.RECOGNISE)
    later = timezone.now() + timedelta(days=settings.MAILING_TOKEN_DAYS + 1)
    monkeypatch.setattr(tokens.timezone, "now", lambda: later)
    assert ask(client, token) == NOT_RECOGNISED


def test_an_unsubscribed_member_is_not_recognised(recipient, client):
    member_unsubscribe(member=recipient.member, source="mailing", reason="test")
    assert ask(client, token_for(recipient, tokens.RECOGNISE)) == NOT_RECOGNISED


def test_the_token_recognises_on_its_own_mailings_petition_only(recipient, client):
    other = PetitionFactory(organisation=recipient.mailing.organisation, slug="another-one")
    assert ask(client, token_for(recipient, tokens.RECOGNISE), other.slug) == NOT_RECOGNISED
    assert ask(client, token_for(recipient, tokens.RECOGNISE), "x" * 500) == NOT_RECOGNISED


def test_a_closed_petition_recognises_nobody(recipient, client, petition):
    petition.status = petition.Status.CLOSED
    petition.save()
    assert ask(client, token_for(recipient, tokens.RECOGNISE)) == NOT_RECOGNISED


def test_a_get_is_refused_so_tokens_never_sit_in_a_url(recipient, client):
    response = client.get(reverse("mailings:recognise"), {"token": "x"})
    assert response.status_code == 405


def test_one_press_signs_confirmed_attributed_and_sends_no_email(recipient, client, mailoutbox):
    response = press_sign_now(client, token_for(recipient, tokens.RECOGNISE))
    assert response.status_code == 302
    assert response["Location"] == reverse("petitions:confirmed", args=["stop-face-scraping"])
    signature = Signature.objects.get()
    assert signature.state == Signature.State.CONFIRMED
    assert signature.confirmed_at is not None
    assert (signature.first_name, signature.last_name) == ("Grace", "Hopper")
    assert signature.email == "grace@example.org"
    assert str(signature.country) == "GB" and signature.postcode == "N1 0AA"
    assert signature.channel == "mailing"
    assert signature.token_hash == ""
    assert signature.language == "de-DE"  # the member has none on record: the browser's
    recipient.refresh_from_db()
    assert recipient.signature_id == signature.pk
    assert recipient.signed_at is not None
    jobs_drain()
    assert mailoutbox == []
    signature.refresh_from_db()
    assert signature.member_id == recipient.member_id
    # The browser is told it signed, as after a confirmation link.
    state = client.get(reverse("petitions:visitor", args=["stop-face-scraping"])).json()
    assert state["signed"] is True


def test_the_members_own_language_wins(recipient, client):
    Member.objects.filter(pk=recipient.member_id).update(language="fr")
    press_sign_now(client, token_for(recipient, tokens.RECOGNISE))
    assert Signature.objects.get().language == "fr"


def test_pressing_twice_makes_one_signature_and_no_email(recipient, client, mailoutbox):
    token = token_for(recipient, tokens.RECOGNISE)
    press_sign_now(client, token)
    press_sign_now(client, token)
    assert Signature.objects.count() == 1
    jobs_drain()
    assert mailoutbox == []


def test_a_pending_signature_of_the_member_is_confirmed_without_email(
    recipient, client, petition, mailoutbox
):
    pending = SignatureFactory(
        petition=petition, email="grace@example.org", state=Signature.State.PENDING
    )
    press_sign_now(client, token_for(recipient, tokens.RECOGNISE))
    jobs_drain()
    pending.refresh_from_db()
    assert pending.state == Signature.State.CONFIRMED
    assert SignatureEvent.objects.filter(signature=pending, note="mailing link").exists()
    assert mailoutbox == []
    assert Recipient.objects.get(pk=recipient.pk).signature_id == pending.pk


def test_the_sign_button_needs_the_csrf_token(recipient, client):
    response = client.post(
        reverse("mailings:sign"),
        {"token": token_for(recipient, tokens.RECOGNISE), "petition": "stop-face-scraping"},
    )
    assert response.status_code == 403
    assert not Signature.objects.exists()


@pytest.mark.parametrize(
    "token, slug",
    [
        ("nonsense", "stop-face-scraping"),
        ("<script>alert(1)</script>", "stop-face-scraping"),
        ("x" * 5000, "stop-face-scraping"),
        (None, "<script>"),
        (None, "x" * 5000),
        (None, ""),
    ],
)
def test_no_genuine_token_signs_nothing_and_goes_back_to_the_form(recipient, client, token, slug):
    token = token or token_for(recipient, tokens.RECOGNISE)
    response = press_sign_now(client, token, slug=slug)
    assert response.status_code == 302
    assert response["Location"] in ("/p/stop-face-scraping/?ch=mailing", "/")
    assert not Signature.objects.exists()


def test_an_unsubscribed_member_cannot_sign_with_one_press(recipient, client):
    member_unsubscribe(member=recipient.member, source="mailing", reason="test")
    press_sign_now(client, token_for(recipient, tokens.RECOGNISE))
    assert not Signature.objects.exists()


def test_the_normal_sign_path_is_unchanged_for_an_unproven_address(public_client, petition):
    from tests.conftest import sign_data

    public_client.post(reverse("petitions:sign", args=[petition.slug]), sign_data())
    assert Signature.objects.get().state == Signature.State.PENDING


def test_the_cached_petition_page_carries_no_member_data(recipient, client):
    html = client.get("/p/stop-face-scraping/?ch=mailing").content.decode()
    assert "data-recognised" in html and "Grace" not in html
    assert "grace@example.org" not in html


def test_a_member_with_too_little_on_record_gets_the_normal_form(recipient, client):
    Member.objects.filter(pk=recipient.member_id).update(country="")
    assert ask(client, token_for(recipient, tokens.RECOGNISE)) == NOT_RECOGNISED
    press_sign_now(client, token_for(recipient, tokens.RECOGNISE))
    assert not Signature.objects.exists()


# --- Normal-form signatures through a mailing's link -------------------------------------


def _sign_with_the_form(petition, email, channel="mailing"):
    from tests.conftest import sign_data

    Client().post(
        reverse("petitions:sign", args=[petition.slug]),
        sign_data(email=email, channel=channel),
    )
    jobs_drain()
    jobs_drain()
    return Signature.objects.get(email=email)


@pytest.fixture
def unconfirmed(petition):
    petition.require_confirmation = False
    petition.save()
    return petition


def test_a_member_who_clicked_and_signed_with_the_form_is_attributed(recipient, unconfirmed):
    Client().get(reverse("mailings:click", args=[token_for(recipient, tokens.CLICK), 0]))
    signature = _sign_with_the_form(unconfirmed, "grace@example.org")
    recipient.refresh_from_db()
    assert recipient.signature_id == signature.pk and recipient.signed_at is not None


def test_a_form_signature_is_attributed_once_confirmed(recipient, petition, mailoutbox):
    from petitions.services import signature_confirm

    Client().get(reverse("mailings:click", args=[token_for(recipient, tokens.CLICK), 0]))
    signature = _sign_with_the_form(petition, "grace@example.org")
    assert Recipient.objects.get(pk=recipient.pk).signature_id is None  # pending
    import re

    [token] = re.findall(r"/c/([^/\s]+)/", mailoutbox[-1].body)
    signature_confirm(token=token)
    jobs_drain()
    assert Recipient.objects.get(pk=recipient.pk).signature_id == signature.pk


def test_without_a_click_or_the_tag_nothing_is_attributed(recipient, unconfirmed):
    _sign_with_the_form(unconfirmed, "grace@example.org")
    assert Recipient.objects.get(pk=recipient.pk).signature_id is None


def test_someone_else_signing_through_a_forwarded_link_is_not_attributed(recipient, unconfirmed):
    Client().get(reverse("mailings:click", args=[token_for(recipient, tokens.CLICK), 0]))
    _sign_with_the_form(unconfirmed, "friend@example.org")
    assert Recipient.objects.get(pk=recipient.pk).signature_id is None


def test_a_one_press_signature_is_attributed_to_one_mailing_only(recipient, client, petition):
    from tests.factories import MailingFactory, RecipientFactory

    second = RecipientFactory(
        member=recipient.member,
        mailing=MailingFactory(organisation=petition.organisation, petition=petition),
        sent_at=timezone.now(),
        first_clicked_at=timezone.now(),
    )
    press_sign_now(client, token_for(recipient, tokens.RECOGNISE))
    jobs_drain()
    assert Recipient.objects.get(pk=recipient.pk).signature_id is not None
    assert Recipient.objects.get(pk=second.pk).signature_id is None
