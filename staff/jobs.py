"""The workspace's background work: the email that carries an invitation's link, and
the run of a member import.

Invitations live in orgs, below the job ledger, so the workspace records the email
here in the same transaction that stores the invitation: a crash between the two
loses nothing, and a failed send is retried by the ledger.
"""

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse

from jobs.models import Job
from jobs.registry import job_kind, periodic
from jobs.services import job_record
from lib.mail import absolute_url, mail_send
from members.imports import member_import_fail, member_import_run, member_imports_prune
from members.models import MemberImport
from orgs.models import Invitation, Organisation
from orgs.people import invitation_create, invitation_revoke, invitation_token
from petitions.jobs import MEMBER_OPTIN_SEND

INVITATION_MAIL = "staff_invitation_mail"
INVITATION_TEMPLATE = "staff/email/invitation"


def invitation_send(*, email: str, role: str, by: User) -> Invitation:
    """Invites `email` with `role` and records the email with its link."""
    with transaction.atomic():
        invitation = invitation_create(email=email, role=role, by=by)
        job_record(kind=INVITATION_MAIL, payload={"invitation": invitation.pk})
    return invitation


def invitation_resend(*, invitation: Invitation, by: User) -> Invitation | None:
    """A new link for a pending invitation: the old one is withdrawn, a new one sent
    with a fresh expiry. None if the invitation was no longer pending."""
    with transaction.atomic():
        if not invitation_revoke(invitation=invitation, by=by):
            return None
        return invitation_send(email=invitation.email, role=invitation.role, by=by)


@job_kind(INVITATION_MAIL)
def invitation_mail(payload: dict) -> None:
    invitation = (
        Invitation.objects.pending()
        .select_related("invited_by")
        .filter(pk=payload["invitation"])
        .first()
    )
    if invitation is None:
        return  # withdrawn or expired before the worker got to it: no link to send
    link = absolute_url(reverse("staff_invitation_accept", args=[invitation_token(invitation)]))
    inviter = invitation.invited_by
    context = {
        "invitation": invitation,
        "organisation": Organisation.objects.current(),
        "inviter_name": inviter.get_full_name() or inviter.get_username(),
        "accept_url": link,
    }
    mail_send(template=INVITATION_TEMPLATE, to=invitation.email, context=context)


# Member imports: the members app owns the import (members.imports) but sits beside the
# ledger, not above it, so the workspace records and runs the job.
MEMBER_IMPORT_RUN = "member_import_run"


def member_import_job_record(import_pk: int) -> None:
    job_record(kind=MEMBER_IMPORT_RUN, payload={"import": import_pk})


@job_kind(MEMBER_IMPORT_RUN)
def member_import_job(payload: dict) -> None:
    # Each job runs a bounded share of the file, then records the next: a long import
    # never outlives its lease, and a signature spike's jobs get their turn in between.
    if member_import_run(import_pk=payload["import"], on_pending=_optin_email_record):
        member_import_job_record(payload["import"])


def _optin_email_record(member) -> None:
    # An imported member whose country asks for a confirmed opt-in gets the email that
    # asks for it, as a signer does (petitions.jobs.member_optin_send).
    job_record(kind=MEMBER_OPTIN_SEND, payload={"member": member.pk})


periodic("member_imports_prune", every=3600)(member_imports_prune)


@periodic("member_imports_settle", every=60)
def member_imports_settle() -> int:
    """Fail the running imports whose job gave up for good (after its retries), so the
    import page says so instead of "Importing" for ever. The rows saved so far stay."""
    running = MemberImport.objects.filter(state=MemberImport.State.RUNNING)
    settled = 0
    for import_pk in running.values_list("pk", flat=True)[:100]:
        latest = (
            Job.objects.filter(kind=MEMBER_IMPORT_RUN, payload__import=import_pk)
            .order_by("-pk")
            .first()
        )
        if latest is None or latest.state != Job.State.FAILED:
            continue
        reason = (latest.last_error.strip().splitlines() or ["no error recorded"])[-1]
        settled += member_import_fail(
            import_pk=import_pk,
            failure=f"The import stopped after {latest.attempts} attempts: {reason}",
        )
    return settled
