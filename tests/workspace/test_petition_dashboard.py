"""The dashboard tab: every figure checked against the signatures behind it."""

import re
from collections import Counter
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from petitions.counting import counts_fold_all
from petitions.models import PetitionCount, Signature
from tests.factories import PartnerFactory, SignatureFactory
from tests.staff import PERSONAS, staff_client
from tests.workspace.tabs import tab_url

pytestmark = pytest.mark.django_db


def dashboard(client, petition) -> str:
    response = client.get(tab_url(petition, "dashboard/"))
    assert response.status_code == 200
    return response.content.decode()


def table(page: str, table_id: str) -> dict[str, list[str]]:
    """A table of the page as {row heading's data attribute or text: [cells]}."""
    body = re.search(rf'<table class="ws-table" id="{table_id}">(.*?)</table>', page, re.S)
    assert body, f"no table {table_id}"
    rows = {}
    for row in re.findall(r"<tr><th scope=\"row\"(.*?)</tr>", body.group(1), re.S):
        attrs, _, rest = row.partition(">")
        key = re.search(r'data-[a-z]+="([^"]*)"', attrs)
        heading, _, cells = rest.partition("</th>")
        cells = [unescape(c) for c in re.findall(r"<td class=\"num\">(.*?)</td>", cells)]
        rows[unescape(key.group(1) if key else heading)] = cells
    return rows


def number(cell: str) -> int:
    return int(cell.replace(",", ""))


def sign(petition, n, *, at, **fields):
    return SignatureFactory.create_batch(
        n, petition=petition, state="confirmed", confirmed_at=at, count_dirty=True, **fields
    )


def test_the_hourly_table_matches_the_signatures_hour_by_hour_with_every_hour_present(
    owner_client, petition
):
    now = timezone.now()
    sign(petition, 3, at=now)
    sign(petition, 2, at=now - timedelta(hours=5))
    sign(petition, 4, at=now - timedelta(hours=71))
    sign(petition, 6, at=now - timedelta(hours=80))  # before the window
    counts_fold_all()

    hours = table(dashboard(owner_client, petition), "table-hours")

    assert len(hours) == 72
    expected = Counter(
        f"{s.confirmed_at:%Y-%m-%dT%H}" for s in Signature.objects.filter(petition=petition)
    )
    for hour, (cell,) in hours.items():
        assert number(cell) == expected.get(hour, 0), hour
    assert sum(number(cell) for (cell,) in hours.values()) == 9


def test_the_daily_table_and_running_total_match_the_signatures(owner_client, petition):
    now = timezone.now()
    petition.published_at = now - timedelta(days=10)
    petition.save()
    sign(petition, 5, at=now - timedelta(days=8))
    sign(petition, 7, at=now)
    counts_fold_all()

    days = table(dashboard(owner_client, petition), "table-days")

    assert len(days) == 11
    expected = Counter(
        f"{s.confirmed_at:%Y-%m-%d}" for s in Signature.objects.filter(petition=petition)
    )
    running = 0
    for day, (count, total) in days.items():
        running += expected.get(day, 0)
        assert (number(count), number(total)) == (expected.get(day, 0), running), day
    assert running == 12


def test_countries_in_the_table_bars_and_map_match_the_signatures(owner_client, petition):
    now = timezone.now()
    sign(petition, 4, at=now, country="DE")
    sign(petition, 2, at=now, country="FR")
    sign(petition, 1, at=now, country="BM")  # Bermuda: no tile on the map
    counts_fold_all()

    page = dashboard(owner_client, petition)

    rows = table(page, "table-countries")
    assert {code: number(cells[0]) for code, cells in rows.items()} == {"DE": 4, "FR": 2, "BM": 1}
    assert "<title>Germany: 4</title>" in page
    assert "<title>France: 2</title>" in page
    assert "Not on the map (the table has them): Bermuda." in page
    assert re.search(r">Germany</text><rect [^>]*/><text [^>]*>4</text>", page)


