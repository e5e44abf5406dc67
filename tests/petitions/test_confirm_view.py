"""/c/<token>/: a GET shows a button, only the POST confirms, once, before expiry."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from jobs.models import Job
from jobs.services import jobs_drain
from petitions.models import MailAllowance, Signature
from petitions.services import signature_create
from tests.conftest import REQUEST_META, sign_data
from tests.links import confirm_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(petition, mailoutbox):
    signature_create(petition=petition, data=sign_data(), request_meta=REQUEST_META)
    jobs_drain()
    return Signature.objects.get(), confirm_token(mailoutbox[0])


def _url(token):
    return reverse("petitions:confirm", args=[token])


def test_a_get_shows_a_button_and_does_not_confirm(public_client, pending):
    signature, token = pending

    response = public_client.get(_url(token))

    assert response.status_code == 200
    assert b'method="post"' in response.content
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING


def test_a_post_confirms_and_marks_the_signature_for_counting(public_client, pending):
    signature, token = pending

    response = public_client.post(_url(token))

    assert response.status_code == 302
    assert response["Location"] == reverse("petitions:confirmed", args=[signature.petition.slug])
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED
    assert signature.confirmed_at and signature.count_dirty
    assert signature.token_hash == ""
    assert signature.events.get().to_state == "confirmed"
    assert Job.objects.filter(kind="signature_confirmed").count() == 1


def test_the_link_works_only_once(public_client, pending):
    _, token = pending
    public_client.post(_url(token))

    again = public_client.post(_url(token))

    assert again.status_code == 410
    assert b"no longer works" in again.content
    assert b"Use the newest one" in again.content
    assert public_client.get(_url(token)).status_code == 410
    assert Job.objects.filter(kind="signature_confirmed").count() == 1


def test_an_expired_link_fails(public_client, pending, settings):
    signature, token = pending
    later = timezone.now() + timedelta(days=settings.CONFIRMATION_TOKEN_DAYS, minutes=1)

    with freeze_time(later):
        response = public_client.post(_url(token))

    assert response.status_code == 410
    signature.refresh_from_db()
    assert signature.state == Signature.State.PENDING


def test_a_link_still_works_just_before_it_expires(public_client, pending, settings):
    _, token = pending
    later = timezone.now() + timedelta(days=settings.CONFIRMATION_TOKEN_DAYS, minutes=-1)

    with freeze_time(later):
        response = public_client.post(_url(token))

    assert response.status_code == 302


@pytest.mark.parametrize("token", ["guess", "x" * 43, "a" * 500])
def test_a_made_up_link_fails_without_an_error(public_client, pending, token):
    assert public_client.post(_url(token)).status_code == 410
    assert public_client.get(_url(token)).status_code == 410
    assert Signature.objects.get().state == Signature.State.PENDING


def test_an_invalidated_signature_cannot_be_confirmed(public_client, pending):
    signature, token = pending
    Signature.objects.filter(pk=signature.pk).update(state=Signature.State.INVALIDATED)

    assert public_client.post(_url(token)).status_code == 410
    signature.refresh_from_db()
    assert signature.state == Signature.State.INVALIDATED


def test_the_confirmed_page_is_public(public_client, petition):
    response = public_client.get(reverse("petitions:confirmed", args=[petition.slug]))

    assert response.status_code == 200


def test_confirming_gives_this_browser_its_proof_in_one_cookie_for_every_petition(
    public_client, pending
):
    signature, token = pending

    response = public_client.post(_url(token))

    [(name, cookie)] = response.cookies.items()
    assert name == "chorus_confirmed"  # no petition id in the name
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    thanks = public_client.get(reverse("petitions:thanks", args=[signature.petition.slug]))
    assert b"You have already signed this petition" in thanks.content


def test_no_table_holds_the_token_of_a_link_that_was_sent(pending):
    _, token = pending

    rows = [
        *Job.objects.values_list("kind", "payload", "last_error"),
        *Signature.objects.values_list(),
        *MailAllowance.objects.values_list(),
    ]

    assert rows
    assert all(token not in str(row) for row in rows)


def test_a_link_sent_after_the_old_one_expired_is_new_and_the_old_stays_dead(
    public_client, pending, mailoutbox, settings
):
    signature, old_token = pending
    later = timezone.now() + timedelta(days=settings.CONFIRMATION_TOKEN_DAYS, minutes=1)

    with freeze_time(later):
        public_client.post(
            reverse("petitions:resend", args=[signature.petition.slug]),
            {"email": signature.email},
        )
        jobs_drain()
        new_token = confirm_token(mailoutbox[-1])

        assert new_token != old_token
        assert public_client.post(_url(old_token)).status_code == 410
        assert public_client.post(_url(new_token)).status_code == 302
