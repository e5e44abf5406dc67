"""Exporting members: a streamed CSV through the one export seam, with the list's filters."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgs.models import ExportRecord
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

URL = "/staff/members/export/"
HEADER = [
    "email",
    "first_name",
    "last_name",
    "country",
    "postcode",
    "language",
    "status",
    "status_changed_at",
    "created_at",
]


def _download(response) -> tuple[str, list[list[str]]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    return text, list(csv.reader(io.StringIO(text)))


def test_the_export_is_a_utf8_csv_with_a_byte_order_mark_and_formula_safe_cells(
    owner_client, organisation
):
    MemberFactory(
        organisation=organisation,
        email="zoe@example.org",
        first_name="Zoë",
        last_name='=HYPERLINK("http://evil")',
        country="FR",
        postcode="75001",
        language="fr",
        status="subscribed",
    )

    text, rows = _download(owner_client.get(URL))

    assert text.startswith("\ufeffemail,")
    assert rows[0][0] == "\ufeffemail" and rows[0][1:] == HEADER[1:]
    assert rows[1][:7] == [
        "zoe@example.org",
        "Zoë",
        '\'=HYPERLINK("http://evil")',
        "FR",
        "75001",
        "fr",
        "subscribed",
    ]


def test_the_export_applies_the_lists_filters_and_is_logged(owner, owner_client, organisation):
    MemberFactory(
        organisation=organisation, email="de@example.org", country="DE", status="subscribed"
    )
    MemberFactory(
        organisation=organisation, email="gb@example.org", country="GB", status="subscribed"
    )
    MemberFactory(
        organisation=organisation, email="gone@example.org", country="DE", status="bounced"
    )

    _, rows = _download(owner_client.get(URL, {"status": "subscribed", "country": "DE"}))

    assert [row[0] for row in rows[1:]] == ["de@example.org"]
    record = ExportRecord.objects.get()
    assert (record.user, record.what, record.row_count, record.outcome) == (
        owner,
        "Members",
        1,
        "finished",
    )
    assert "country=DE" in record.scope and "status=subscribed" in record.scope


def test_a_bad_filter_sends_back_to_the_list_and_exports_nothing(owner_client, organisation):
    response = owner_client.get(URL, {"joined_from": "yesterday"})

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/members/?")
    assert not ExportRecord.objects.exists()


def test_the_export_takes_the_same_number_of_queries_for_many_members(owner_client, organisation):
    def queries_for_export() -> int:
        with CaptureQueriesContext(connection) as queries:
            _download(owner_client.get(URL))
        return len(queries)

    MemberFactory.create_batch(2, organisation=organisation)
    queries_for_export()  # warm up: the first request of a session makes a few more queries
    few = queries_for_export()
    MemberFactory.create_batch(40, organisation=organisation)

    assert queries_for_export() == few


@pytest.mark.parametrize("persona_client", ["campaigner_client", "analyst_client"])
def test_campaigners_and_analysts_may_not_export(request, organisation, persona_client):
    MemberFactory(organisation=organisation)

    response = request.getfixturevalue(persona_client).get(URL)

    assert response.status_code == 403
    assert "@example.org" not in response.content.decode()
    assert not ExportRecord.objects.exists()


def test_the_member_list_links_to_the_export_with_its_filters(owner_client, organisation):
    page = owner_client.get("/staff/members/", {"country": "DE"}).content.decode()

    assert f'href="{URL}?country=DE"' in page
