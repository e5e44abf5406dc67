"""A person's rights: asking for a link, following it, and erasure.

The public page records a request for any address (`rights_request_create`: one row
and one job, the same statements whatever the address); the worker decides, after the
answer has gone, whether Chorus holds anything and so whether to email a link
(`rights_request_process`). The link is derived from a stored nonce and SECRET_KEY,
bound to its purpose; the row keeps the nonce and the link's hash, never the link.

`person_erase` is the one erasure, for the link and for staff alike.
"""

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac

from delivery.packs import packs_holding_delete
from jobs.services import job_record
from lib.addresses import normalised_email_key
from lib.clientip import client_ip, ip_fingerprint
from lib.i18n import supported_language
from lib.mail import absolute_url, mail_send
from mailings.models import Recipient, SoftBounce
from members.models import ConsentRecord, Member, OptInLink, Suppression
from members.services import member_unsubscribe, suppression_hide, suppression_keys
from orgs.audit import audit_record
from petitions.models import Signature
from petitions.services import unverified_mail_permit, unverified_mail_permit_return
from petitions.services.signing import network_key
from rights.models import RightsRequest

RIGHTS_REQUEST = "rights_request"
Purpose = RightsRequest.Purpose
# An anonymised signature or member keeps this in place of its email key: unique per
# row (the constraints want that), and never the key of an address.
ERASED_PREFIX = "erased:"
ERASED_REASON = "Erased on request"
ERASED_WORDING = "Unsubscribed because the person's data was erased at their request."
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")
LINK_TEMPLATES = {Purpose.COPY: "rights/email/copy_link", Purpose.ERASE: "rights/email/erase_link"}


# --- The request and its link ------------------------------------------------------------


def rights_request_create(
    *, organisation, email: str, purpose: str, request_meta: dict, language: str = ""
) -> None:
    """Record a request from the public page (`email` as validated), for any address.

    No lookup here: one row and one job, whatever Chorus holds, so neither the answer
    nor its timing says whether the address is known.
    """
    _, ip_prefix = ip_fingerprint(client_ip(request_meta))
    with transaction.atomic():
        request = RightsRequest.objects.create(
            organisation=organisation,
            purpose=purpose,
            email=email,
            email_key=normalised_email_key(email),
            network=network_key(ip_prefix),
            language=language,
        )
        job_record(kind=RIGHTS_REQUEST, payload={"request": request.pk})


def person_holds(*, organisation, email_key: str, purpose: str = Purpose.COPY) -> bool:
    """Whether Chorus holds anything about the address with this canonical key.

    For an erasure, a suppression kept as a hash (what an earlier erasure left) is not
    something to erase: it names nobody and stays (docs/privacy.md). A copy shows it.
    """
    keys = suppression_keys(email_key) if purpose == Purpose.COPY else [email_key]
    return (
        Signature.objects.filter(petition__organisation=organisation, email_key=email_key).exists()
        or Member.objects.filter(organisation=organisation, email_key=email_key).exists()
        or Suppression.objects.filter(organisation=organisation, email_key__in=keys).exists()
    )


