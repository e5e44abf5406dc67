"""The signatures CSV export in the operators' admin: only with the export permission,
logged, streamed, and safe to open in a spreadsheet.

The admin is for superusers only; the export service it calls (orgs.exports) is the
one the workspace's export tab uses for owners.
"""

import csv
import io

import pytest
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.test import RequestFactory
from django.urls import reverse

from orgs.models import ExportRecord
from petitions.exports import EXPORT_COLUMNS
from petitions.models import Petition, Signature
from tests.conftest import sign_data
from tests.factories import PetitionFactory, SignatureFactory
from tests.staff import PERSONAS, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    return staff_client("superuser")


@pytest.fixture
def operator_client(operator):
    return operator[1]


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
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body, newline="")))


def test_it_streams_the_chosen_signatures(operator_client, petition):
    chosen = SignatureFactory.create_batch(3, petition=petition)
    SignatureFactory(petition=petition)

    response = _export(operator_client, "signature", chosen)

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _rows(response)
    assert [r["email"] for r in rows] == [s.email for s in chosen]
    assert list(rows[0]) == EXPORT_COLUMNS


def test_it_exports_every_signature_of_a_petition(operator_client, petition):
    SignatureFactory.create_batch(4, petition=petition)
    SignatureFactory(petition=PetitionFactory(organisation=petition.organisation))

    rows = _rows(_export(operator_client, "petition", [petition]))

    assert len(rows) == 4


@pytest.mark.parametrize("formula", FORMULAS)
def test_it_neutralises_cells_a_spreadsheet_would_run(operator_client, petition, formula):
    signature = SignatureFactory(
        petition=petition, first_name=formula, last_name=formula, comment=formula
    )

    [row] = _rows(_export(operator_client, "signature", [signature]))

    for column in ["first_name", "last_name", "comment"]:
        assert row[column] == "'" + formula


def test_formula_names_signed_through_the_form_are_neutralised_in_the_export(
    public_client, operator_client, petition
):
    public_client.post(
        reverse("petitions:sign", args=[petition.slug]),
        sign_data(first_name="=cmd|' /C calc'!A0", last_name="@SUM(1+1)", comment="+danger"),
    )
    [row] = _rows(_export(operator_client, "petition", [petition]))

    assert row["first_name"] == "'=cmd|' /C calc'!A0"
    assert row["last_name"] == "'@SUM(1+1)"
    assert row["comment"] == "'+danger"
    assert row["email"] == "grace@example.org"


def test_the_export_query_count_does_not_grow_with_rows(
    operator_client, petition, django_assert_max_num_queries
):
    few = SignatureFactory.create_batch(2, petition=petition)
    with django_assert_max_num_queries(16) as captured:
        _rows(_export(operator_client, "signature", few))
    baseline = len(captured.captured_queries)

    many = few + SignatureFactory.create_batch(40, petition=petition)
    with django_assert_max_num_queries(baseline):
        rows = _rows(_export(operator_client, "signature", many))
    assert len(rows) == 42


def test_the_public_cannot_export(public_client, petition):
    signature = SignatureFactory(petition=petition)

    response = _export(public_client, "signature", [signature])

    assert response.status_code == 302
    assert b"@example.org" not in b"".join(getattr(response, "streaming_content", [b""]))
    assert not ExportRecord.objects.exists()


# In the admin; an owner exports from the workspace.
MAY_EXPORT = {"superuser"}


