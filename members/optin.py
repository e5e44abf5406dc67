"""The confirmed opt-in: one email to a member awaiting it, and the link that subscribes.

A member whose country asks for a confirmed opt-in, and whose address nothing has
proven, waits as "Awaiting opt-in" (members.services.member_subscribe). Petitions'
worker sends them one email (it owns the mail ceiling for unproven addresses); its
link, pressed, subscribes them through member_subscribe with the email's own question
as the consent. Links are derived from a stored nonce and SECRET_KEY, as confirmation
links are: the row keeps the nonce and the link's hash, never the link.
"""

import base64
import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from members.consent import (
    CONFIRMED_OPT_IN_SOURCE,
    CONFIRMED_OPT_IN_VERSION,
    CONFIRMED_OPT_IN_WORDING,
    wording_in,
)
from members.models import ConsentRecord, Member, OptInLink, Suppression
from members.services import LIFTED_BY_OPT_IN, Consent, member_subscribe

# What a derived link looks like: anything else is refused before the database is asked.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def optin_token(nonce: str) -> str:
    digest = salted_hmac("chorus.members.optin", nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def optin_wanted(*, member: Member) -> bool:
    """Whether the member still waits for a confirmed opt-in that may be emailed."""
    if member.status != Member.Status.PENDING:
        return False
    reason = (
        Suppression.objects.filter(
            organisation_id=member.organisation_id, email_key=member.email_key
        )
        .values_list("reason", flat=True)
        .first()
    )
    return reason is None or reason in LIFTED_BY_OPT_IN


def optin_email_due(*, member: Member) -> bool:
    """Whether the member waits for an opt-in email that no valid link has carried yet."""
    if not optin_wanted(member=member):
        return False
    return not OptInLink.objects.filter(
        member=member, used_at__isnull=True, sent_at__isnull=False, expires_at__gt=timezone.now()
    ).exists()


def optin_link_claim(*, member: Member) -> str | None:
    """A fresh link for the one opt-in email about to go out; None if one is out already.

    Claimed in the database, so two workers (or a retried job) send one email. A link
    that expired unused may be replaced by a new email; one still valid is not.
    """
    now = timezone.now()
    nonce = secrets.token_urlsafe(16)
    token = optin_token(nonce)
    fields = {
        "token_nonce": nonce,
        "token_hash": _hash(token),
        "expires_at": now + timedelta(days=settings.MEMBER_OPTIN_DAYS),
        "sent_at": now,
        "used_at": None,
    }
    with transaction.atomic():
        link, created = OptInLink.objects.select_for_update().get_or_create(
            member=member, defaults=fields
        )
        if created:
            return token
        if link.used_at is None and link.sent_at is not None and link.expires_at > now:
            return None
        OptInLink.objects.filter(pk=link.pk).update(**fields)
    return token


def optin_link_release(*, member: Member, token: str) -> None:
    """The email could not be sent: forget its link, so the job's retry sends one."""
    OptInLink.objects.filter(member=member, token_hash=_hash(token)).delete()


def optin_link_for_token(token: str) -> OptInLink | None:
    """The link behind a token if it can still be answered (or already was); else None."""
    if not isinstance(token, str) or not _TOKEN_SHAPE.fullmatch(token):
        return None
    link = OptInLink.objects.select_related("member__organisation").filter(token_hash=_hash(token))
    link = link.first()
    if link is None or link.token_nonce == "" or optin_token(link.token_nonce) != token:
        return None
    if link.used_at is not None:
        return link if link.member.status == Member.Status.SUBSCRIBED else None
    if link.expires_at <= timezone.now() or not optin_wanted(member=link.member):
        return None
    return link


def optin_wording(organisation) -> str:
    return wording_in(CONFIRMED_OPT_IN_WORDING, organisation=organisation.name)


def member_optin_confirm(*, token: str) -> bool:
    """Subscribe the member behind an opt-in link they pressed; whether they are now.

    The link works once: pressed again, it answers for the subscription it made.

    The consent names the email's question, its version and the link as its source;
    the address is proven, since the link reached it. A suppression other than the
    member's own unsubscription still wins (member_subscribe keeps that rule).
    """
    link = optin_link_for_token(token)
    if link is None:
        return False
    member = link.member
    if link.used_at is not None:
        return True
    now = timezone.now()
    with transaction.atomic():
        if not OptInLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now):
            return _subscribed(member)  # pressed twice at once: the other press answered
        member = member_subscribe(
            member=member,
            consent=Consent(
                wording=optin_wording(member.organisation),
                wording_version=CONFIRMED_OPT_IN_VERSION,
                source=CONFIRMED_OPT_IN_SOURCE,
                source_kind=ConsentRecord.SourceKind.OPT_IN,
                at=now,
                address_proven=True,
            ),
        )
        if member.status != Member.Status.SUBSCRIBED:
            transaction.set_rollback(True)  # suppressed meanwhile: the link stays unused
            return False
    return True


def _subscribed(member: Member) -> bool:
    return Member.objects.filter(pk=member.pk, status=Member.Status.SUBSCRIBED).exists()
