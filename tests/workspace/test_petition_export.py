"""The export tab: what the file holds, who may take it, and a file spreadsheets open."""

import csv
import io

import pytest
from django.utils import timezone

from orgs.models import ExportRecord
from tests.factories import SignatureFactory
from tests.workspace.tabs import confirmed, tab_url

pytestmark = pytest.mark.django_db


def _download(client, petition, **data):
    return client.post(tab_url(petition, "export/"), data)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_page_says_what_the_file_holds_and_offers_confirmed_only_first(owner_client, petition):
    confirmed(petition, 2)

    page = owner_client.get(tab_url(petition, "export/")).content.decode()

    assert "Every export is recorded with your name" in page
    assert 'value="confirmed" id="scope-confirmed" checked' in page
    assert "(2 at the latest count)" in page


def test_the_file_is_utf8_with_a_byte_order_mark_and_keeps_accents(owner_client, petition):
    confirmed(petition, first_name="Zoë", last_name="Łukasiewicz-Ñúñez")

    response = _download(owner_client, petition, scope="confirmed")
    body = _body(response)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body.startswith(b"\xef\xbb\xbfcreated_at,")
    assert "Zoë,Łukasiewicz-Ñúñez" in body.decode("utf-8-sig")


def test_the_file_is_named_after_the_petition_and_the_day(owner_client, petition):
    response = _download(owner_client, petition, scope="confirmed")

    today = timezone.now().date().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="{petition.slug}-signatures-confirmed-{today}.csv"'
    )


def test_confirmed_only_leaves_out_pending_and_removed_signatures(owner_client, petition):
    confirmed(petition, email="yes@example.org")
    SignatureFactory(petition=petition, email="pending@example.org")
    SignatureFactory(petition=petition, email="gone@example.org", state="invalidated")

    rows = _rows(_download(owner_client, petition, scope="confirmed"))
    live = _rows(_download(owner_client, petition, scope="live"))

    assert [r["email"] for r in rows] == ["yes@example.org"]
    assert sorted(r["email"] for r in live) == ["pending@example.org", "yes@example.org"]


def test_a_cell_that_looks_like_a_formula_is_defused(owner_client, petition):
    confirmed(petition, first_name='=HYPERLINK("http://evil")', comment="@SUM(A1)")

    [row] = _rows(_download(owner_client, petition, scope="confirmed"))

    assert row["first_name"].startswith("'=")
    assert row["comment"] == "'@SUM(A1)"


def test_every_export_is_logged(owner_client, owner, petition):
    confirmed(petition, 2)

    _body(_download(owner_client, petition, scope="confirmed"))

    record = ExportRecord.objects.get()
    assert (record.user, record.row_count, record.outcome) == (owner, 2, "finished")
    assert petition.title in record.what


def test_an_unknown_choice_exports_nothing_and_says_so(owner_client, petition):
    response = _download(owner_client, petition, scope="everything")

    assert response.status_code == 400
    assert "Choose which signatures to export" in response.content.decode()
    assert not ExportRecord.objects.exists()


@pytest.mark.parametrize("persona", ["campaigner_client", "analyst_client"])
def test_only_an_owner_sees_the_tab_or_may_export(persona, petition, request):
    client = request.getfixturevalue(persona)

    overview = client.get(tab_url(petition)).content.decode()

    assert tab_url(petition, "export/") not in overview
    assert client.get(tab_url(petition, "export/")).status_code == 403
    assert _download(client, petition, scope="confirmed").status_code == 403
    assert not ExportRecord.objects.exists()


def _rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(_body(response).decode("utf-8-sig"), newline="")))