def test_the_bar_chart_keeps_fifteen_countries_and_folds_the_rest_into_other(
    owner_client, petition
):
    codes = ["DE", "FR", "ES", "IT", "PT", "NL", "BE", "AT", "CH", "PL", "SE", "NO", "DK"]
    codes += ["FI", "IE", "GB", "US", "CA"]
    for rank, code in enumerate(codes):
        PetitionCount.objects.create(
            petition=petition, dimension="country", value=code, count=100 - rank
        )

    page = dashboard(owner_client, petition)

    assert ">Other (3 countries)</text>" in page
    assert re.search(r">Other \(3 countries\)</text><rect [^>]*/><text [^>]*>252</text>", page)
    assert len(table(page, "table-countries")) == 18


def test_sources_name_channels_mailings_partners_and_direct(owner_client, petition):
    partner = PartnerFactory(organisation=petition.organisation, name="Friends of the Earth")
    now = timezone.now()
    sign(petition, 3, at=now, channel="whatsapp")
    sign(petition, 2, at=now, channel="mailing")
    sign(petition, 4, at=now, channel="widget", partner=partner)
    sign(petition, 1, at=now, channel="")
    counts_fold_all()

    rows = table(dashboard(owner_client, petition), "table-sources")

    assert {label: number(cells[0]) for label, cells in rows.items()} == {
        "WhatsApp": 3,
        "Mailing": 2,
        "Partner: Friends of the Earth": 4,
        "Direct": 1,
    }
    assert rows["Partner: Friends of the Earth"][1] == "40.0%"


def test_the_confirmation_rate_and_the_goal(owner_client, petition):
    sign(petition, 3, at=timezone.now())
    SignatureFactory(petition=petition, state="pending")
    SignatureFactory(petition=petition, state="fraudulent")
    counts_fold_all()

    page = dashboard(owner_client, petition)

    assert '<p class="pt-stat-value num" data-figure="confirmation-rate">75.0%</p>' in page
    assert '<p class="pt-stat-value num" data-figure="confirmed">3</p>' in page
    assert "3% of the goal of 100; 97 to go." in page


def test_a_petition_without_confirmation_has_no_rate(owner_client, petition):
    petition.require_confirmation = False
    petition.save()

    page = dashboard(owner_client, petition)

    assert "counts signatures without an email link" in page


def test_an_empty_petition_shows_zeros_and_says_so(owner_client, petition):
    page = dashboard(owner_client, petition)

    assert len(table(page, "table-hours")) == 72
    assert page.count("No confirmed signatures yet.") == 2
    assert "A world map" not in page
    assert "Nobody has signed yet." in page


def test_hostile_values_in_the_counts_are_escaped(owner_client, petition):
    hostile = '<script>alert("x")</script>'
    for dimension in ("country", "channel", "partner", "day", "hour"):
        PetitionCount.objects.create(
            petition=petition, dimension=dimension, value=hostile[:20], count=3
        )
    PetitionCount.objects.create(petition=petition, dimension="total", value="", count=3)

    page = dashboard(owner_client, petition)

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page


def test_it_reads_no_signature_rows_for_the_charts(
    owner_client, petition, django_assert_max_num_queries
):
    sign(petition, 5, at=timezone.now(), country="DE")
    counts_fold_all()

    with django_assert_max_num_queries(16) as queries:
        dashboard(owner_client, petition)

    signature_reads = [q["sql"] for q in queries if 'FROM "petitions_signature"' in q["sql"]]
    assert len(signature_reads) == 1  # the bounded pending count, with its LIMIT
    assert "LIMIT" in signature_reads[0]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_role_that_may_view_the_petition_sees_its_dashboard(persona, petition):
    _, client = staff_client(persona)

    response = client.get(tab_url(petition, "dashboard/"))

    assert response.status_code == 200


def test_the_dashboard_is_the_first_tab(owner_client, petition):
    page = owner_client.get(tab_url(petition)).content.decode()

    tabs = re.findall(r'<li><a href="([^"]+)"', page.split('class="ws-tabs"')[1])
    assert tabs[0] == tab_url(petition, "dashboard/")


def test_it_only_answers_reads(owner_client, petition):
    assert owner_client.post(tab_url(petition, "dashboard/")).status_code == 405
