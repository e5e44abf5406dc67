"""The test database's flush empties the audit log, and leaves it append-only."""

import pytest
from django.db import DatabaseError, transaction

from orgs.audit import audit_record
from orgs.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_transactional_test_can_leave_rows_in_the_audit_log():
    audit_record(by=None, action="other", summary="left for the flush")


def test_the_flush_emptied_it_and_the_triggers_still_refuse_changes():
    assert not AuditEvent.objects.exists()
    event = audit_record(by=None, action="other", summary="kept")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(summary="changed")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
