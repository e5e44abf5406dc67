"""What a member does with a mailing: unsubscribe, click, be recognised, sign with one press.

Each function takes a token as it arrived (mailings.tokens) and does nothing at all for
one that is not genuine: callers answer a stranger exactly as they answer the member.
Every change of a subscription goes through members.services.
"""

import contextlib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core import signing
from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from lib.mail import absolute_url
from mailings import tokens
from mailings.models import Click, Mailing, Recipient, SoftBounce
from members.models import ConsentRecord, Member
from members.services import SubscriptionRefused, member_unsubscribe
from petitions.models import Channel, Petition
from petitions.services import PetitionClosed, SignResult, signature_create

UNSUBSCRIBE_WORDING = "Unsubscribed with the link in a mailing."
# A member in one of these no longer hears from us, so no link of ours recognises them.
GONE = {Member.Status.UNSUBSCRIBED, Member.Status.BOUNCED, Member.Status.COMPLAINED}


def mailing_source(mailing: Mailing) -> str:
    """How the consent ledger names a mailing: staff read it on the member's page."""
    return f"Mailing “{mailing.name}” (#{mailing.pk})"[:300]


def recipient_unsubscribe(*, token: str, how: str = "unsubscribe link") -> bool:
    """Unsubscribe the member a genuine unsubscribe token names, at once.

    Idempotent: a second press, or a mail provider's one-click POST after the member's
    own, changes nothing more. False for a token that is not genuine.
    """
    recipient_id = tokens.recipient_id_from_token(token, tokens.UNSUBSCRIBE)
    if recipient_id is None:
        return False
    return recipient_unsubscribe_by_id(recipient_id=recipient_id, how=how)


def recipient_unsubscribe_by_id(*, recipient_id: int, how: str) -> bool:
    recipient = (
        Recipient.objects.select_related("member", "mailing").filter(pk=recipient_id).first()
    )
    if recipient is None:
        return False
    now = timezone.now()
    Recipient.objects.filter(pk=recipient.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now
    )
    mail_arrived(member_id=recipient.member_id)
    # Already unsubscribed (or bounced, or complained): nothing more to do.
    with contextlib.suppress(SubscriptionRefused):
        member_unsubscribe(
            member=recipient.member,
            source=ConsentRecord.SourceKind.MAILING,
            reason=f"Unsubscribed through a mailing ({how})"[:300],
            wording=UNSUBSCRIBE_WORDING,
            where=mailing_source(recipient.mailing),
            at=now,
        )
    return True


def mail_arrived(*, member_id: int) -> None:
    """A sign that mail reaches the member: their run of soft bounces starts again."""
    SoftBounce.objects.filter(member_id=member_id, count__gt=0).update(count=0)


# --- Clicks -------------------------------------------------------------------------------


def click_target(*, token: str, link: int, record: bool = True) -> str | None:
    """Where a click link leads, and the click counted; None for a bad token or link.

    Only ever a URL the mailing itself pointed to (Mailing.links, fixed when the send
    started), never one taken from the request. The petition's link (index 0 when the
    mailing has one) leads to the petition page tagged ?ch=mailing, with a recognition
    token in the fragment: the cached page stays one copy, and the token stays out of
    server logs and Referer headers.
    """
    recipient_id = tokens.recipient_id_from_token(token, tokens.CLICK)
    if recipient_id is None or link < 0:
        return None
    row = (
        Recipient.objects.filter(pk=recipient_id)
        .values("member_id", "mailing__links", "mailing__petition__slug")
        .first()
    )
    if row is None:
        return None
    slug = row["mailing__petition__slug"]
    links = row["mailing__links"] if isinstance(row["mailing__links"], list) else []
    if slug and link == 0:
        fragment = urlencode({"mt": tokens.recipient_token(recipient_id, tokens.RECOGNISE)})
        target = absolute_url(reverse("petitions:detail", kwargs={"slug": slug}))
        target = f"{target}?{urlencode({'ch': Channel.MAILING.value})}#{fragment}"
    elif link < len(links) and _is_web_url(links[link]):
        target = links[link]
    else:
        return None
    if record:
        now = timezone.now()
        Recipient.objects.filter(pk=recipient_id).update(
            clicks=F("clicks") + 1, first_clicked_at=Coalesce(F("first_clicked_at"), now)
        )
        Click.objects.create(recipient_id=recipient_id, link=link, at=now)
        mail_arrived(member_id=row["member_id"])
    return target


def _is_web_url(url) -> bool:
    return isinstance(url, str) and url.startswith(("https://", "http://")) and len(url) < 4000


