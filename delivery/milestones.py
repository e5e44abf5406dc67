"""Milestone emails to a petition's target: "10,000 people have now signed".

A campaigner sets the target's address and the milestones on the Delivery tab
(`milestones_set`). A periodic loop (`milestones_check`) reads the folded totals; when a
petition's total has passed a milestone higher than any recorded, it records the highest
one passed (a MilestoneSent row, unique per petition and milestone) and the ledger job
that emails it, in one transaction. Two checks racing insert the same row: the unique
constraint lets one through, the other's transaction rolls back with its job, so the
target hears of each milestone once.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jobs.services import job_record
from lib.mail import absolute_url, mail_send
from orgs.models import Organisation
from petitions.models import Petition, PetitionCount

from .models import DeliveryMilestones, MilestoneSent

MILESTONE_MAIL = "delivery_milestone_mail"
MILESTONE_TEMPLATE = "delivery/email/milestone"
MOST_MILESTONES = 12
HIGHEST_MILESTONE = 100_000_000


class MilestonesRefused(ValueError):
    """Milestones that cannot be kept; the message says why."""


def milestones_parse(text: str) -> list[int]:
    """ "1,000 10 000; 100000" as [1000, 10000, 100000]: whole numbers, ascending."""
    numbers = set()
    for part in text.replace(";", " ").replace("\n", " ").split():
        digits = part.replace(",", "").replace(".", "").replace("_", "").replace("\u202f", "")
        if not digits.isdigit() or not digits.isascii():
            raise MilestonesRefused(
                _("“%(part)s” is not a whole number. Write milestones such as 1000 10000 100000.")
                % {"part": part[:20]}
            )
        value = int(digits)
        if not 1 <= value <= HIGHEST_MILESTONE:
            raise MilestonesRefused(_("Each milestone must be between 1 and 100,000,000."))
        numbers.add(value)
    if len(numbers) > MOST_MILESTONES:
        raise MilestonesRefused(_("Set at most 12 milestones."))
    return sorted(numbers)


def milestones_set(
    *, petition: Petition, target_email: str, milestones: list[int], by
) -> DeliveryMilestones:
    settings_row, _created = DeliveryMilestones.objects.update_or_create(
        petition=petition,
        defaults={"target_email": target_email, "milestones": milestones, "updated_by": by},
    )
    return settings_row


def _total(petition_id: int) -> int:
    row = PetitionCount.objects.filter(petition_id=petition_id, dimension="total", value="")
    return row.values_list("count", flat=True).first() or 0


def milestone_due(row: DeliveryMilestones, total: int) -> int | None:
    """The highest milestone `total` has passed beyond the last one recorded, if any."""
    last = MilestoneSent.objects.filter(petition_id=row.petition_id).aggregate(m=Max("milestone"))
    passed = [m for m in row.milestones if (last["m"] or 0) < m <= total]
    return max(passed) if passed else None


def milestones_check() -> int:
    """Record the milestone emails due (a periodic loop); how many it recorded."""
    recorded = 0
    rows = DeliveryMilestones.objects.exclude(target_email="").exclude(milestones=[])
    for row in rows.iterator(200):
        total = _total(row.petition_id)
        milestone = milestone_due(row, total)
        if milestone is None:
            continue
        try:
            with transaction.atomic():
                sent = MilestoneSent.objects.create(
                    petition_id=row.petition_id,
                    milestone=milestone,
                    count=total,
                    to=row.target_email,
                )
                job_record(kind=MILESTONE_MAIL, payload={"sent": sent.pk})
        except IntegrityError:
            continue  # another check recorded it first
        recorded += 1
    return recorded


def milestone_mail_send(payload: dict) -> None:
    sent = MilestoneSent.objects.select_related("petition").filter(pk=payload["sent"]).first()
    if sent is None or sent.sent_at is not None:
        return
    petition = sent.petition
    context = {
        "petition": petition,
        "organisation": Organisation.objects.current(),
        "milestone": f"{sent.milestone:,}",
        "count": f"{sent.count:,}",
        "public_url": absolute_url(petition.get_absolute_url()),
    }
    with translation.override(petition.language or settings.LANGUAGE_CODE):
        mail_send(template=MILESTONE_TEMPLATE, to=sent.to, context=context)
    MilestoneSent.objects.filter(pk=sent.pk).update(sent_at=timezone.now())
