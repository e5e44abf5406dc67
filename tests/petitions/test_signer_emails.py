"""The emails a signer gets, sent by the job ledger's worker, never in the request."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from jobs.services import jobs_drain
from petitions.models import Signature
from tests.conftest import BASE_URL, sign_data
from tests.factories import PetitionFactory

pytestmark = pytest.mark.django_db


def _sign(client, petition, **overrides):
    return client.post(reverse("petitions:sign", args=[petition.slug]), sign_data(**overrides))


def _links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


def _confirm_link(message) -> str:
    [link] = {u for u in _links(message.body) if "/c/" in u}
    return link


def test_signing_sends_nothing_until_the_worker_runs(public_client, petition, mailoutbox):
    _sign(public_client, petition)

    assert mailoutbox == []
    assert jobs_drain() == 1
    assert len(mailoutbox) == 1


def test_the_confirmation_email_has_subject_text_and_html(public_client, petition, mailoutbox):
    _sign(public_client, petition, first_name="Grace")
    jobs_drain()

    [message] = mailoutbox
    assert message.to == ["grace@example.org"]
    assert "confirm" in message.subject.lower()
    assert petition.title in message.subject
    assert "\n" not in message.subject
    assert message.body.startswith("Hello,\n")  # no name: it was typed by someone unproven
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "Hello," in html
    link = _confirm_link(message)
    assert link in html
    assert petition.organisation.name in message.body
    assert "12 Example Street" in message.body  # the postal address anti-spam law asks for


def test_email_links_use_the_base_url_not_the_request_host(petition, mailoutbox):
    _sign(Client(HTTP_HOST="evil.example"), petition)
    jobs_drain()

    [message] = mailoutbox
    links = _links(message.body) + _links(message.alternatives[0][0])
    assert links
    assert all(link.startswith(BASE_URL + "/") for link in links), links
    assert "evil.example" not in message.body + message.alternatives[0][0]


def test_the_link_in_the_email_confirms_the_signature(public_client, petition, mailoutbox):
    _sign(public_client, petition)
    jobs_drain()
    path = _confirm_link(mailoutbox[0]).removeprefix(BASE_URL)

    assert public_client.get(path).status_code == 200
    assert Signature.objects.get().state == Signature.State.PENDING
    assert public_client.post(path).status_code == 302
    assert Signature.objects.get().state == Signature.State.CONFIRMED


def _later(settings, intervals: int = 1):
    """Time enough for the mail ceiling to let the next email to an address through."""
    return freeze_time(timezone.now() + intervals * _interval(settings))


def _interval(settings):
    return timedelta(seconds=settings.UNVERIFIED_MAIL_INTERVAL + 1)


def test_a_repeat_emails_the_owner_the_link_they_already_hold(petition, mailoutbox, settings):
    _sign(Client(), petition)
    jobs_drain()
    with _later(settings):
        _sign(Client(), petition, email="GRACE@Example.ORG", first_name="Mallory")
        jobs_drain()

    first, repeat = mailoutbox
    assert "already" in repeat.subject.lower()
    assert repeat.to == ["grace@example.org"]  # the address that signed, not the new one
    assert "Mallory" not in repeat.body
    assert "Grace" not in repeat.body  # the address is not proven to be anyone's
    # Still pending: the owner is sent the same link again, so the one in the first
    # email still works, whichever they open.
    assert _confirm_link(repeat) == _confirm_link(first)
    assert Client().post(_confirm_link(first).removeprefix(BASE_URL)).status_code == 302


def test_a_repeat_right_after_the_first_email_sends_nothing_more(petition, mailoutbox):
    _sign(Client(), petition)
    jobs_drain()
    _sign(Client(), petition, first_name="Mallory")
    jobs_drain()

    [first] = mailoutbox
    assert "confirm" in first.subject.lower()


def test_a_repeat_of_a_confirmed_signature_gets_no_link(petition, mailoutbox, settings):
    _sign(Client(), petition)
    jobs_drain()
    Signature.objects.update(state=Signature.State.CONFIRMED)
    with _later(settings):
        _sign(Client(), petition)
        jobs_drain()

    repeat = next(m for m in mailoutbox if "already" in m.subject.lower())
    assert not [u for u in _links(repeat.body) if "/c/" in u]


def test_no_confirmation_goes_out_once_the_signature_is_no_longer_pending(
    public_client, petition, mailoutbox
):
    _sign(public_client, petition)
    Signature.objects.update(state=Signature.State.INVALIDATED)

    jobs_drain()

    assert mailoutbox == []


def test_a_petition_without_confirmation_sends_no_confirmation_email(
    public_client, organisation, mailoutbox
):
    petition = PetitionFactory(organisation=organisation, require_confirmation=False)
    _sign(public_client, petition)
    jobs_drain()

    assert mailoutbox == []
    assert Signature.objects.get().state == Signature.State.CONFIRMED
