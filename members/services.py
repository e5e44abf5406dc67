"""Members: one per organisation and email key, made from confirmed signatures."""

from django.db import IntegrityError, transaction

from jobs.services import job_handler
from members.consent import OPT_IN_WORDING
from members.models import ConsentRecord, Member
from petitions.models import Signature


def member_from_signature(*, signature: Signature) -> Member:
    """Create or match the member behind a confirmed signature, and record consent.

    Safe to run twice for the same signature: a retried job changes nothing more.
    """
    with transaction.atomic():
        member = _member_get_or_create(signature)
        if signature.member_id != member.pk:
            Signature.objects.filter(pk=signature.pk).update(member=member)
        # Leaving the box unticked is not a withdrawal of earlier consent.
        if signature.opt_in:
            _consent_grant(member, signature)
    return member


def _member_get_or_create(signature: Signature) -> Member:
    organisation_id = signature.petition.organisation_id
    fields = {
        "email": signature.email,
        "first_name": signature.first_name,
        "last_name": signature.last_name,
        "country": signature.country,
        "postcode": signature.postcode,
    }
    try:
        with transaction.atomic():
            member, created = Member.objects.get_or_create(
                organisation_id=organisation_id, email_key=signature.email_key, defaults=fields
            )
    except IntegrityError:  # another worker made it a moment ago
        member = Member.objects.get(organisation_id=organisation_id, email_key=signature.email_key)
        created = False
    if not created:
        # The latest confirmed signature carries the freshest details.
        Member.objects.filter(pk=member.pk).update(**fields)
    return member


def _consent_grant(member: Member, signature: Signature) -> None:
    wording = OPT_IN_WORDING.format(organisation=signature.petition.organisation.name)
    ConsentRecord.objects.get_or_create(
        signature=signature,
        topic="email",
        defaults={
            "member": member,
            "action": ConsentRecord.Action.GRANTED,
            "wording": wording,
            "wording_version": signature.opt_in_wording_version,
            "source": signature.petition.get_absolute_url(),
            "at": signature.created_at,
        },
    )
    Member.objects.filter(pk=member.pk).update(subscribed=True)


@job_handler("signature_confirmed")
def handle_signature_confirmed(payload: dict) -> None:
    signature = (
        Signature.objects.select_related("petition__organisation")
        .filter(pk=payload["signature"])
        .first()
    )
    if signature is None or signature.state != Signature.State.CONFIRMED:
        return  # erased or invalidated since: nothing to record
    member_from_signature(signature=signature)
