"""POST /p/<slug>/resend/: the link again for a pending signer; the same answer for anyone."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from jobs.models import Job
from jobs.services import jobs_drain
from petitions.models import Signature
from tests.conftest import sign_data
from tests.factories import SignatureFactory
from tests.links import confirm_token

pytestmark = pytest.mark.django_db


def _resend(client, petition, email):
    return client.post(reverse("petitions:resend", args=[petition.slug]), {"email": email})


def _sign(petition):
    Client().post(reverse("petitions:sign", args=[petition.slug]), sign_data())


def _at(settings, intervals: int):
    """A moment when the mail ceiling has let `intervals` more emails through."""
    step = timedelta(seconds=settings.UNVERIFIED_MAIL_INTERVAL + 1)
    return freeze_time(timezone.now() + intervals * step)


def test_it_sends_a_pending_signer_the_link_they_already_hold(
    public_client, petition, mailoutbox, settings
):
    _sign(petition)
    jobs_drain()

    with _at(settings, 1):
        response = _resend(public_client, petition, "Grace@example.org")
        jobs_drain()

    assert response.status_code == 200
    first, again = mailoutbox
    assert again.to == ["grace@example.org"]
    # Asking again must not void the link the signer may be about to press.
    assert confirm_token(again) == confirm_token(first)


def test_it_answers_everyone_the_same_and_sends_nothing_needless(
    public_client, petition, mailoutbox, settings
):
    _sign(petition)
    SignatureFactory(petition=petition, email="confirmed@example.org", state="confirmed")
    jobs_drain()

    with _at(settings, 1):
        pending = _resend(public_client, petition, "grace@example.org")
        confirmed = _resend(public_client, petition, "confirmed@example.org")
        stranger = _resend(public_client, petition, "nobody@example.org")
        jobs_drain()

    assert pending.status_code == confirmed.status_code == stranger.status_code == 200

    def body(response):
        return response.content.replace(b"grace@example.org", b"").replace(
            b"confirmed@example.org", b""
        )

    assert body(pending) == body(confirmed) == body(stranger)
    assert [m.to for m in mailoutbox] == [["grace@example.org"]] * 2  # the first, and one resend


def _work(petition, email) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert _resend(Client(), petition, email).status_code == 200
    shapes = [re.sub(r"'(?:[^']|'')*'", "?", query["sql"]) for query in queries]
    shapes = [re.sub(r'"s\d+_x\d+"', "?", sql) for sql in shapes]
    return [re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql) for sql in shapes]


def test_it_does_the_same_work_for_a_pending_a_confirmed_and_an_unknown_address(petition):
    _sign(petition)
    SignatureFactory(petition=petition, email="confirmed@example.org", state="confirmed")
    _resend(Client(), petition, "warm@example.org")  # the petition cache
    jobs_before = Job.objects.count()

    pending = _work(petition, "grace@example.org")
    confirmed = _work(petition, "confirmed@example.org")
    stranger = _work(petition, "nobody@example.org")

    assert pending == confirmed == stranger
    assert Job.objects.count() == jobs_before + 3


def test_fifty_resends_after_a_signature_send_only_the_first_email(
    public_client, petition, mailoutbox
):
    _sign(petition)
    for _ in range(50):
        _resend(public_client, petition, "grace@example.org")
    jobs_drain()

    [only] = mailoutbox
    # And that one link still confirms.
    path = reverse("petitions:confirm", args=[confirm_token(only)])
    assert public_client.post(path).status_code == 302
    assert Signature.objects.get().state == Signature.State.CONFIRMED


def test_resends_spread_over_a_day_send_no_more_than_the_daily_cap(
    public_client, petition, mailoutbox, settings
):
    _sign(petition)
    jobs_drain()
    for intervals in range(1, 11):
        with _at(settings, intervals):
            _resend(public_client, petition, "grace@example.org")
            jobs_drain()

    assert len(mailoutbox) == settings.UNVERIFIED_MAIL_PER_DAY
    with freeze_time(timezone.now() + timedelta(days=1, minutes=1)):
        _resend(public_client, petition, "grace@example.org")
        jobs_drain()
    assert len(mailoutbox) == settings.UNVERIFIED_MAIL_PER_DAY + 1
    assert len({confirm_token(message) for message in mailoutbox}) == 1


def test_an_invalid_address_gets_a_message_and_sends_nothing(public_client, petition):
    response = _resend(public_client, petition, "not an address")

    assert response.status_code == 400
    assert b"valid email address" in response.content
    assert not Job.objects.exists()
