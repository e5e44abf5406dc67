"""The export log in the staff area: readable by the owner, changed by nobody."""

import pytest
from django.urls import reverse

from orgs.models import ExportRecord
from tests.factories import UserFactory
from tests.staff import PERSONAS, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(roles):
    exporter = UserFactory(username="exporter", role="Owner")
    return ExportRecord.objects.create(
        user=exporter, what="Signatures of 1 petition(s): Stop it", scope="petition ids 1"
    )


def _url(view, *args):
    return reverse(f"admin:orgs_exportrecord_{view}", args=args)


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_one_adds_changes_or_deletes_an_export_record(record, persona):
    _, client = staff_client(persona)
    before = ExportRecord.objects.values().get()

    responses = [
        client.post(_url("add"), {"user": record.user_id, "what": "made up"}),
        client.post(_url("change", record.pk), {"what": "nothing to see", "row_count": 0}),
        client.post(_url("delete", record.pk), {"post": "yes"}),
        client.post(
            _url("changelist"),
            {"action": "delete_selected", "_selected_action": [record.pk], "post": "yes"},
        ),
    ]

    assert [r.status_code for r in responses[:3]] == [403, 403, 403]
    assert ExportRecord.objects.values().get() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_owner_and_a_superuser_read_the_log_and_others_do_not(record, persona):
    _, client = staff_client(persona)

    response = client.get(_url("changelist"))

    if persona in {"owner", "superuser"}:
        assert response.status_code == 200
        assert b"Stop it" in response.content
        assert b'value="delete_selected"' not in response.content
        assert b"Add export record" not in response.content
    else:
        assert response.status_code == 403


def test_the_account_that_exported_cannot_be_deleted_so_the_log_keeps_its_name(record):
    _, client = staff_client("superuser")

    client.post(reverse("admin:auth_user_delete", args=[record.user_id]), {"post": "yes"})

    assert ExportRecord.objects.get().user.username == "exporter"
