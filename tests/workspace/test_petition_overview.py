"""The overview tab: counts now, by channel and country, the last days, the latest signers."""

import pytest
from django.utils import timezone

from petitions.models import PetitionCount
from tests.factories import SignatureFactory
from tests.workspace.tabs import confirmed, tab_url

pytestmark = pytest.mark.django_db


def test_it_shows_the_confirmed_and_pending_counts_and_the_goal(owner_client, petition):
    confirmed(petition, 3)
    SignatureFactory.create_batch(2, petition=petition, state="pending")

    page = owner_client.get(tab_url(petition)).content.decode()

    assert '<p class="pt-stat-value num">3</p>' in page
    assert '<p class="pt-stat-value num">2</p>' in page
    assert '<p class="pt-stat-value num">100</p>' in page
    assert "3% reached" in page


def test_it_counts_pending_signatures_only_up_to_a_bound(owner_client, petition, monkeypatch):
    monkeypatch.setattr("petitions.selectors.PENDING_COUNT_LIMIT", 3)
    SignatureFactory.create_batch(5, petition=petition, state="pending")

    page = owner_client.get(tab_url(petition)).content.decode()

    assert '<p class="pt-stat-value num">3+</p>' in page
    assert "Counted up to 3" in page


def test_it_breaks_the_count_down_by_channel_and_country_with_shares(owner_client, petition):
    confirmed(petition, 3, country="DE", channel="whatsapp")
    confirmed(petition, 1, country="FR", channel="")

    page = owner_client.get(tab_url(petition)).content.decode()

    assert '<th scope="row">WhatsApp</th><td class="num">3</td><td class="num">75.0%</td>' in page
    assert '<th scope="row">Direct</th><td class="num">1</td><td class="num">25.0%</td>' in page
    assert '<th scope="row">Germany</th><td class="num">3</td>' in page
    assert '<th scope="row">France</th><td class="num">1</td>' in page


def test_it_shows_the_last_fourteen_days_from_the_daily_series(owner_client, petition):
    today = timezone.now().date()
    PetitionCount.objects.create(petition=petition, dimension="day", value=str(today), count=7)
    old = today - timezone.timedelta(days=20)
    PetitionCount.objects.create(petition=petition, dimension="day", value=str(old), count=99)

    page = owner_client.get(tab_url(petition)).content.decode()

    assert f'<th scope="row">{today:%a} {today.day} {today:%b}</th><td class="num">7</td>' in page
    # Not a bare "99": a random CSRF token on the page can hold those two digits.
    assert f"{old:%a} {old.day} {old:%b}" not in page
    assert '<td class="num">99</td>' not in page and ">99</text>" not in page
    assert page.count('<rect class="pt-bar"') == 14


def test_it_lists_the_latest_ten_signers_newest_first_without_their_email(owner_client, petition):
    SignatureFactory.create_batch(11, petition=petition, first_name="Old")
    newest = SignatureFactory(petition=petition, first_name="Newest", email="n@example.org")

    page = owner_client.get(tab_url(petition)).content.decode()

    assert page.count("pt-signers") == 1
    assert page.index("Newest Lovelace") < page.index("Old Lovelace")
    assert page.count("Old Lovelace") == 9
    assert f"signatures/{newest.pk}/" in page
    assert "@example.org" not in page


def test_it_links_to_the_public_page_or_to_the_preview_of_a_draft(owner_client, petition):
    assert f'href="/p/{petition.slug}/"' in owner_client.get(tab_url(petition)).content.decode()

    petition.status = "draft"
    petition.save()

    page = owner_client.get(tab_url(petition)).content.decode()
    assert f'href="/staff/petitions/{petition.pk}/preview/"' in page


def test_an_empty_petition_says_what_to_do_next(owner_client, petition):
    page = owner_client.get(tab_url(petition)).content.decode()

    assert "Nobody has signed yet" in page
    assert "Share the public page" in page


def test_its_queries_do_not_grow_with_the_signatures(
    owner_client, petition, django_assert_num_queries
):
    confirmed(petition, 2, country="DE")
    owner_client.get(tab_url(petition))  # the session's first use settles its own rows

    with django_assert_num_queries(10):
        owner_client.get(tab_url(petition))

    confirmed(petition, 30, country="FR", channel="x")
    SignatureFactory.create_batch(20, petition=petition)
    with django_assert_num_queries(10):
        owner_client.get(tab_url(petition))


@pytest.mark.parametrize("persona", ["owner_client", "campaigner_client", "analyst_client"])
def test_every_role_can_read_it(persona, petition, request):
    client = request.getfixturevalue(persona)

    assert client.get(tab_url(petition)).status_code == 200


def test_a_signed_out_visitor_is_sent_to_sign_in(client, petition):
    response = client.get(tab_url(petition))

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_an_unknown_petition_is_not_found(owner_client):
    assert owner_client.get("/staff/petitions/999999/").status_code == 404
