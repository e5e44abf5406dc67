"""The public page after the outcome: the victory banner or the closed notice, the
target's response in its own block (escaped), and the sign form only while signing goes
on; a sign POST on a stopped petition is refused clearly and stores nothing."""

import datetime

import pytest
from django.urls import reverse

from petitions.models import Petition, Signature
from petitions.services import (
    OutcomeRefused,
    petition_close,
    petition_declare_victory,
    petition_response_set,
    petition_signing_after_victory,
    signature_create,
)
from petitions.services.signing import PetitionClosed
from tests.conftest import REQUEST_META, sign_data
from tests.factories import PetitionFactory

pytestmark = pytest.mark.django_db


def page(client, petition) -> str:
    response = client.get(reverse("petitions:detail", args=[petition.slug]))
    assert response.status_code == 200
    return response.content.decode()


def sign(client, petition, **overrides):
    return client.post(reverse("petitions:sign", args=[petition.slug]), sign_data(**overrides))


def test_a_won_petition_shows_the_banner_and_stops_signing_by_default(public_client, petition):
    petition_declare_victory(petition=petition)
    html = page(public_client, petition)
    assert "Victory! This petition has won." in html
    assert "still collecting signatures" not in html
    assert 'name="first_name"' not in html and "Signatures are closed" in html
    assert not Petition.objects.get(pk=petition.pk).is_open


def test_a_won_petition_can_keep_collecting_signatures(public_client, petition):
    petition_declare_victory(petition=petition, keep_signing=True)
    html = page(public_client, petition)
    assert "Victory! This petition has won." in html
    assert "It is still collecting signatures" in html
    assert 'name="first_name"' in html

    response = sign(public_client, petition)
    assert response.status_code == 302
    assert Signature.objects.filter(petition=petition).count() == 1


@pytest.mark.parametrize("outcome", ["won", "closed"])
def test_a_sign_post_on_a_stopped_petition_says_so_and_stores_nothing(
    public_client, petition, outcome
):
    if outcome == "won":
        petition_declare_victory(petition=petition)
    else:
        petition_close(petition=petition)
    response = sign(public_client, petition)
    assert response.status_code == 400
    assert "no longer takes signatures" in response.content.decode()
    assert not Signature.objects.exists()
    with pytest.raises(PetitionClosed):
        signature_create(
            petition=Petition.objects.get(pk=petition.pk),
            data=sign_data(),
            request_meta=REQUEST_META,
        )
    assert not Signature.objects.exists()


def test_signing_can_stop_and_start_again_after_the_victory(
    public_client, petition, django_capture_on_commit_callbacks
):
    petition_declare_victory(petition=petition, keep_signing=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert petition_signing_after_victory(petition=petition, keep_signing=False, by=None)
    assert 'name="first_name"' not in page(public_client, petition)
    assert sign(public_client, petition).status_code == 400
    # The sign path's copy of the petition is dropped too: the next POST signs.
    with django_capture_on_commit_callbacks(execute=True):
        assert petition_signing_after_victory(petition=petition, keep_signing=True, by=None)
    assert sign(public_client, petition).status_code == 302
    assert not petition_signing_after_victory(petition=petition, keep_signing=True, by=None)


def test_only_a_won_petition_can_choose_to_keep_signing(petition):
    petition_close(petition=petition)
    with pytest.raises(OutcomeRefused):
        petition_signing_after_victory(petition=petition, keep_signing=True, by=None)
    assert not Petition.objects.get(pk=petition.pk).keeps_signing


def test_a_closed_petition_shows_the_notice(public_client, petition):
    petition_close(petition=petition)
    html = page(public_client, petition)
    assert "This petition is closed and no longer takes signatures." in html
    assert "Victory!" not in html


def test_the_response_is_shown_in_its_own_block_with_date_and_link(public_client, petition):
    petition_response_set(
        petition=petition,
        text="We will stop by March.\n\nThank you.",
        on=datetime.date(2026, 3, 3),
        url="https://photocircle.example/response",
        by=None,
    )
    html = page(public_client, petition)
    block = html.split('<section class="response"', 1)[1].split("</section>", 1)[0]
    assert "PhotoCircle, the social network responded on 3 March 2026" in block
    assert "<p>We will stop by March.</p>" in block and "<p>Thank you.</p>" in block
    assert 'href="https://photocircle.example/response"' in block


def test_hostile_response_text_is_shown_as_text(public_client, petition):
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)> "quoted" & {{ x }}'
    petition_response_set(
        petition=petition, text=hostile, on=datetime.date(2026, 3, 3), url="", by=None
    )
    html = page(public_client, petition)
    block = html.split('<section class="response"', 1)[1].split("</section>", 1)[0]
    assert "<script>" not in block and "<img" not in block
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in block
    assert "{{ x }}" in block


@pytest.mark.parametrize(
    ("text", "on", "url", "message"),
    [
        ("Yes", None, "", "date"),
        ("Yes", datetime.date(2999, 1, 1), "", "future"),
        ("Yes", datetime.date(2026, 3, 3), "javascript:alert(1)", "web address"),
        ("Yes", datetime.date(2026, 3, 3), "https://" + "a" * 600, "web address"),
        ("", datetime.date(2026, 3, 3), "", "Write the response"),
        ("x" * 5001, datetime.date(2026, 3, 3), "", "5,000"),
        ("bad \u202e text", datetime.date(2026, 3, 3), "", "The response"),
    ],
)
def test_a_bad_response_is_refused_and_nothing_changes(petition, text, on, url, message):
    with pytest.raises(OutcomeRefused, match=message):
        petition_response_set(petition=petition, text=text, on=on, url=url, by=None)
    petition.refresh_from_db()
    assert petition.response_text == "" and petition.response_on is None


def test_clearing_every_field_removes_the_response(public_client, petition):
    petition_response_set(
        petition=petition, text="Yes", on=datetime.date(2026, 3, 3), url="", by=None
    )
    assert petition_response_set(petition=petition, text="", on=None, url="", by=None)
    assert 'class="response"' not in page(public_client, petition)


def test_the_kept_page_is_dropped_when_the_outcome_changes(
    public_client, petition, django_capture_on_commit_callbacks
):
    assert "Victory!" not in page(public_client, petition)  # now kept by the page cache
    with django_capture_on_commit_callbacks(execute=True):
        petition_declare_victory(petition=petition)
    assert "Victory!" in page(public_client, petition)
    with django_capture_on_commit_callbacks(execute=True):
        petition_response_set(
            petition=petition, text="Agreed.", on=datetime.date(2026, 3, 3), url="", by=None
        )
    assert "Agreed." in page(public_client, petition)


def test_every_kept_page_of_the_petition_is_dropped_and_no_other(
    public_client, petition, organisation, django_capture_on_commit_callbacks
):
    from chorus.pagecache import kept_pages

    other = PetitionFactory(organisation=organisation)
    kept_pages.set((f"/p/{petition.slug}/signers/", "fr"), "kept", 60)
    kept_pages.set((f"/p/{other.slug}/", "en"), "kept", 60)
    with django_capture_on_commit_callbacks(execute=True):
        petition_close(petition=petition)
    assert kept_pages.get_fresh((f"/p/{petition.slug}/signers/", "fr")) is None
    assert kept_pages.get_fresh((f"/p/{other.slug}/", "en")) == "kept"
