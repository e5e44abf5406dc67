"""signature_comment_hide: staff take a signer's reason off the public page, or put it back."""

import pytest

from petitions.models import Signature, SignatureEvent
from petitions.services import signature_comment_hide
from tests.factories import SignatureFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_records_who_hid_the_reason_and_when():
    signature = SignatureFactory(state="confirmed", show_name=True, comment="Rude words.")
    moderator = UserFactory(username="moderator")

    signature_comment_hide(signature=signature, hidden=True, by=moderator)

    signature.refresh_from_db()
    assert signature.comment_hidden is True
    assert signature.hidden_by == moderator
    assert signature.hidden_at is not None
    assert signature.comment == "Rude words.", "the reason is kept, only taken off the page"


def test_showing_it_again_clears_who_hid_it():
    signature = SignatureFactory(state="confirmed", show_name=True, comment="Fine after all.")
    moderator = UserFactory(username="moderator")
    signature_comment_hide(signature=signature, hidden=True, by=moderator)

    signature_comment_hide(signature=signature, hidden=False, by=moderator)

    signature.refresh_from_db()
    assert (signature.comment_hidden, signature.hidden_by, signature.hidden_at) == (
        False,
        None,
        None,
    )


def test_it_logs_each_change_in_the_signatures_event_log_without_changing_its_state():
    signature = SignatureFactory(state="confirmed", show_name=True, comment="Hmm.")
    moderator = UserFactory(username="moderator")

    signature_comment_hide(signature=signature, hidden=True, by=moderator)
    signature_comment_hide(signature=signature, hidden=False, by=moderator)

    events = SignatureEvent.objects.filter(signature=signature).order_by("pk")
    assert [(e.note, e.by, e.to_state) for e in events] == [
        ("Reason hidden from the public page", moderator, "confirmed"),
        ("Reason shown again", moderator, "confirmed"),
    ]
    assert Signature.objects.get(pk=signature.pk).state == "confirmed"
