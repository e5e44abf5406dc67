"""Signers' reasons on the petition page: shown with the signer's consent, until staff hide one."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jobs.services import jobs_drain
from petitions.models import Signature
from petitions.pages import PUBLIC_REASONS
from petitions.services import signature_comment_hide
from tests.conftest import _local_caches_clear
from tests.factories import SignatureFactory, UserFactory
from tests.links import confirm_token

pytestmark = pytest.mark.django_db


def _page_cache_expires() -> None:
    # The page is kept whole for PETITION_PAGE_CACHE_SECONDS: a change shows after that.
    _local_caches_clear()
    cache.clear()


def _page(client, petition) -> str:
    return client.get(reverse("petitions:detail", args=[petition.slug])).content.decode()


def _reason(petition, comment, **fields):
    defaults = {"state": "confirmed", "show_name": True, "confirmed_at": timezone.now()}
    return SignatureFactory(petition=petition, comment=comment, **(defaults | fields))


def test_a_reason_is_shown_when_the_signer_chose_to_be_shown(public_client, petition):
    _reason(petition, "Our faces are not raw material.", first_name="Amara", last_name="Okafor")

    html = _page(public_client, petition)

    assert "Why people are signing" in html
    assert "Our faces are not raw material." in html
    assert "Amara O." in html


def test_a_reason_stays_private_without_the_signers_consent(public_client, petition):
    _reason(petition, "Kept to myself.", show_name=False)

    assert "Kept to myself." not in _page(public_client, petition)


def test_a_reason_of_an_unconfirmed_signature_is_not_shown(public_client, petition):
    _reason(petition, "Not confirmed yet.", state="pending", confirmed_at=None)

    assert "Not confirmed yet." not in _page(public_client, petition)


def test_a_reason_staff_hid_leaves_the_page_and_comes_back_when_shown_again(
    public_client, petition
):
    signature = _reason(petition, "Something rude.")
    staff = UserFactory(username="moderator")

    signature_comment_hide(signature=signature, hidden=True, by=staff)
    hidden_page = _page(public_client, petition)
    signature_comment_hide(signature=signature, hidden=False, by=staff)
    _page_cache_expires()

    assert "Something rude." not in hidden_page
    assert "Why people are signing" not in hidden_page
    assert "Something rude." in _page(public_client, petition)


def test_hiding_a_reason_keeps_the_signers_name_in_the_recent_signers(public_client, petition):
    signature = _reason(petition, "Something rude.", first_name="Visible", last_name="Signer")

    signature_comment_hide(signature=signature, hidden=True, by=UserFactory())

    assert "Visible S." in _page(public_client, petition)


def test_only_a_handful_of_the_newest_reasons_are_shown_newest_first(public_client, petition):
    now = timezone.now()
    for minutes in range(PUBLIC_REASONS + 3):
        _reason(
            petition,
            f"Reason number {minutes:02d}.",
            confirmed_at=now - timezone.timedelta(minutes=minutes),
        )

    html = _page(public_client, petition)

    shown = [f"Reason number {m:02d}." for m in range(PUBLIC_REASONS + 3) if f"{m:02d}." in html]
    assert shown == [f"Reason number {m:02d}." for m in range(PUBLIC_REASONS)]
    positions = [html.index(reason) for reason in shown]
    assert positions == sorted(positions)


def test_a_confirmed_signer_gets_the_same_page_as_a_stranger(public_client, petition, mailoutbox):
    _reason(petition, "A reason on the page.")
    public_client.post(
        reverse("petitions:sign", args=[petition.slug]),
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.org",
            "country": "GB",
            "comment": "My own reason.",
            "show_name": "on",
        },
    )
    jobs_drain()
    signer = Client()
    signer.post(reverse("petitions:confirm", args=[confirm_token(mailoutbox[0])]))
    assert signer.get(reverse("petitions:visitor", args=[petition.slug])).json()["signed"]

    assert _page(signer, petition) == _page(Client(), petition)


def test_the_public_reasons_read_only_the_rows_their_partial_index_holds(petition):
    index = next(i for i in Signature._meta.indexes if i.name == "signature_public_reasons")
    shown = _reason(petition, "Shown.")
    _reason(petition, "Hidden.", comment_hidden=True)
    _reason(petition, "", first_name="Silent")
    _reason(petition, "No consent.", show_name=False)

    in_index = Signature.objects.filter(index.condition)

    assert list(in_index) == [shown]
