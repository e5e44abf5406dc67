import pytest
from django.db import DatabaseError, connection, transaction

from orgs.audit import audit_record
from orgs.models import AuditEvent
from tests.conftest import postgres_only
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_row_names_who_did_what():
    owner = UserFactory(username="olive")
    event = audit_record(by=owner, action="export", summary="Signatures CSV", target="p:1")
    assert (event.actor, event.actor_name, event.action) == (owner, "olive", "export")
    assert audit_record(by=None, action="retention", summary="x").actor_name == ""


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError):
        audit_record(by=None, action="tidy", summary="x")


def test_the_database_refuses_to_change_or_delete_a_row():
    event = audit_record(by=None, action="other", summary="kept")
    for attempt in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(summary="changed"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert AuditEvent.objects.get(pk=event.pk).summary == "kept"


def test_the_admin_refuses_to_add_change_or_delete_even_for_a_superuser():
    from tests.staff import staff_client

    _, client = staff_client("superuser")
    event = audit_record(by=None, action="other", summary="kept")
    base = "/admin/orgs/auditevent/"

    assert client.get(base).status_code == 200
    assert client.get(f"{base}{event.pk}/change/").status_code == 200  # to read
    assert client.get(f"{base}add/").status_code == 403
    assert client.post(f"{base}add/", {"summary": "new", "action": "other"}).status_code == 403
    assert client.post(f"{base}{event.pk}/change/", {"summary": "changed"}).status_code == 403
    assert client.post(f"{base}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    client.post(base, bulk)
    assert AuditEvent.objects.get(pk=event.pk).summary == "kept"


@postgres_only
def test_postgresql_refuses_to_empty_the_log_with_truncate_too():
    audit_record(by=None, action="other", summary="kept")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE orgs_auditevent")
    assert AuditEvent.objects.filter(summary="kept").exists()
