"""Retention: what Chorus stops holding after a while, by itself.

* Signers of petitions closed (or won) more than RETENTION_CLOSED_PETITION_MONTHS ago
  are anonymised (rights.services.signatures_anonymise), unless the address belongs to
  a member subscribed to mailings: they asked to stay in touch.
* A signature's IP hash and network prefix are dropped after IP_RETENTION_DAYS.
* Self-service links are deleted once expired.

Each pass works in bounded batches, each its own transaction with its audit row
(counts only), so a large backlog never holds a long lock.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from members.models import Member
from members.services import suppression_hide
from orgs.audit import audit_record
from petitions.models import Petition, Signature
from rights.models import RightsRequest
from rights.services import ERASED_PREFIX, member_anonymise, signatures_anonymise

BATCH = 1000
MAX_BATCHES = 50  # per pass: the loop comes back for the rest


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (clamped to the month's end)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    month += 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


def signers_due():
    """Signatures whose petition closed long enough ago, not yet anonymised, not kept."""
    cutoff = months_before(timezone.now(), settings.RETENTION_CLOSED_PETITION_MONTHS)
    closed = Petition.objects.filter(
        status__in=[Petition.Status.CLOSED, Petition.Status.WON], closed_at__lt=cutoff
    )
    subscribed = Member.objects.filter(
        organisation_id=OuterRef("petition__organisation_id"),
        email_key=OuterRef("email_key"),
        status=Member.Status.SUBSCRIBED,
    )
    return (
        Signature.objects.filter(petition__in=closed)
        .exclude(email_key__startswith=ERASED_PREFIX)
        .exclude(Exists(subscribed))
        .exclude(member__status=Member.Status.SUBSCRIBED)
    )


def ip_due():
    cutoff = timezone.now() - timedelta(days=settings.IP_RETENTION_DAYS)
    return Signature.objects.filter(created_at__lt=cutoff).filter(
        ~Q(ip_hash="") | ~Q(ip_prefix="")
    )


def links_due():
    return RightsRequest.objects.filter(expires_at__lt=timezone.now())


@dataclass
class RetentionRun:
    signers_anonymised: int = 0
    members_anonymised: int = 0
    ip_dropped: int = 0
    links_deleted: int = 0

    @property
    def total(self) -> int:
        return (
            self.signers_anonymised
            + self.members_anonymised
            + self.ip_dropped
            + self.links_deleted
        )


def _signers_anonymise(run: RetentionRun):
    """Anonymise these signatures, and the members they leave with no signature at all.

    A member not subscribed exists only because they signed: once every signature of
    theirs is anonymised, their record would keep what the signatures no longer hold.
    """

    def act(ids) -> int:
        member_ids = set(
            Signature.objects.filter(pk__in=ids, member__isnull=False).values_list(
                "member_id", flat=True
            )
        )
        changed = signatures_anonymise(ids)
        left = (
            Member.objects.filter(pk__in=member_ids)
            .exclude(status__in=[Member.Status.SUBSCRIBED, Member.Status.PENDING])
            .exclude(signatures__isnull=False)
        )
        for member in left:
            key = member.email_key
            member_anonymise(member=member)
            # An unsubscription is still honoured, without keeping the address for it.
            suppression_hide(organisation_id=member.organisation_id, email_key=key)
            run.members_anonymised += 1
        return changed

    return act


def _batches(queryset, act, audit) -> int:
    done = 0
    for _ in range(MAX_BATCHES):
        with transaction.atomic():
            ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:BATCH])
            if not ids:
                break
            changed = act(ids)
            audit(changed)
        done += changed
        if len(ids) < BATCH:
            break
    return done


def _audit(summary: str, what: str):
    def record(count: int) -> None:
        if count:
            audit_record(
                by=None,
                action="retention",
                summary=summary.format(count=count),
                detail={what: count},
            )

    return record


def _signers_audit(run: RetentionRun):
    recorded = [0]  # members already named in an earlier batch's row

    def record(count: int) -> None:
        members, recorded[0] = run.members_anonymised - recorded[0], run.members_anonymised
        if count:
            audit_record(
                by=None,
                action="retention",
                summary=f"Anonymised {count} signers of long-closed petitions"
                f" and {members} member records they left empty",
                detail={"signatures": count, "members": members},
            )

    return record


def retention_run(*, dry_run: bool = False) -> RetentionRun:
    """One pass of the retention rules; with dry_run, how much a pass would change now."""
    if dry_run:
        return RetentionRun(
            signers_anonymised=signers_due().count(),
            ip_dropped=ip_due().count(),
            links_deleted=links_due().count(),
        )
    run = RetentionRun()
    run.signers_anonymised = _batches(signers_due(), _signers_anonymise(run), _signers_audit(run))
    run.ip_dropped = _batches(
        ip_due(),
        lambda ids: Signature.objects.filter(pk__in=ids).update(ip_hash="", ip_prefix=""),
        _audit("Dropped IP hashes and networks of {count} signatures", "signatures"),
    )
    run.links_deleted = links_due().delete()[0]
    return run
