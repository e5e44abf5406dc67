"""The signatures CSV export: streamed, and safe to open in a spreadsheet."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from petitions.admin import EXPORT_COLUMNS
from tests.conftest import sign_data
from tests.factories import PetitionFactory, SignatureFactory

pytestmark = pytest.mark.django_db

FORMULAS = ['=HYPERLINK("http://x")', "+1+2", "-3", "@SUM(A1)", "\tx", "\rx"]


def _export(client, model, objects):
    return client.post(
        reverse(f"admin:petitions_{model}_changelist"),
        {
            "action": "export_csv" if model == "signature" else "export_signatures",
            "_selected_action": [o.pk for o in objects],
        },
    )


def _rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body, newline="")))


def test_it_streams_the_chosen_signatures(campaigner_client, petition):
    chosen = SignatureFactory.create_batch(3, petition=petition)
    SignatureFactory(petition=petition)

    response = _export(campaigner_client, "signature", chosen)

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _rows(response)
    assert [r["email"] for r in rows] == [s.email for s in chosen]
    assert list(rows[0]) == EXPORT_COLUMNS


def test_it_exports_every_signature_of_a_petition(campaigner_client, petition):
    SignatureFactory.create_batch(4, petition=petition)
    SignatureFactory(petition=PetitionFactory(organisation=petition.organisation))

    rows = _rows(_export(campaigner_client, "petition", [petition]))

    assert len(rows) == 4


@pytest.mark.parametrize("formula", FORMULAS)
def test_it_neutralises_cells_a_spreadsheet_would_run(campaigner_client, petition, formula):
    signature = SignatureFactory(
        petition=petition, first_name=formula, last_name=formula, comment=formula
    )

    [row] = _rows(_export(campaigner_client, "signature", [signature]))

    for column in ["first_name", "last_name", "comment"]:
        assert row[column] == "'" + formula


def test_formula_names_signed_through_the_form_are_neutralised_in_the_export(
    public_client, campaigner_client, petition
):
    public_client.post(
        reverse("petitions:sign", args=[petition.slug]),
        sign_data(first_name="=cmd|' /C calc'!A0", last_name="@SUM(1+1)", comment="+danger"),
    )
    [row] = _rows(_export(campaigner_client, "petition", [petition]))

    assert row["first_name"] == "'=cmd|' /C calc'!A0"
    assert row["last_name"] == "'@SUM(1+1)"
    assert row["comment"] == "'+danger"
    assert row["email"] == "grace@example.org"


def test_the_export_query_count_does_not_grow_with_rows(
    campaigner_client, petition, django_assert_max_num_queries
):
    few = SignatureFactory.create_batch(2, petition=petition)
    with django_assert_max_num_queries(12) as captured:
        _rows(_export(campaigner_client, "signature", few))
    baseline = len(captured.captured_queries)

    many = few + SignatureFactory.create_batch(40, petition=petition)
    with django_assert_max_num_queries(baseline):
        rows = _rows(_export(campaigner_client, "signature", many))
    assert len(rows) == 42


def test_the_public_cannot_export(public_client, petition):
    signature = SignatureFactory(petition=petition)

    response = _export(public_client, "signature", [signature])

    assert response.status_code == 302
    assert b"@example.org" not in b"".join(getattr(response, "streaming_content", [b""]))