# --- Recognised members -------------------------------------------------------------------


@dataclass(frozen=True)
class Recognised:
    recipient_id: int
    member: Member
    petition: Petition


def recognise(*, token: str, slug: str) -> Recognised | None:
    """The member a recognition token names, if it may sign `slug` with one press.

    Only while the token is genuine and unexpired, the token's mailing is about this
    very petition, the petition takes signatures, and the member still hears from us.
    """
    if not isinstance(slug, str) or len(slug) > 100:
        return None
    recipient_id = tokens.recipient_id_from_token(token, tokens.RECOGNISE)
    if recipient_id is None:
        return None
    recipient = (
        Recipient.objects.select_related("member", "mailing__petition__organisation")
        .filter(pk=recipient_id, unsubscribed_at__isnull=True)
        .first()
    )
    if recipient is None or recipient.member.status in GONE:
        return None
    member = recipient.member
    if not (member.first_name and member.last_name and member.email and member.country):
        return None  # too little on record to sign with: the normal form asks
    petition = recipient.mailing.petition
    if petition is None or petition.slug != slug or not petition.is_open:
        return None
    return Recognised(recipient_id=recipient.pk, member=recipient.member, petition=petition)


def recognised_sign(
    *, recognised: Recognised, request_meta: dict, language: str = ""
) -> SignResult | None:
    """Sign for a recognised member with one press, through the one signing service.

    Their details come from the member record; the address is proven (the link was
    sent to it), so the signature is stored confirmed and no email asks to confirm it.
    The signature is attributed to the mailing. None if the petition closed meanwhile.
    """
    member = recognised.member
    data = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "country": str(member.country),
        "postcode": member.postcode,
        "comment": "",
        "show_name": False,
        "opt_in": False,  # not ticking is no withdrawal: the member stays as they are
        "channel": Channel.MAILING.value,
    }
    try:
        result = signature_create(
            petition=recognised.petition,
            data=data,
            request_meta=request_meta,
            language=member.language or language,
            address_proven=True,
        )
    except PetitionClosed:
        return None
    recipient_signed(recipient_id=recognised.recipient_id, signature_id=result.signature_id)
    return result


def recipient_signed(*, recipient_id: int, signature_id: int) -> None:
    """Attribute a signature to the mailing a member came from (the first one counts)."""
    updated = Recipient.objects.filter(pk=recipient_id, signature__isnull=True).update(
        signature_id=signature_id, signed_at=timezone.now()
    )
    if updated:
        member_id = Recipient.objects.filter(pk=recipient_id).values_list("member_id", flat=True)
        mail_arrived(member_id=member_id.first())


def signature_attribute(*, signature, member) -> bool:
    """Attribute a signature made with the normal form to the mailing it came through.

    Receives petitions.signals.signature_member_known (the worker, once a signature is
    confirmed and matched to its member). Only a signature tagged ?ch=mailing (the click
    link's redirect carries the tag), by a member who clicked a link of a mailing about
    that petition, and not attributed already (a one-press signature is, at once).
    """
    if signature.channel != Channel.MAILING.value or member is None:
        return False
    if Recipient.objects.filter(signature_id=signature.pk).exists():
        return False
    recipient_id = (
        Recipient.objects.filter(
            member_id=member.pk,
            mailing__petition_id=signature.petition_id,
            first_clicked_at__isnull=False,
            signature__isnull=True,
        )
        .order_by("-first_clicked_at")
        .values_list("pk", flat=True)
        .first()
    )
    if recipient_id is None:
        return False
    recipient_signed(recipient_id=recipient_id, signature_id=signature.pk)
    return True


def signature_member_known_receiver(sender, signature=None, member=None, **kwargs) -> None:
    signature_attribute(signature=signature, member=member)


# --- Open tracking (off by default) -------------------------------------------------------


def open_count(*, token: str) -> None:
    """Count one open of the mailing a genuine open token names: the number only."""
    try:
        mailing_id = signing.Signer(salt="chorus.mailings.open").unsign(token)
    except signing.BadSignature:
        return
    if mailing_id.isdigit():
        Mailing.objects.filter(pk=int(mailing_id)).update(opens=F("opens") + 1)


def open_pixel_url(mailing_id: int) -> str:
    """The one-pixel image that counts a mailing's opens (MAILING_OPEN_TRACKING only)."""
    token = signing.Signer(salt="chorus.mailings.open").sign(str(mailing_id))
    return absolute_url(reverse("mailings:open", args=[token]))
