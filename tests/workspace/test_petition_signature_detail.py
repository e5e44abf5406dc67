"""One signature in the workspace: what it shows, its log, and the state changes staff make."""

import pytest
from django.utils import timezone

from petitions.counting import counts_fold_all, petition_count
from petitions.models import Signature, SignatureEvent
from tests.factories import PetitionFactory, SignatureFactory
from tests.workspace.tabs import confirmed, tab_url

pytestmark = pytest.mark.django_db


def _detail(client, signature):
    return client.get(tab_url(signature.petition, f"signatures/{signature.pk}/"))


def _change(client, signature, action, note="checked by hand"):
    url = tab_url(signature.petition, f"signatures/{signature.pk}/state/")
    return client.post(url, {"action": action, "note": note})


def test_it_shows_what_the_signer_gave_and_when(owner_client, petition):
    signature = SignatureFactory(
        petition=petition,
        first_name="Zoë",
        email="zoe@example.org",
        postcode="75011",
        country="FR",
        comment="For my children",
        show_name=True,
        opt_in=True,
        channel="telegram",
    )

    page = _detail(owner_client, signature).content.decode()

    for shown in ("Zoë Lovelace", "zoe@example.org", "75011", "France", "For my children"):
        assert shown in page
    assert "Telegram" in page
    assert "Awaiting confirmation" in page


def test_a_signature_of_another_petition_is_not_found_here(owner_client, petition):
    elsewhere = SignatureFactory(petition=PetitionFactory())

    response = owner_client.get(tab_url(petition, f"signatures/{elsewhere.pk}/"))

    assert response.status_code == 404


def test_invalidating_logs_who_and_why_and_the_count_follows(owner_client, owner, petition):
    [signature] = confirmed(petition)

    response = _change(owner_client, signature, "invalidate", note="duplicate on paper")
    counts_fold_all()

    assert response.status_code == 302
    signature.refresh_from_db()
    assert signature.state == "invalidated"
    event = SignatureEvent.objects.get(signature=signature)
    assert (event.from_state, event.to_state, event.by, event.note) == (
        "confirmed",
        "invalidated",
        owner,
        "duplicate on paper",
    )
    assert petition_count(petition) == 0
    page = owner_client.get(response["Location"]).content.decode()
    assert "Signature now invalidated" in page
    assert "Confirmed → Invalidated" in page
    assert "duplicate on paper" in page


def test_a_campaigner_marks_fraud_and_reinstates(campaigner_client, petition):
    [signature] = confirmed(petition)

    _change(campaigner_client, signature, "fraudulent")
    _change(campaigner_client, signature, "reinstate")

    signature.refresh_from_db()
    assert signature.state == "confirmed"
    assert list(signature.events.values_list("to_state", flat=True)) == [
        "fraudulent",
        "confirmed",
    ]


def test_staff_cannot_confirm_a_signature_the_signer_never_confirmed(owner_client, petition):
    pending = SignatureFactory(petition=petition)
    _change(owner_client, pending, "invalidate")

    response = _change(owner_client, pending, "reinstate")

    pending.refresh_from_db()
    assert pending.state == "invalidated"
    page = owner_client.get(response["Location"]).content.decode()
    assert "does not apply to this signature" in page
    assert "Reinstate" not in page


def test_reinstating_is_refused_when_the_signer_has_signed_again(owner_client, petition):
    [old] = confirmed(petition, email="again@example.org")
    _change(owner_client, old, "invalidate")
    SignatureFactory(petition=petition, email="again@example.org", state="confirmed")

    response = _change(owner_client, old, "reinstate")

    old.refresh_from_db()
    assert old.state == "invalidated"
    assert "signed this petition again" in owner_client.get(response["Location"]).content.decode()


def test_an_overlong_note_changes_nothing_and_says_why(owner_client, petition):
    [signature] = confirmed(petition)

    response = _change(owner_client, signature, "invalidate", note="x" * 301)

    assert response.status_code == 400
    assert "Keep the note to 300 characters" in response.content.decode()
    signature.refresh_from_db()
    assert signature.state == "confirmed"


def test_an_unknown_action_changes_nothing(owner_client, petition):
    [signature] = confirmed(petition)

    _change(owner_client, signature, "delete")

    signature.refresh_from_db()
    assert signature.state == "confirmed"
    assert not signature.events.exists()


def test_an_analyst_reads_a_signature_but_cannot_change_it(analyst_client, petition):
    [signature] = confirmed(petition)

    page = _detail(analyst_client, signature).content.decode()
    response = _change(analyst_client, signature, "invalidate")

    assert "Change its state" not in page
    assert response.status_code == 403
    signature.refresh_from_db()
    assert signature.state == "confirmed"


def test_the_state_url_takes_only_posts(owner_client, petition):
    signature = SignatureFactory(petition=petition)

    response = owner_client.get(tab_url(petition, f"signatures/{signature.pk}/state/"))

    assert response.status_code == 405


def test_the_log_names_who_changed_what(owner_client, petition):
    signature = SignatureFactory(petition=petition, confirmed_at=timezone.now())
    Signature.objects.filter(pk=signature.pk).update(state="confirmed")

    _change(owner_client, signature, "fraudulent", note="same IP as 300 others")
    page = _detail(owner_client, signature).content.decode()

    assert "Confirmed → Fraudulent" in page
    assert "olive-owner" in page
    assert "same IP as 300 others" in page


@pytest.mark.parametrize("client_name", ["owner_client", "campaigner_client", "analyst_client"])
def test_staff_see_why_signing_flagged_a_signature(request, petition, client_name):
    signature = SignatureFactory(
        petition=petition, state="fraudulent", flag_reason="network limit, disposable domain"
    )
    plain = SignatureFactory(petition=petition)
    client = request.getfixturevalue(client_name)

    assert "Flagged when signing" in _detail(client, signature).content.decode()
    assert "Network limit, disposable domain" in _detail(client, signature).content.decode()
    assert "Flagged when signing" not in _detail(client, plain).content.decode()
