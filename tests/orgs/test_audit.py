import pytest
from django.db import DatabaseError, transaction

from orgs.audit import audit_record
from orgs.models import AuditEvent
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
