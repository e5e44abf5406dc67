"""A worker killed while draining a backlog of confirmation emails, and started again:
nobody skipped, and at most the emails in flight at that instant sent twice: those the
mail server took but the worker had not yet marked done, jobs.services.MARK_EVERY per job
thread. The real worker process and a real SMTP server, on PostgreSQL (tests/worker_process).
"""

import pytest
from django.utils import timezone

from jobs import services as ledger
from jobs.models import Job
from petitions.links import new_link
from petitions.models import Signature
from petitions.services import SIGNATURE_SUBMITTED
from tests.conftest import postgres_only
from tests.worker_process import killed_and_resumed, worker_start

THREADS = 2
SIGNERS = 600
# What docs/mailings.md promises. Marking a whole batch of a hundred at its end instead
# repeated about 150 here.
IN_FLIGHT_PER_THREAD = 10


def _backlog(petition) -> set[str]:
    """What a spike leaves: pending signatures, each with the job signing records."""
    signatures = Signature.objects.bulk_create(
        Signature(
            petition=petition,
            email=f"s{n}@example.org",
            email_key=f"s{n}@example.org",
            first_name=f"S{n}",
            last_name="Signer",
            country="GB",
            language="en",
            state=Signature.State.PENDING,
            created_at=timezone.now(),
            **new_link(),
        )
        for n in range(SIGNERS)
    )
    Job.objects.bulk_create(
        Job(
            kind=SIGNATURE_SUBMITTED,
            payload={"signature": s.pk, "created": True, "net": ""},
            run_after=timezone.now(),
        )
        for s in signatures
    )
    return {s.email for s in signatures}


def _worker(smtp_port: int, log):
    # Short leases, so the killed worker's jobs come back within the test's time. The mail
    # interval stays the default five minutes: the killed worker had taken the ceiling's
    # permits for its whole batch, and the emails it had not sent must still go at once,
    # not wait behind their own earlier attempt (petitions.services.mail_ceiling).
    return worker_start(smtp_port=smtp_port, threads=THREADS, log=log, JOBS_LEASE_SECONDS="3")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_backlog_skips_nobody_and_repeats_at_most_the_unmarked(
    petition, tmp_path
):
    assert ledger.MARK_EVERY <= IN_FLIGHT_PER_THREAD
    expected = _backlog(petition)
    due = Job.objects.filter(kind=SIGNATURE_SUBMITTED, state=Job.State.DUE)
    received = killed_and_resumed(
        _worker,
        emails=SIGNERS,
        finished=lambda addresses: not due.exists() and set(addresses) == expected,
        log=tmp_path / "worker.log",
    )

    assert set(received) == expected, "someone was skipped"
    repeats = sum(count - 1 for count in received.values())
    in_flight = THREADS * IN_FLIGHT_PER_THREAD
    assert repeats <= in_flight, f"{repeats} repeated; at most {in_flight} were in flight"
    assert not Job.objects.exclude(state=Job.State.DONE).exists()
    assert Signature.objects.filter(state=Signature.State.PENDING).count() == SIGNERS
