"""The delivery app's background work: making a pack, pruning old ones, and the
milestone emails to a petition's target."""

from jobs.registry import job_kind, periodic
from jobs.services import job_record

from .milestones import MILESTONE_MAIL, milestone_mail_send, milestones_check
from .packs import PACK_RUN, pack_run, packs_prune


@job_kind(PACK_RUN)
def pack_run_job(payload: dict) -> None:
    # Each job writes a bounded share of the CSV, then records the next: a pack of a
    # million rows never outlives a lease, and signers' emails get their turn between.
    if pack_run(pack_pk=payload["pack"]):
        job_record(kind=PACK_RUN, payload=payload)


periodic("delivery_packs_prune", every=3600)(packs_prune)
periodic("delivery_milestones_check", every=60)(milestones_check)
job_kind(MILESTONE_MAIL)(milestone_mail_send)
