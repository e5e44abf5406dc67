"""Members: one per organisation and email key, with the consent each one gave.

Callers pass plain values (what the person typed, what they agreed to and where),
so members know nothing of petitions or any other way people reach Chorus.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction

from members.models import ConsentRecord, Member


@dataclass(frozen=True)
class Consent:
    """What a person agreed to: the exact words, their version, where and when."""

    wording: str
    wording_version: str
    source: str  # the page the choice was made on
    at: datetime
    topic: str = "email"
    signature_id: int | None = None  # the signature that carried it, so it counts once


def member_record(
    *,
    organisation_id: int,
    email: str,
    email_key: str,
    first_name: str,
    last_name: str,
    country: str,
    postcode: str = "",
    consent: Consent | None = None,
) -> Member:
    """Create or match the member behind a proven address, and record any consent given.

    The latest details win. Safe to run twice with the same values: a retried job
    changes nothing more. No consent is not a withdrawal of earlier consent.
    """
    fields = {
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "country": country,
        "postcode": postcode,
    }
    with transaction.atomic():
        member = _member_get_or_create(organisation_id, email_key, fields)
        if consent is not None:
            _consent_grant(member, consent)
    return member


def _member_get_or_create(organisation_id: int, email_key: str, fields: dict) -> Member:
    try:
        with transaction.atomic():
            member, created = Member.objects.get_or_create(
                organisation_id=organisation_id, email_key=email_key, defaults=fields
            )
    except IntegrityError:  # another worker made it a moment ago
        member = Member.objects.get(organisation_id=organisation_id, email_key=email_key)
        created = False
    if not created:
        Member.objects.filter(pk=member.pk).update(**fields)
    return member


def _consent_grant(member: Member, consent: Consent) -> None:
    defaults = {
        "member": member,
        "action": ConsentRecord.Action.GRANTED,
        "wording": consent.wording,
        "wording_version": consent.wording_version,
        "source": consent.source,
        "at": consent.at,
    }
    if consent.signature_id is None:
        ConsentRecord.objects.create(topic=consent.topic, **defaults)
    else:
        ConsentRecord.objects.get_or_create(
            signature_id=consent.signature_id, topic=consent.topic, defaults=defaults
        )
    Member.objects.filter(pk=member.pk).update(subscribed=True)
