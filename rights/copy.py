"""A copy of everything Chorus holds about one address, for the person it belongs to.

Found by the canonical key, so the variants of an address (dots, +tags, capitals) are
found together. The same dictionary is the readable page and the JSON download.
"""

from django.utils import timezone

from lib.mail import absolute_url
from mailings.models import Click, Recipient
from members.models import ConsentRecord, Member, Suppression
from members.services import HASHED_PREFIX, suppression_keys
from petitions.models import Signature

COPY_VERSION = 1


def _when(moment) -> str | None:
    return moment.isoformat() if moment else None


def person_copy(*, organisation, email_key: str) -> dict:
    """Everything held about the address with this key, as plain JSON-ready values."""
    member = Member.objects.filter(organisation=organisation, email_key=email_key).first()
    return {
        "format": f"chorus-personal-data/{COPY_VERSION}",
        "organisation": organisation.name,
        "made_at": _when(timezone.now()),
        "signatures": _signatures(organisation, email_key, member),
        "member": _member(member),
        "consents": _consents(member),
        "mailings": _mailings(member),
        "clicks": _clicks(member),
        "suppression": _suppression(organisation, email_key),
    }


def _signatures(organisation, email_key: str, member) -> list[dict]:
    signatures = Signature.objects.filter(petition__organisation=organisation, email_key=email_key)
    if member is not None:
        signatures = signatures | Signature.objects.filter(member=member)
    rows = []
    for signature in signatures.select_related("petition").order_by("created_at", "id"):
        rows.append(
            {
                "petition": signature.petition.title,
                "petition_url": absolute_url(signature.petition.get_absolute_url()),
                "state": signature.state,
                "email": signature.email,
                "first_name": signature.first_name,
                "last_name": signature.last_name,
                "country": str(signature.country),
                "postcode": signature.postcode,
                "comment": signature.comment,
                "comment_hidden_by_staff": signature.comment_hidden,
                "show_name_publicly": signature.show_name,
                "opted_in": signature.opt_in,
                "opt_in_wording_version": signature.opt_in_wording_version,
                "language": signature.language,
                "channel": signature.channel,
                "ip_network": signature.ip_prefix,
                "ip_hash": signature.ip_hash,
                "signed_at": _when(signature.created_at),
                "confirmed_at": _when(signature.confirmed_at),
            }
        )
    return rows


def _member(member) -> dict | None:
    if member is None:
        return None
    return {
        "email": member.email,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "country": str(member.country),
        "postcode": member.postcode,
        "language": member.language,
        "subscription": member.status,
        "subscription_changed_at": _when(member.status_changed_at),
        "subscription_reason": member.status_reason,
        "member_since": _when(member.created_at),
    }


def _consents(member) -> list[dict]:
    if member is None:
        return []
    return [
        {
            "at": _when(consent.at),
            "action": consent.action,
            "topic": consent.topic,
            "wording": consent.wording,
            "wording_version": consent.wording_version,
            "source_kind": consent.source_kind,
            "source": consent.source,
            "reason": consent.reason,
        }
        for consent in ConsentRecord.objects.filter(member=member).order_by("at", "id")
    ]


def _mailings(member) -> list[dict]:
    if member is None:
        return []
    received = (
        Recipient.objects.filter(member=member, sent_at__isnull=False)
        .select_related("mailing", "variant")
        .order_by("sent_at", "id")
    )
    return [
        {
            "subject": recipient.variant.subject
            if recipient.variant
            else recipient.mailing.subject,
            "sent_at": _when(recipient.sent_at),
            "clicks": recipient.clicks,
            "first_clicked_at": _when(recipient.first_clicked_at),
            "signed_at": _when(recipient.signed_at),
            "unsubscribed_at": _when(recipient.unsubscribed_at),
            "bounced_at": _when(recipient.bounced_at),
            "complained_at": _when(recipient.complained_at),
        }
        for recipient in received
    ]


def _clicks(member) -> list[dict]:
    if member is None:
        return []
    clicks = (
        Click.objects.filter(recipient__member=member)
        .select_related("recipient__mailing")
        .order_by("at", "id")
    )
    rows = []
    for click in clicks:
        mailing = click.recipient.mailing
        links = mailing.links if isinstance(mailing.links, list) else []
        rows.append(
            {
                "at": _when(click.at),
                "mailing": mailing.subject,
                "url": links[click.link] if click.link < len(links) else "",
            }
        )
    return rows


def _suppression(organisation, email_key: str) -> dict | None:
    # After an erasure the entry is kept under a keyed hash of the key, not the key.
    entry = (
        Suppression.objects.filter(
            organisation=organisation, email_key__in=suppression_keys(email_key)
        )
        .order_by("-at")
        .first()
    )
    if entry is None:
        return None
    kept_as = "hash" if entry.email_key.startswith(HASHED_PREFIX) else "address"
    return {
        "reason": entry.reason,
        "since": _when(entry.at),
        "note": entry.note,
        "kept_as": kept_as,
    }
