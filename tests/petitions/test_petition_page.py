"""GET /p/<slug>/: one page for everyone, so it can be cached whole."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jobs.services import jobs_drain
from petitions.counting import counts_fold_all
from petitions.models import Petition, PetitionCount, Update
from petitions.services import petition_publish
from tests.factories import PetitionFactory, SignatureFactory
from tests.links import confirm_token

pytestmark = pytest.mark.django_db


def _url(petition):
    return reverse("petitions:detail", args=[petition.slug])


def test_it_shows_the_ask_the_target_and_the_sign_form(public_client, petition):
    response = public_client.get(_url(petition))

    assert response.status_code == 200
    html = response.content.decode()
    assert petition.title in html
    assert petition.target in html
    assert 'name="first_name"' in html and 'name="website"' in html
    assert 'property="og:title"' in html and 'name="twitter:card"' in html


def test_its_links_and_preview_tags_use_the_configured_base_url(petition, settings):
    response = Client(HTTP_HOST="evil.example").get(_url(petition))

    html = response.content.decode()
    assert f'property="og:url" content="{settings.BASE_URL}/p/{petition.slug}/"' in html
    assert "evil.example" not in html


def test_it_is_the_same_html_for_every_visitor_and_sets_no_cookie(petition):
    returning = Client()
    returning.get(reverse("petitions:visitor", args=[petition.slug]))  # holds a CSRF cookie
    assert returning.cookies.get("csrftoken")

    first = Client().get(_url(petition), HTTP_ACCEPT_LANGUAGE="en")
    second = returning.get(_url(petition) + "?ch=whatsapp&utm_source=x")

    assert first.content == second.content
    assert not first.cookies and not second.cookies
    assert not re.search(rb'name="csrfmiddlewaretoken" value="[^"]', first.content)
    assert "public" in first["Cache-Control"]


def test_it_sets_no_cookie_even_for_a_browser_with_stale_cookies(petition):
    stale = Client(HTTP_COOKIE="csrftoken=abc; sessionid=expired")

    response = stale.get(_url(petition))

    assert response.status_code == 200
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_it_stays_the_same_for_a_browser_that_already_signed(public_client, petition):
    before = Client().get(_url(petition)).content
    public_client.post(
        reverse("petitions:sign", args=[petition.slug]),
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.org",
            "country": "GB",
        },
    )

    assert public_client.get(_url(petition)).content == before


def test_it_escapes_the_story_and_keeps_only_safe_markdown(public_client, organisation):
    petition = PetitionFactory(
        organisation=organisation,
        story="**bold** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://a.example)",
    )

    html = public_client.get(_url(petition)).content.decode()

    assert "<strong>bold</strong>" in html
    assert "<script>alert(1)" not in html
    assert "javascript:" not in html
    assert 'href="https://a.example"' in html


def test_it_shows_only_signers_who_asked_to_be_shown(public_client, petition):
    SignatureFactory(
        petition=petition, state="confirmed", show_name=True, first_name="Visible", last_name="X"
    )
    SignatureFactory(petition=petition, state="confirmed", first_name="Hidden")
    SignatureFactory(petition=petition, state="pending", show_name=True, first_name="Pending")

    html = public_client.get(_url(petition)).content.decode()

    assert "Visible X." in html
    assert "Hidden" not in html and "Pending" not in html
    assert "@example.org" not in html


def test_it_hides_drafts_from_the_public(public_client, organisation):
    draft = PetitionFactory(organisation=organisation, status=Petition.Status.DRAFT)

    assert public_client.get(_url(draft)).status_code == 404
    count_url = reverse("petitions:count", args=[draft.slug])
    assert public_client.get(count_url).status_code == 404
    thanks_url = reverse("petitions:thanks", args=[draft.slug])
    assert public_client.get(thanks_url).status_code == 404


def test_an_unknown_slug_is_404(public_client, db):
    assert public_client.get("/p/no-such-petition/").status_code == 404


def test_a_published_draft_becomes_public(public_client, organisation):
    draft = PetitionFactory(organisation=organisation, status=Petition.Status.DRAFT)
    petition_publish(petition=draft)

    assert public_client.get(_url(draft)).status_code == 200


def test_count_json_gives_the_folded_count_and_the_goal(public_client, petition):
    SignatureFactory.create_batch(3, petition=petition, state="confirmed", count_dirty=True)
    SignatureFactory(petition=petition, state="pending")
    counts_fold_all()

    response = public_client.get(reverse("petitions:count", args=[petition.slug]))

    assert response.status_code == 200
    assert response.json() == {"count": 3, "goal": 100}
    assert "public" in response["Cache-Control"]
    assert not response.cookies


def test_the_visitor_state_says_signed_only_to_a_browser_that_confirmed(
    public_client, petition, mailoutbox
):
    url = reverse("petitions:visitor", args=[petition.slug])
    before = public_client.get(url).json()
    public_client.post(
        reverse("petitions:sign", args=[petition.slug]),
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "grace@example.org",
            "country": "GB",
            "csrfmiddlewaretoken": before["csrf"],
        },
    )
    # Typing an address proves nothing: anyone could have typed it.
    after_signing = public_client.get(url).json()
    jobs_drain()
    mail_app = Client()  # the link may well open in another browser
    mail_app.post(reverse("petitions:confirm", args=[confirm_token(mailoutbox[0])]))

    assert before["signed"] is False and before["csrf"]
    assert after_signing["signed"] is False
    assert mail_app.get(url).json()["signed"] is True
    assert Client().get(url).json()["signed"] is False


def _thermometer(html: str) -> dict:
    bar = re.search(r'role="progressbar"[^>]*aria-valuemax="(\d+)" aria-valuenow="(\d+)"', html)
    assert bar, "no thermometer on the page"
    return {"count": int(bar[2]), "goal": int(bar[1])}


@pytest.mark.parametrize(
    ("stored_goal", "count"),
    [
        (100, 0),
        (5_000, 3),  # a goal raised long ago stays, however few count now
        (200, 10),  # signatures removed since the goal rose
        (1_000_000, 999_999),
        (100, 85),  # counted past 80% and the goal not yet raised
        (100, 150),
    ],
)
def test_the_polled_goal_is_the_stored_goal_or_above_and_agrees_with_the_page(
    public_client, petition, stored_goal, count
):
    Petition.objects.filter(pk=petition.pk).update(goal=stored_goal)
    PetitionCount.objects.create(petition=petition, dimension="total", value="", count=count)

    polled = public_client.get(reverse("petitions:count", args=[petition.slug])).json()
    page = _thermometer(public_client.get(_url(petition)).content.decode())

    assert polled["count"] == count
    assert polled["goal"] >= stored_goal
    assert polled["goal"] > count or polled["goal"] == stored_goal
    assert page == polled


def test_an_update_scheduled_for_later_stays_off_the_page_until_its_time(public_client, petition):
    now = timezone.now()
    Update.objects.create(petition=petition, title="Out now", body="Here.", published_at=now)
    Update.objects.create(
        petition=petition,
        title="Embargoed news",
        body="Not yet.",
        published_at=now + timedelta(days=1),
    )

    page = public_client.get(_url(petition)).content.decode()

    assert "Out now" in page
    assert "Embargoed news" not in page
