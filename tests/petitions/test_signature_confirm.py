"""signature_confirm: the update itself re-checks the state and the link.

Confirming looks the link up, then updates the row. Anything that happens to the
signature in between (staff invalidate it, mark it fraudulent, a newer link
replaces this one, the same link is pressed twice) must win over the older look-up.
"""

import threading

import pytest
from django.db import transaction
from django.urls import reverse

from jobs.models import Job
from petitions import selectors
from petitions.models import Signature
from petitions.services import (
    signature_confirm,
    signature_confirmation_token,
    signature_create,
    signature_set_state,
    token_hash,
)
from tests.concurrency import run_concurrently, wait_until_another_connection_waits_for_a_lock
from tests.conftest import REQUEST_META, postgres_only, sign_data


def _pending(petition) -> tuple[Signature, str]:
    signature_create(petition=petition, data=sign_data(), request_meta=REQUEST_META)
    signature = Signature.objects.get()
    # The token the worker derives for the confirmation email.
    return signature, signature_confirmation_token(signature=signature)


def _invalidate(signature):
    signature_set_state(signature=signature, state=Signature.State.INVALIDATED, note="test")


def _mark_fraudulent(signature):
    signature_set_state(signature=signature, state=Signature.State.FRAUDULENT, note="test")


NEWER_TOKEN = "a-newer-link-sent-meanwhile"


def _replace_link(signature):
    # What every path that sends a new link does to the row: a new hash in place of the old.
    Signature.objects.filter(pk=signature.pk).update(token_hash=token_hash(NEWER_TOKEN))


def _after_the_look_up(monkeypatch, meanwhile):
    """Run `meanwhile` on the signature just after confirming has looked it up."""
    look_up = selectors.signature_for_token

    def look_up_then_meanwhile(token):
        signature = look_up(token)
        if signature is not None:
            monkeypatch.setattr(selectors, "signature_for_token", look_up)  # once only
            meanwhile(signature)
        return signature

    monkeypatch.setattr(selectors, "signature_for_token", look_up_then_meanwhile)


BETWEEN_LOOK_UP_AND_UPDATE = {
    "invalidated": (_invalidate, Signature.State.INVALIDATED),
    "marked fraudulent": (_mark_fraudulent, Signature.State.FRAUDULENT),
    "replaced by a newer link": (_replace_link, Signature.State.PENDING),
}


@pytest.mark.django_db
@pytest.mark.parametrize("meanwhile", BETWEEN_LOOK_UP_AND_UPDATE)
def test_it_does_not_confirm_a_signature_changed_after_its_look_up(
    monkeypatch, petition, meanwhile
):
    signature, token = _pending(petition)
    change, state_after = BETWEEN_LOOK_UP_AND_UPDATE[meanwhile]
    _after_the_look_up(monkeypatch, change)

    assert signature_confirm(token=token) is None

    signature.refresh_from_db()
    assert signature.state == state_after
    assert signature.confirmed_at is None
    assert not signature.events.filter(to_state="confirmed").exists()
    assert not Job.objects.filter(kind="signature_confirmed").exists()


@pytest.mark.django_db
def test_the_newer_link_still_confirms_after_the_older_lost_the_race(monkeypatch, petition):
    signature, token = _pending(petition)
    _after_the_look_up(monkeypatch, _replace_link)
    signature_confirm(token=token)

    assert signature_confirm(token=NEWER_TOKEN).state == Signature.State.CONFIRMED


@pytest.mark.django_db
def test_a_link_pressed_twice_at_once_confirms_once(monkeypatch, petition):
    signature, token = _pending(petition)
    # The same link pressed in a second tab, and that press got there first.
    _after_the_look_up(monkeypatch, lambda _: signature_confirm(token=token))

    assert signature_confirm(token=token) is None

    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED
    assert signature.events.filter(to_state="confirmed").count() == 1
    assert Job.objects.filter(kind="signature_confirmed").count() == 1


@pytest.mark.django_db
def test_the_confirm_page_says_the_link_no_longer_works_when_staff_invalidated_meanwhile(
    monkeypatch, public_client, petition
):
    signature, token = _pending(petition)
    _after_the_look_up(monkeypatch, _invalidate)

    response = public_client.post(reverse("petitions:confirm", args=[token]))

    assert response.status_code == 410
    signature.refresh_from_db()
    assert signature.state == Signature.State.INVALIDATED


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("meanwhile", BETWEEN_LOOK_UP_AND_UPDATE)
def test_a_change_committed_while_the_confirm_update_waits_for_the_row_wins(petition, meanwhile):
    """The real race on PostgreSQL: staff hold the row while the confirm update waits for it.

    The confirming request has already read the row as pending; its UPDATE blocks on
    the staff transaction's lock and, once that commits, must re-check the new row.
    """
    signature, token = _pending(petition)
    change, state_after = BETWEEN_LOOK_UP_AND_UPDATE[meanwhile]
    row_held = threading.Event()

    def staff():
        with transaction.atomic():
            Signature.objects.select_for_update().get(pk=signature.pk)
            change(signature)
            row_held.set()
            wait_until_another_connection_waits_for_a_lock()

    def signer():
        assert row_held.wait(timeout=30)
        return signature_confirm(token=token)

    _, confirmed = run_concurrently(staff, signer, start_together=False)

    assert confirmed is None
    signature.refresh_from_db()
    assert signature.state == state_after
    assert not Job.objects.filter(kind="signature_confirmed").exists()