def rights_token(nonce: str, purpose: str) -> str:
    digest = salted_hmac(f"chorus.rights.{purpose}", nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Outcome:
    sent: bool = False
    retry_after: timedelta | None = None


def rights_request_process(*, request_id: int) -> Outcome:
    """The worker's half: email a link if anything is held, else forget the request.

    Nothing is emailed when nothing is held (docs/privacy.md says why). The email goes
    under the mail ceiling for unproven addresses; one held back is tried again later.
    """
    request = RightsRequest.objects.select_related("organisation").filter(pk=request_id).first()
    if request is None or not request.email or request.token_hash:
        return Outcome()
    held = person_holds(
        organisation=request.organisation, email_key=request.email_key, purpose=request.purpose
    )
    if not held:
        request.delete()
        return Outcome()
    permit = unverified_mail_permit(email_key=request.email_key, network=request.network)
    if not permit.granted:
        if permit.retry_at is None:  # held by its network: nothing will be sent
            request.delete()
            return Outcome()
        return Outcome(retry_after=max(permit.retry_at - timezone.now(), timedelta()))
    nonce = secrets.token_urlsafe(32)
    token = rights_token(nonce, request.purpose)
    expires = timezone.now() + timedelta(hours=settings.RIGHTS_LINK_HOURS)
    # Claimed before the email leaves, so the link works the moment it arrives, and a
    # second worker (or a retried job) sends nothing more.
    unsent = RightsRequest.objects.filter(pk=request.pk, token_hash="")
    if not unsent.update(token_nonce=nonce, token_hash=_hash(token), expires_at=expires):
        unverified_mail_permit_return(permit=permit)
        return Outcome()
    try:
        _link_email(request, token, expires)
    except Exception:
        RightsRequest.objects.filter(pk=request.pk).update(
            token_nonce="", token_hash="", expires_at=None
        )
        unverified_mail_permit_return(permit=permit)
        raise
    # The address typed is not needed any more: the link acts on the canonical key.
    RightsRequest.objects.filter(pk=request.pk).update(email="")
    return Outcome(sent=True)


def _link_email(request: RightsRequest, token: str, expires) -> None:
    organisation = request.organisation
    url_name = "rights:copy" if request.purpose == Purpose.COPY else "rights:erase"
    with translation.override(supported_language(request.language)):
        _link_mail_send(request, organisation, url_name, token, expires)


def _link_mail_send(request, organisation, url_name: str, token: str, expires) -> None:
    mail_send(
        template=LINK_TEMPLATES[Purpose(request.purpose)],
        to=request.email,
        context={
            "organisation": organisation,
            "link_url": absolute_url(reverse(url_name, args=[token])),
            "hours": settings.RIGHTS_LINK_HOURS,
            "expires_at": expires,
        },
        sender_name=organisation.email_sender_name,
    )


def rights_link_for_token(token, purpose: str) -> RightsRequest | None:
    """The request behind a link for `purpose`, while it works; None for anything else.

    Expired, tampered, malformed, spent (erasure) and other-purpose links all give None.
    """
    if not isinstance(token, str) or not _TOKEN_SHAPE.fullmatch(token):
        return None
    request = (
        RightsRequest.objects.select_related("organisation")
        .filter(token_hash=_hash(token), purpose=purpose)
        .first()
    )
    if request is None or not request.token_nonce:
        return None
    if not constant_time_compare(rights_token(request.token_nonce, purpose), token):
        return None
    if request.expires_at is None or request.expires_at <= timezone.now():
        return None
    if purpose == Purpose.ERASE and request.used_at is not None:
        return None
    return request


def rights_erase_confirm(*, token: str) -> bool:
    """Erase the person behind an erasure link they pressed; whether it was done."""
    request = rights_link_for_token(token, Purpose.ERASE)
    if request is None:
        return False
    with transaction.atomic():
        claimed = RightsRequest.objects.filter(pk=request.pk, used_at__isnull=True)
        if not claimed.update(used_at=timezone.now()):
            return False
        person_erase(
            organisation=request.organisation,
            email_key=request.email_key,
            by=None,
            reason="self-service link",
        )
    return True


# --- Erasure ------------------------------------------------------------------------------


@dataclass
class Erasure:
    signature_ids: list[int] = field(default_factory=list)
    member_id: int | None = None
    suppressions: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.signature_ids or self.member_id or self.suppressions)


SIGNATURE_ERASED = {
    "email": "",
    "first_name": "",
    "last_name": "",
    "postcode": "",
    "comment": "",
    "show_name": False,
    "ip_hash": "",
    "ip_prefix": "",
    "token_nonce": "",
    "token_hash": "",
    "token_expires_at": None,
    "member": None,
}


def signatures_anonymise(signature_ids) -> int:
    """Take every personal field off these signatures; how many were changed.

    State, country, channel, language, the opt-in flag and the counting flags stay, so
    every count stays as it was (a recount agrees). The email key becomes "erased:<id>".
    """
    key = Concat(Value(ERASED_PREFIX), Cast("pk", output_field=CharField()))
    return Signature.objects.filter(pk__in=list(signature_ids)).update(
        email_key=key, **SIGNATURE_ERASED
    )


