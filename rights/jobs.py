"""The rights app's background work: answering self-service requests, and retention."""

from jobs.registry import job_kind, periodic
from jobs.services import job_record
from rights.retention import retention_run
from rights.services import RIGHTS_REQUEST, rights_request_process

RETENTION_EVERY = 6 * 3600


@job_kind(RIGHTS_REQUEST)
def rights_request(payload: dict) -> None:
    """Email the link if anything is held; a request the mail ceiling holds waits."""
    outcome = rights_request_process(request_id=payload.get("request"))
    if outcome.retry_after is not None:
        job_record(kind=RIGHTS_REQUEST, payload=payload, delay=outcome.retry_after)


@periodic("rights_retention", every=RETENTION_EVERY)
def retention() -> int:
    return retention_run().total
