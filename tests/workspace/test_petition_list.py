"""The workspace's petition list: status, confirmed count, goal and a 14-day trend."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from petitions.models import Petition, PetitionCount
from tests.factories import PetitionFactory
from tests.staff import staff_client

pytestmark = pytest.mark.django_db

URL = "/staff/petitions/"


def _counts(petition, total, days: dict[int, int]):
    PetitionCount.objects.create(petition=petition, dimension="total", value="", count=total)
    today = timezone.now().date()
    for back, count in days.items():
        PetitionCount.objects.create(
            petition=petition,
            dimension="day",
            value=(today - timedelta(days=back)).isoformat(),
            count=count,
        )


def test_it_shows_each_petition_with_status_count_goal_and_trend(organisation):
    petition = PetitionFactory(organisation=organisation, title="Save the library")
    _counts(petition, 1234, {0: 12, 3: 300, 20: 900})
    _, client = staff_client("analyst")

    page = client.get(URL).content.decode()

    assert "Save the library" in page
    assert "Open for signatures" in page
    assert "1,234" in page
    assert "2,000" in page  # the automatic goal's next step
    # Only the last 14 days: 12 + 300, not the 900 of three weeks ago.
    assert "312 signatures in the last 14 days" in page
    assert "<polyline" in page and 'style="' not in page


def test_a_petition_without_counts_shows_zero_and_a_flat_line(organisation):
    PetitionFactory(organisation=organisation)
    _, client = staff_client("campaigner")

    page = client.get(URL).content.decode()

    assert "0 signatures in the last 14 days" in page


def test_newest_first_and_filtered_by_status(organisation):
    PetitionFactory(organisation=organisation, title="Older open one")
    PetitionFactory(organisation=organisation, title="Newer draft", status="draft")
    _, client = staff_client("campaigner")

    everything = client.get(URL).content.decode()
    drafts = client.get(URL, {"status": "draft"}).content.decode()

    assert everything.index("Newer draft") < everything.index("Older open one")
    assert "Newer draft" in drafts and "Older open one" not in drafts


def test_an_unknown_status_filter_shows_everything(organisation):
    PetitionFactory(organisation=organisation, title="Still listed")
    _, client = staff_client("campaigner")

    response = client.get(URL, {"status": "<script>"})

    assert response.status_code == 200 and "Still listed" in response.content.decode()


def test_the_empty_list_says_what_to_do(db):
    _, client = staff_client("campaigner")

    page = client.get(URL).content.decode()

    assert "No petitions yet" in page and "/staff/petitions/new/" in page


def test_new_petition_is_offered_only_to_those_who_can_add(organisation):
    _, campaigner = staff_client("campaigner")
    _, analyst = staff_client("analyst")

    assert 'href="/staff/petitions/new/"' in campaigner.get(URL).content.decode()
    assert 'href="/staff/petitions/new/"' not in analyst.get(URL).content.decode()


def test_each_title_links_to_the_petitions_own_page(organisation):
    petition = PetitionFactory(organisation=organisation)
    _, client = staff_client("campaigner")

    page = client.get(URL).content.decode()

    assert f'href="/staff/petitions/{petition.pk}/' in page


def test_the_query_count_does_not_grow_with_petitions(organisation):
    _, client = staff_client("campaigner")
    PetitionFactory(organisation=organisation)
    client.get(URL)  # warm the organisation cache

    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for n in range(30):
        petition = PetitionFactory(organisation=organisation, status=Petition.Status.values[n % 4])
        _counts(petition, n, {0: n, 1: 1})
    with CaptureQueriesContext(connection) as many:
        client.get(URL)

    assert len(many) == len(one)


def test_the_list_takes_a_fixed_number_of_queries(organisation, django_assert_num_queries):
    _, client = staff_client("campaigner")
    for n in range(5):
        _counts(PetitionFactory(organisation=organisation), n, {0: n})
    client.get(URL)  # warm the organisation cache

    # The frame's five (session, user, OTP device, the user's and the groups' permissions)
    # and the role names; then the status tabs' counts, the paginator's count, the page's
    # petitions, and one query for all their totals and daily counts.
    with django_assert_num_queries(10):
        assert client.get(URL).status_code == 200