def person_erase(*, organisation, email_key: str, by, reason: str) -> Erasure:
    """Erase what Chorus holds about one address (by its canonical key); idempotent.

    Signatures on every petition and the member are anonymised, not deleted, so counts
    and mailing reports keep their numbers; the member's consent ledger stays (anonymous:
    proof that the mail sent was wanted) without its free-text reasons; the suppression
    entry stays as a keyed hash of the key, so the address can't be mailed again by an
    import (docs/privacy.md); pending self-service links go. The audit log gets ids and
    counts, never the data erased.
    """
    with transaction.atomic():
        member = (
            Member.objects.select_for_update()
            .filter(organisation=organisation, email_key=email_key)
            .first()
        )
        signatures = Signature.objects.filter(petition__organisation=organisation)
        ids = set(signatures.filter(email_key=email_key).values_list("pk", flat=True))
        if member is not None:
            ids |= set(signatures.filter(member=member).values_list("pk", flat=True))
        suppressions = Suppression.objects.filter(organisation=organisation, email_key=email_key)
        erasure = Erasure(
            signature_ids=sorted(ids),
            member_id=member.pk if member else None,
            suppressions=suppressions.count(),
        )
        signatures_anonymise(erasure.signature_ids)
        # A delivery pack made before holds the name in a file: it goes too.
        packs_holding_delete(signature_ids=erasure.signature_ids)
        if member is not None:
            member_anonymise(member=member, by=by)
        # With the one the unsubscription just wrote.
        suppression_hide(organisation_id=organisation.pk, email_key=email_key)
        RightsRequest.objects.filter(organisation=organisation, email_key=email_key).delete()
        if erasure.anything:
            _erasure_audit(erasure, by, reason)
    return erasure


def member_anonymise(*, member: Member, by=None) -> None:
    """Take every personal field off a member record; the record and its numbers stay.

    A member still subscribed or awaiting an opt-in is unsubscribed first, through the
    one service, so the ledger says why the mail stopped; the ledger keeps its entries
    without their free-text reasons. The suppression list is the caller's business.
    """
    ConsentRecord.objects.filter(member=member).update(reason="")
    if member.status in (Member.Status.SUBSCRIBED, Member.Status.PENDING):
        # Through the one service, so the ledger says why the mail stopped.
        member_unsubscribe(
            member=member,
            source=ConsentRecord.SourceKind.STAFF if by else ConsentRecord.SourceKind.PAGE,
            reason=ERASED_REASON,
            wording=ERASED_WORDING,
            where="The staff workspace" if by else "The “Your data” page",
            by=by,
        )
    Member.objects.filter(pk=member.pk).update(
        email="",
        email_key=f"{ERASED_PREFIX}{member.pk}",
        first_name="",
        last_name="",
        postcode="",
        language="",
        status_reason=ERASED_REASON,
        updated_at=timezone.now(),
    )
    OptInLink.objects.filter(member=member).delete()
    SoftBounce.objects.filter(member=member).delete()
    # A delivery error can quote the address; the copy's counts stay.
    Recipient.objects.filter(member=member).exclude(last_error="").update(last_error="")


def _erasure_audit(erasure: Erasure, by, reason: str) -> None:
    count = len(erasure.signature_ids)
    audit_record(
        by=by,
        action="erase",
        summary=(
            f"Erased a person's data: {count} signature{'s' if count != 1 else ''}"
            f"{', a member record' if erasure.member_id else ''}"
            f"{', a suppression entry (kept as a hash)' if erasure.suppressions else ''}"
        ),
        target=f"members.member:{erasure.member_id}" if erasure.member_id else "",
        detail={
            "signatures": count,
            "signature_ids": erasure.signature_ids[:1000],
            "member": erasure.member_id,
            "suppression_entries": erasure.suppressions,
            "reason": reason[:200],
        },
    )
