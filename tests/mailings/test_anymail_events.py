"""An ESP's bounces and complaints, arriving as django-anymail tracking events."""

import base64
import json

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.test import Client, override_settings
from django.urls import clear_url_caches

from mailings import tokens
from mailings.inbound import ANYMAIL_METADATA_KEY, anymail_tracking
from mailings.models import Recipient, SoftBounce
from members.models import Member, Suppression
from tests.factories import RecipientFactory
from tests.mailings.inbound_helpers import (  # noqa: F401 (fixtures)
    mailing_fixture,
    recipient_fixture,
    token_for,
)

pytestmark = pytest.mark.django_db


def event(recipient=None, event_type="bounced", **fields) -> AnymailTrackingEvent:
    metadata = {ANYMAIL_METADATA_KEY: token_for(recipient, tokens.BOUNCE)} if recipient else {}
    values = {"recipient": "grace@example.org", "metadata": metadata, **fields}
    return AnymailTrackingEvent(event_type=event_type, **values)


def send(evt, esp="Postmark"):
    """As anymail's webhook view does once it has checked the ESP's request."""
    return tracking.send(sender=object, event=evt, esp_name=esp)


def status(recipient) -> str:
    return Member.objects.get(pk=recipient.member_id).status


def test_the_receiver_is_connected_to_anymails_tracking_signal(recipient):
    answers = dict(send(event(recipient)))
    assert answers[anymail_tracking] == "bounced"


def test_a_bounce_suppresses_at_once(recipient):
    send(event(recipient, mta_response="550 5.1.1 user unknown"))
    assert status(recipient) == Member.Status.BOUNCED
    assert Recipient.objects.get(pk=recipient.pk).bounce_kind == "hard"
    assert "Postmark bounced" in Suppression.objects.get().note


def test_a_rejected_send_suppresses_as_bounced(recipient):
    send(event(recipient, "rejected", description="Bad email address"))
    assert Suppression.objects.get().reason == "bounced"


def test_a_complaint_suppresses_at_once(recipient):
    send(event(recipient, "complained"))
    assert status(recipient) == Member.Status.COMPLAINED
    assert Recipient.objects.get(pk=recipient.pk).complained_at is not None


def test_an_unsubscribe_goes_through_the_unsubscribe_service(recipient):
    send(event(recipient, "unsubscribed"))
    assert status(recipient) == Member.Status.UNSUBSCRIBED
    assert Recipient.objects.get(pk=recipient.pk).unsubscribed_at is not None


def test_a_deferral_and_a_4xx_bounce_count_as_soft(recipient, settings):
    send(event(recipient, "deferred"))
    assert SoftBounce.objects.get().count == 1
    other = RecipientFactory(
        member=recipient.member, mailing__organisation=recipient.mailing.organisation
    )
    send(event(other, "bounced", mta_response="452 4.2.2 mailbox full"))
    assert SoftBounce.objects.get().count == 2
    assert status(recipient) == Member.Status.SUBSCRIBED


def test_delivered_starts_the_soft_count_again(recipient):
    send(event(recipient, "deferred"))
    send(event(recipient, "delivered"))
    assert SoftBounce.objects.get().count == 0


def test_without_metadata_the_latest_mailing_to_the_address_is_found(recipient):
    answers = dict(send(event(None, "complained")))
    assert answers[anymail_tracking] == "complained"
    assert status(recipient) == Member.Status.COMPLAINED


def test_a_verp_address_in_the_event_names_the_recipient(recipient):
    address = f"bounces+{token_for(recipient, tokens.BOUNCE)}@bounces.example"
    send(AnymailTrackingEvent(event_type="bounced", recipient=address))
    assert status(recipient) == Member.Status.BOUNCED


@pytest.mark.parametrize(
    "fields",
    [
        {"recipient": "nobody@example.org"},
        {"recipient": None},
        {"recipient": "<script>@x" * 50},
        {
            "recipient": None,
            "metadata": {ANYMAIL_METADATA_KEY: "forged.token.AAAAAAAAAAAAAAAAAAAAAA"},
        },
        {"recipient": None, "metadata": {ANYMAIL_METADATA_KEY: ["not", "a", "string"]}},
        {"recipient": None, "metadata": "not a dict"},
    ],
)
def test_an_event_about_nobody_of_ours_is_ignored(recipient, fields):
    answers = dict(send(AnymailTrackingEvent(event_type="bounced", **fields)))
    assert answers[anymail_tracking] == "ignored"
    assert not Suppression.objects.exists()


def test_other_event_types_change_nothing(recipient):
    for kind in ("opened", "clicked", "queued", "sent", "unknown", "autoresponded"):
        assert dict(send(event(recipient, kind)))[anymail_tracking] == "ignored"
    assert not Suppression.objects.exists()


# --- Through the webhook, the ESP's request as it arrives ---------------------------------

WEBHOOK_SECRET = "chorus:s3cret-password"  # noqa: S105 (the test's own)
urlpatterns = None  # set below: this module is the test's URLconf


def _urlconf():
    from django.urls import include, path

    from chorus.urls import urlpatterns as chorus_urls

    return [path("anymail/", include("anymail.urls")), *chorus_urls]


@pytest.fixture
def webhooks(settings):
    global urlpatterns
    urlpatterns = _urlconf()
    settings.MAILING_ANYMAIL_WEBHOOKS = True
    settings.ANYMAIL_WEBHOOK_SECRET = WEBHOOK_SECRET
    with override_settings(ROOT_URLCONF=__name__):
        clear_url_caches()
        yield Client()
    clear_url_caches()


def _post_postmark(client, body: dict, secret=WEBHOOK_SECRET):
    auth = base64.b64encode(secret.encode()).decode()
    return client.post(
        "/anymail/postmark/tracking/",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )


def test_a_postmark_bounce_webhook_suppresses_the_member(webhooks, recipient):
    body = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "ID": 42,
        "Email": "grace@example.org",
        "Metadata": {ANYMAIL_METADATA_KEY: token_for(recipient, tokens.BOUNCE)},
        "Description": "The server was unable to deliver your message",
        "Details": "smtp;550 5.1.1 The email account does not exist",
        "BouncedAt": "2026-12-05T18:00:00Z",
    }
    response = _post_postmark(webhooks, body)
    assert response.status_code == 200
    assert status(recipient) == Member.Status.BOUNCED


def test_a_webhook_without_the_secret_changes_nothing(webhooks, recipient):
    body = {"RecordType": "SpamComplaint", "Type": "SpamComplaint", "Email": "grace@example.org"}
    response = _post_postmark(webhooks, body, secret="chorus:wrong")
    assert response.status_code in (400, 401, 403)
    assert status(recipient) == Member.Status.SUBSCRIBED
