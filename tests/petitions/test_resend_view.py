"""POST /p/<slug>/resend/: a new link for a pending signer; the same answer for anyone."""

import pytest
from django.urls import reverse

from jobs.models import Job
from petitions.models import Signature
from petitions.services import signature_create
from tests.conftest import REQUEST_META, sign_data
from tests.factories import SignatureFactory

pytestmark = pytest.mark.django_db


def _resend(client, petition, email):
    return client.post(reverse("petitions:resend", args=[petition.slug]), {"email": email})


def _resends():
    return Job.objects.filter(kind="send_confirmation").count()


def test_it_sends_a_pending_signer_a_new_link_and_retires_the_old(public_client, petition):
    signature_create(petition=petition, data=sign_data(), request_meta=REQUEST_META)
    old_hash = Signature.objects.get().token_hash

    response = _resend(public_client, petition, "Grace@example.org")

    assert response.status_code == 200
    assert _resends() == 2
    assert Signature.objects.get().token_hash != old_hash


def test_it_answers_everyone_the_same_and_sends_nothing_needless(public_client, petition):
    signature_create(petition=petition, data=sign_data(), request_meta=REQUEST_META)
    SignatureFactory(petition=petition, email="confirmed@example.org", state="confirmed")

    pending = _resend(public_client, petition, "grace@example.org")
    confirmed = _resend(public_client, petition, "confirmed@example.org")
    stranger = _resend(public_client, petition, "nobody@example.org")

    assert pending.status_code == confirmed.status_code == stranger.status_code == 200

    def body(response):
        return response.content.replace(b"grace@example.org", b"").replace(
            b"confirmed@example.org", b""
        )

    assert body(pending) == body(confirmed) == body(stranger)
    assert _resends() == 2  # the first link, and one resend to the pending signer


def test_an_invalid_address_gets_a_message_and_sends_nothing(public_client, petition):
    response = _resend(public_client, petition, "not an address")

    assert response.status_code == 400
    assert b"valid email address" in response.content
    assert _resends() == 0
