"""jobs.leases on a table of its own: the shape of the coming per-recipient mailing ledger.

One row per mailing and member, claimed in batches of one mailing, with no generic
job row behind it. The table exists only for these tests.
"""

from datetime import timedelta

import pytest
from django.db import connection, models
from django.test.utils import isolate_apps
from django.utils import timezone
from freezegun import freeze_time

from jobs.leases import (
    Leased,
    LeasePolicy,
    lease_done,
    lease_fail,
    lease_renew,
    leases_claim,
    leases_retry,
)

POLICY = LeasePolicy(lease=timedelta(seconds=30), max_attempts=3)


@pytest.fixture
def recipients(transactional_db):
    with isolate_apps("jobs"):

        class Recipient(Leased):
            mailing = models.PositiveIntegerField()
            member = models.PositiveIntegerField()
            sent_at = models.DateTimeField(null=True)

            class Meta:
                app_label = "jobs"
                db_table = "leasetest_recipient"

        with connection.schema_editor() as editor:
            editor.create_model(Recipient)
        try:
            yield Recipient
        finally:
            with connection.schema_editor() as editor:
                editor.delete_model(Recipient)


def _rows(model, mailing, members, **fields):
    now = timezone.now()
    return [
        model.objects.create(mailing=mailing, member=m, run_after=now, **fields) for m in members
    ]


def test_a_batch_of_one_mailing_is_leased_and_no_one_else_gets_it(recipients):
    _rows(recipients, 1, range(5))
    _rows(recipients, 2, range(5))

    batch = leases_claim(recipients.objects.filter(mailing=1), limit=3, policy=POLICY)

    assert [(r.mailing, r.attempts) for r in batch] == [(1, 1)] * 3
    rest = leases_claim(recipients.objects.filter(mailing=1), limit=10, policy=POLICY)
    assert len(rest) == 2
    assert not {r.pk for r in batch} & {r.pk for r in rest}
    assert leases_claim(recipients.objects.filter(mailing=1), limit=10, policy=POLICY) == []


def test_rows_a_dead_worker_leased_come_back_when_the_lease_runs_out(recipients):
    _rows(recipients, 1, range(2))
    leases_claim(recipients.objects.all(), limit=10, policy=POLICY)

    with freeze_time(timezone.now() + POLICY.lease + timedelta(seconds=1)):
        again = leases_claim(recipients.objects.all(), limit=10, policy=POLICY)

    assert [r.attempts for r in again] == [2, 2]


def test_done_marks_the_row_with_its_own_columns_and_frees_the_lease(recipients):
    [row] = _rows(recipients, 1, [7])
    [row] = leases_claim(recipients.objects.all(), limit=1, policy=POLICY)
    sent = timezone.now()

    lease_done(row, sent_at=sent)

    row.refresh_from_db()
    assert (row.state, row.leased_until, row.sent_at) == (Leased.State.DONE, None, sent)
    assert leases_claim(recipients.objects.all(), limit=1, policy=POLICY) == []


def test_a_failure_backs_off_then_fails_for_good_and_staff_can_retry(recipients):
    [row] = _rows(recipients, 1, [7])
    waits = []
    for _ in range(POLICY.max_attempts):
        with freeze_time(timezone.now() + timedelta(days=len(waits))):
            [row] = leases_claim(recipients.objects.all(), limit=1, policy=POLICY)
            failed = lease_fail(row, error="550 mailbox unavailable", policy=POLICY)
            row.refresh_from_db()
            waits.append(row.run_after - timezone.now())

    assert failed and row.state == Leased.State.FAILED
    assert row.last_error == "550 mailbox unavailable"
    assert waits[0] < waits[1]  # the backoff grows
    leases_retry(recipients.objects.filter(pk=row.pk))
    row.refresh_from_db()
    assert (row.state, row.attempts) == (Leased.State.DUE, 0)


def test_a_worker_whose_lease_was_taken_over_does_not_renew_it(recipients):
    _rows(recipients, 1, [7])
    [mine] = leases_claim(recipients.objects.all(), limit=1, policy=POLICY)

    with freeze_time(timezone.now() + POLICY.lease + timedelta(seconds=1)):
        [theirs] = leases_claim(recipients.objects.all(), limit=1, policy=POLICY)
        assert not lease_renew(mine, policy=POLICY)
        assert lease_renew(theirs, policy=POLICY)
