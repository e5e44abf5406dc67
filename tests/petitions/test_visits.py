"""Petition page views by source: noted by the page cache, folded into PetitionVisits,
shown on the dashboard beside the signatures each source brought."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from lib import visits as lib_visits
from lib.visits import visits_flush
from petitions.models import PetitionVisits
from petitions.visits import petition_visits, visits_fold
from tests.factories import OrganisationFactory, PartnerFactory, SignatureFactory
from tests.workspace.tabs import confirmed, tab_url

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.setattr(lib_visits, "_pending", lib_visits.Counter())


def test_views_served_from_the_kept_page_are_counted_by_share_tag(petition):
    client = Client()
    for query in ["", "?ch=whatsapp", "?ch=whatsapp", "?ch=whatsapp&x=1", "?ch=nonsense"]:
        assert client.get(f"/p/{petition.slug}/{query}").status_code == 200
    client.get(f"/p/{petition.slug}/", HTTP_IF_NONE_MATCH="*")  # a revisit, 304: a view too
    client.head(f"/p/{petition.slug}/")  # not a view
    visits_flush()

    assert visits_fold() == 6
    assert petition_visits(petition_id=petition.pk)[0] == {"": 3, "whatsapp": 3}


def test_a_second_fold_adds_only_new_views(petition):
    Client().get(f"/p/{petition.slug}/?ch=email")
    visits_flush()
    visits_fold()
    assert visits_fold() == 0
    Client().get(f"/p/{petition.slug}/?ch=email")
    visits_flush()
    visits_fold()

    assert PetitionVisits.objects.get(petition=petition, source="email").count == 2


def test_a_draft_petitions_page_counts_nothing(petition):
    petition.status = "draft"
    petition.save()
    Client().get(f"/p/{petition.slug}/")
    visits_flush()

    assert visits_fold() == 0


def test_the_dashboard_shows_visitors_signatures_and_the_rate_where_known(owner_client, petition):
    PetitionVisits.objects.create(petition=petition, source="whatsapp", count=40)
    confirmed(petition, 10, channel="whatsapp")
    confirmed(petition, 2, channel="facebook")

    page = owner_client.get(tab_url(petition, "dashboard/")).content.decode()

    row = re.search(r'<th scope="row">WhatsApp</th>(.*?)</tr>', page).group(1)
    assert "40 → 10 (25.0%)" in row
    facebook = re.search(r'<th scope="row">Facebook</th>(.*?)</tr>', page).group(1)
    assert facebook.endswith('<td class="num">—</td>')
    assert f"counted since {timezone.now():%-d %b %Y}" in page


def test_no_view_names_anyone(petition):
    SignatureFactory(petition=petition)
    Client().get(f"/p/{petition.slug}/?ch=x", REMOTE_ADDR="198.51.100.7")
    visits_flush()
    visits_fold()

    row = PetitionVisits.objects.values().get()
    assert set(row) == {"id", "petition_id", "source", "count", "since"}
    assert "198.51.100" not in str(row)


def test_a_partners_widget_views_give_its_row_a_rate(owner_client, petition):
    partner = PartnerFactory(organisation=petition.organisation, slug="friends", name="Friends")
    other = PartnerFactory(organisation=OrganisationFactory(), slug="strangers")
    client = Client()
    for query in ["?partner=friends"] * 4 + ["?partner=strangers", "?partner=nobody", ""]:
        assert client.get(f"/p/{petition.slug}/embed/{query}").status_code == 200
    visits_flush()
    visits_fold()
    confirmed(petition, 2, channel="widget", partner=partner)

    assert petition_visits(petition_id=petition.pk)[0] == {"widget:friends": 4, "widget": 1}
    page = owner_client.get(tab_url(petition, "dashboard/")).content.decode()
    row = re.search(r'<th scope="row">Partner: Friends</th>(.*?)</tr>', page).group(1)
    assert "4 → 2 (50.0%)" in row
    assert other.slug not in page
