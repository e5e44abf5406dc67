"""The export log in the operators' admin: read by superusers, changed by nobody.

Every other persona is refused at the admin's door (it is for superusers only).
"""

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


def _refused(response) -> bool:
    """The admin turns away a non-superuser: to its login URL, which says so with a 403."""
    return response.status_code == 302 and response["Location"].startswith("/admin/login/")


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

    if persona == "superuser":
        assert [r.status_code for r in responses[:3]] == [403, 403, 403]
    else:
        assert all(_refused(r) for r in responses)
    assert ExportRecord.objects.values().get() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_a_superuser_reads_the_log_in_the_admin(record, persona):
    _, client = staff_client(persona)

    response = client.get(_url("changelist"))

    if persona == "superuser":
        assert response.status_code == 200
        assert b"Stop it" in response.content
        assert b'value="delete_selected"' not in response.content
        assert b"Add export record" not in response.content
    else:
        assert _refused(response)


def test_the_account_that_exported_cannot_be_deleted_so_the_log_keeps_its_name(record):
    _, client = staff_client("superuser")

    client.post(reverse("admin:auth_user_delete", args=[record.user_id]), {"post": "yes"})

    assert ExportRecord.objects.get().user.username == "exporter"