def _download(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("model", ["petition", "signature"])
def test_only_a_superuser_exports_in_the_admin_and_each_export_is_logged(petition, persona, model):
    user, client = staff_client(persona)
    signatures = SignatureFactory.create_batch(2, petition=petition)
    objects = [petition] if model == "petition" else signatures

    response = _export(client, model, objects)

    if persona in MAY_EXPORT:
        body = _download(response)
        assert response.status_code == 200
        assert signatures[0].email.encode() in body
        record = ExportRecord.objects.get()
        assert (record.user, record.row_count, record.outcome) == (user, 2, "finished")
    else:
        # An analyst may still see the list page the action was posted from; no file.
        assert not response.streaming
        assert "attachment" not in response.get("Content-Disposition", "")
        assert not response.get("Content-Type", "").startswith("text/csv")
        assert not ExportRecord.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_export_action_is_offered_only_to_those_who_may_export(petition, persona):
    _, client = staff_client(persona)
    SignatureFactory(petition=petition)

    pages = [
        client.get(reverse(f"admin:petitions_{m}_changelist")) for m in ["petition", "signature"]
    ]

    offered = [b'value="export_' in page.content for page in pages]
    assert offered == [persona in MAY_EXPORT] * 2


@pytest.mark.parametrize("persona", ["campaigner", "analyst", "view_only"])
@pytest.mark.parametrize(
    ("model", "action"), [(Petition, "export_signatures"), (Signature, "export_csv")]
)
def test_the_export_itself_refuses_when_an_action_is_called_past_the_admin(
    petition, persona, model, action
):
    user, _ = staff_client(persona)
    SignatureFactory(petition=petition)
    request = RequestFactory().post("/staff/")
    request.user = user
    model_admin = admin.site._registry[model]

    with pytest.raises(PermissionDenied):
        getattr(model_admin, action)(request, model.objects.all())

    assert not ExportRecord.objects.exists()


def test_it_records_who_exported_which_petitions_and_when(operator, petition):
    other = PetitionFactory(organisation=petition.organisation, title="Another ask")
    SignatureFactory.create_batch(3, petition=petition)
    SignatureFactory(petition=other)

    user, client = operator
    _rows(_export(client, "petition", [petition, other]))

    record = ExportRecord.objects.get()
    assert record.user == user
    assert petition.title in record.what and "Another ask" in record.what
    assert record.scope == f"petition ids {petition.pk}, {other.pk}"
    assert (record.row_count, record.outcome, record.format) == (4, "finished", "csv")
    assert record.finished_at >= record.at


def test_the_log_is_written_before_the_first_row_leaves(operator_client, petition):
    SignatureFactory.create_batch(2, petition=petition)

    response = _export(operator_client, "petition", [petition])

    record = ExportRecord.objects.get()
    assert (record.outcome, record.row_count) == ("started", None)
    _rows(response)
    record.refresh_from_db()
    assert (record.outcome, record.row_count) == ("finished", 2)


def test_signatures_made_while_an_export_streams_are_counted_only_if_sent(
    operator_client, petition
):
    SignatureFactory.create_batch(2, petition=petition)
    response = _export(operator_client, "petition", [petition])
    lines = iter(response.streaming_content)
    next(lines)

    SignatureFactory.create_batch(3, petition=petition)
    sent = 1 + sum(1 for _ in lines)

    record = ExportRecord.objects.get()
    assert record.row_count == sent - 1


def test_it_records_which_signatures_were_chosen(operator_client, petition):
    chosen = SignatureFactory.create_batch(2, petition=petition)
    SignatureFactory(petition=petition)

    _rows(_export(operator_client, "signature", reversed(chosen)))

    record = ExportRecord.objects.get()
    assert record.scope == f"signature ids {chosen[0].pk}, {chosen[1].pk}"
    assert record.row_count == 2


def test_exporting_every_matching_signature_records_the_filters(operator_client, petition):
    SignatureFactory.create_batch(2, petition=petition, state="confirmed")
    SignatureFactory(petition=petition, state="pending")

    response = operator_client.post(
        reverse("admin:petitions_signature_changelist") + "?state__exact=confirmed",
        {"action": "export_csv", "select_across": "1", "_selected_action": ["0"]},
    )

    assert len(_rows(response)) == 2
    record = ExportRecord.objects.get()
    assert record.scope.endswith("filters: state__exact=confirmed")
    assert record.row_count == 2
