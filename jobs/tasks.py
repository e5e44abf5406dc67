"""Tasks for the Django Tasks API: thin wrappers that call services.

Durable per-signature work never rides on the queue; it lives in the Job
ledger. The queue carries one-off staff requests (a recount) and the wake-ups.
"""

from django_tasks import task

from jobs.services import jobs_drain


@task()
def drain_jobs() -> int:
    """A wake-up: run what is due for a moment; the worker's own threads do the rest."""
    return jobs_drain(budget_seconds=1.0)


@task()
def recount_petition(petition_id: int) -> None:
    from petitions.counting import petition_recount
    from petitions.models import Petition

    petition = Petition.objects.filter(pk=petition_id).first()
    if petition is not None:
        petition_recount(petition=petition)
