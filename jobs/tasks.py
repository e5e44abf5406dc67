"""Tasks for the Django Tasks API: thin wrappers that call services.

Durable per-signature work never rides on the queue; it lives in the Job
ledger. The queue carries one-off staff requests (a recount) and the wake-ups.
"""

import os
import signal

from django_tasks import task

from jobs.services import jobs_drain

# Set by chorus_worker for the task worker it starts beside its job threads.
WORKER_PID_ENV = "CHORUS_WORKER_PID"


@task()
def drain_jobs() -> int:
    """A wake-up. Under chorus_worker, it wakes the job threads and does nothing else.

    So a spike's wake-ups cost the workers a signal each, and the ledger's threads
    (at their lower priority) do the sending. A task worker started on its own runs
    the due jobs itself for a moment instead.
    """
    pid = os.environ.get(WORKER_PID_ENV, "")
    # Only our own parent: if chorus_worker died, this process now has another parent,
    # and the number may since belong to some unrelated process.
    if pid.isdigit() and int(pid) == os.getppid():
        try:
            os.kill(int(pid), signal.SIGUSR1)
            return 0
        except (ProcessLookupError, PermissionError):
            pass
    return jobs_drain(budget_seconds=1.0)


@task()
def recount_petition(petition_id: int) -> None:
    from petitions.counting import petition_recount
    from petitions.models import Petition

    petition = Petition.objects.filter(pk=petition_id).first()
    if petition is not None:
        petition_recount(petition=petition)
