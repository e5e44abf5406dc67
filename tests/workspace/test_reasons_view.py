"""The Reasons tab: staff see the reasons the public page shows, and hide or show any."""

import pytest
from django.urls import reverse
from django.utils import timezone

from petitions.models import Signature
from tests.factories import PetitionFactory, SignatureFactory
from tests.staff import staff_client

pytestmark = pytest.mark.django_db


def _reason(petition, comment, **fields):
    defaults = {"state": "confirmed", "show_name": True, "confirmed_at": timezone.now()}
    return SignatureFactory(petition=petition, comment=comment, **(defaults | fields))


def _list_url(petition):
    return reverse("staff:petition_reasons", args=[petition.pk])


def _hide_url(petition, signature):
    return reverse("staff:petition_reason_hide", args=[petition.pk, signature.pk])


def test_it_lists_the_public_reasons_with_the_signers_shown_name(petition):
    _reason(petition, "Our faces are ours.", first_name="Amara", last_name="Okafor")
    _reason(petition, "Not for the page.", show_name=False)
    _, client = staff_client("analyst")

    response = client.get(_list_url(petition))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Our faces are ours." in html and "Amara O." in html
    assert "Not for the page." not in html
    assert 'aria-current="page">Reasons<' in html


def test_an_analyst_sees_the_reasons_but_no_hide_button(petition):
    _reason(petition, "Our faces are ours.")
    _, client = staff_client("analyst")

    html = client.get(_list_url(petition)).content.decode()

    assert "Our faces are ours." in html
    assert ">Hide<" not in html


def test_an_analyst_cannot_hide_a_reason(petition):
    signature = _reason(petition, "Our faces are ours.")
    _, client = staff_client("analyst")

    response = client.post(_hide_url(petition, signature), {"hidden": "1"})

    assert response.status_code == 403
    assert Signature.objects.get(pk=signature.pk).comment_hidden is False


def test_a_campaigner_hides_a_reason_and_shows_it_again(petition):
    signature = _reason(petition, "Something rude.", first_name="Rude", last_name="Person")
    user, client = staff_client("campaigner")

    hidden = client.post(_hide_url(petition, signature), {"hidden": "1", "page": "1"}, follow=True)
    hidden_row = Signature.objects.get(pk=signature.pk)
    client.post(_hide_url(petition, signature), {"hidden": "0"})

    assert hidden.redirect_chain[-1][0] == _list_url(petition) + "?page=1"
    assert "Rude P.&#x27;s reason is hidden" in hidden.content.decode()
    assert (hidden_row.comment_hidden, hidden_row.hidden_by) == (True, user)
    assert Signature.objects.get(pk=signature.pk).comment_hidden is False


def test_a_signature_of_another_petition_is_not_found(petition, organisation):
    other = _reason(PetitionFactory(organisation=organisation), "Elsewhere.")
    _, client = staff_client("campaigner")

    response = client.post(_hide_url(petition, other), {"hidden": "1"})

    assert response.status_code == 404
    assert Signature.objects.get(pk=other.pk).comment_hidden is False


def test_a_hide_button_is_a_post_only_action(petition):
    signature = _reason(petition, "Our faces are ours.")
    _, client = staff_client("campaigner")

    assert client.get(_hide_url(petition, signature)).status_code == 405


def test_it_pages_without_counting_every_reason(petition, django_assert_max_num_queries):
    for minute in range(51):
        _reason(petition, f"Reason {minute}.", confirmed_at=timezone.now())
    _, client = staff_client("campaigner")

    with django_assert_max_num_queries(12):
        first = client.get(_list_url(petition)).content.decode()
    second = client.get(_list_url(petition) + "?page=2").content.decode()

    assert "Older" in first and "Newer" not in first
    assert "Newer" in second and "Older" not in second


def test_an_empty_list_says_what_will_appear_here(petition):
    _, client = staff_client("analyst")

    html = client.get(_list_url(petition)).content.decode()

    assert "No public reasons yet" in html
