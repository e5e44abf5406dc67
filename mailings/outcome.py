"""Updates and outcome emails: a petition's update sent to the signers who asked to hear.

An update is emailed as an ordinary mailing, so it goes through the one sender: the
recipients snapshotted set-wise into the ledger when its send starts, each message with
List-Unsubscribe, the footer and the rates, confirmations ahead of it. What differs is
the audience (`Mailing.Audience.SIGNERS`) and the frame (templates/mailings/email/update.*,
rendered in each member's language).

Who hears: members with a *confirmed* signature of the petition on which they ticked
"Email me about this and other campaigns" (`Signature.opt_in`), who are subscribed now
(the consent ledger's current state, so an unsubscribe, a bounce or a complaint since
wins) and whose address is not suppressed. One member, one email, however many
signatures. An update is emailed at most once: one mailing per update, held by a unique
constraint and by locking the update's row, so two presses make one mailing.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from mailings.models import Mailing, MailingEvent
from members.selectors import mailable_members
from petitions.models import Petition, Signature, Update

NAME_MAX = 200


class UpdateEmailRefused(Exception):
    """The update cannot be emailed; the message says why, for staff."""

    def __init__(self, message: str, mailing: Mailing | None = None):
        super().__init__(message)
        self.message = message
        self.mailing = mailing


def petition_signers_mailable(petition: Petition) -> QuerySet:
    """The members an update or outcome email of `petition` reaches (see the module)."""
    consented = Signature.objects.filter(
        petition_id=petition.pk,
        member_id=OuterRef("pk"),
        state=Signature.State.CONFIRMED,
        opt_in=True,
    )
    return mailable_members(petition.organisation).filter(Exists(consented))


def petition_signers_mailable_count(petition: Petition) -> int:
    return petition_signers_mailable(petition).count()


def update_mailing(update: Update) -> Mailing | None:
    """The mailing that emailed (or will email) `update`, if any."""
    return Mailing.objects.filter(update=update).first()


def update_email_problems(update: Update) -> list[str]:
    """What stops `update` from being emailed, in words staff can act on."""
    organisation = update.petition.organisation
    problems = []
    if not organisation.postal_address.strip():
        problems.append(
            "The organisation has no postal address: every email's footer must carry one "
            "(set it under Organisation)."
        )
    if not settings.MAILING_SENDERS:
        problems.append("No sender address is configured (MAILING_SENDERS).")
    if update.petition.status == Petition.Status.DRAFT:
        problems.append("The petition is a draft: publish it before emailing its signers.")
    return problems


def _defused(text: str) -> str:
    """An update's Markdown as a mailing body: braces are not merge fields here."""
    return text.replace("{{", "{ {").replace("}}", "} }")


def update_email(*, update: Update, by) -> Mailing:
    """Email `update` to the petition's consenting signers, once; the mailing.

    It is scheduled for the update's publication time (now, if that has passed): the
    mailings loop starts it and snapshots its recipients then. UpdateEmailRefused if
    the update was emailed already (its `.mailing` says by which) or cannot be.
    """
    problems = update_email_problems(update)
    if problems:
        raise UpdateEmailRefused(" ".join(problems))
    petition = update.petition
    now = timezone.now()
    with transaction.atomic():
        # Two presses at once: the second waits here, then finds the first's mailing.
        if not list(Update.objects.select_for_update().filter(pk=update.pk).values("pk")):
            raise UpdateEmailRefused("This update was deleted.")
        existing = update_mailing(update)
        if existing is not None:
            raise UpdateEmailRefused("This update has been emailed already.", existing)
        try:
            with transaction.atomic():
                mailing = Mailing.objects.create(
                    organisation=petition.organisation,
                    name=f"Update: {update.title}"[:NAME_MAX],
                    subject=" ".join(update.title.split())[:NAME_MAX],
                    preheader=" ".join(petition.title.split())[:NAME_MAX],
                    from_name=petition.organisation.email_sender_name[:100],
                    from_address=settings.MAILING_SENDERS[0],
                    body=_defused(update.body),
                    petition=petition,
                    audience=Mailing.Audience.SIGNERS,
                    update=update,
                    state=Mailing.State.SCHEDULED,
                    scheduled_at=max(now, update.published_at),
                    created_by=by,
                )
        except IntegrityError:  # SQLite has no row lock: the constraint settles it
            raise UpdateEmailRefused(
                "This update has been emailed already.", update_mailing(update)
            ) from None
        MailingEvent.objects.create(mailing=mailing, by=by, action="created")
        MailingEvent.objects.create(
            mailing=mailing,
            by=by,
            action="scheduled",
            note=f"update {update.pk} to the petition's consenting signers",
        )
    return mailing
