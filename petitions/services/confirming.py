"""Confirming a signature: the link's email, asking for it again, and following it."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jobs.services import job_record
from lib.addresses import normalised_email_key
from lib.clientip import client_ip, ip_fingerprint
from petitions import selectors
from petitions.links import confirmation_token, new_link, token_hash
from petitions.models import Petition, Signature, SignatureEvent
from petitions.services.signing import network_key

# A confirmation link asked for again through the resend form.
SEND_CONFIRMATION = "send_confirmation"
# A signature whose address was proven: its signer becomes a member.
SIGNATURE_CONFIRMED = "signature_confirmed"
# A link sent again keeps its token and is valid for CONFIRMATION_TOKEN_DAYS from
# that email; the expiry is only moved when it would gain more than this.
LINK_EXTEND_STEP = timedelta(hours=1)


def signature_resend_confirmation(*, petition: Petition, email: str, request_meta: dict) -> None:
    """Ask the worker to send a pending signer their link again (`email` as validated).

    The same work for any address, pending, confirmed or unknown: one lookup and
    one job row; the worker sends only to a pending signature, within the mail
    ceiling, and nothing tells the requester which it was.
    """
    key = normalised_email_key(email)
    _, ip_prefix = ip_fingerprint(client_ip(request_meta))
    net = network_key(ip_prefix)
    with transaction.atomic():
        pending = selectors.live_signature_id(
            petition_id=petition.pk, email_key=key, states=[Signature.State.PENDING]
        )
        job_record(kind=SEND_CONFIRMATION, payload={"signature": pending, "net": net})


def signature_confirmation_token(*, signature: Signature) -> str | None:
    """The token for a confirmation link about to be emailed; None once not pending.

    The current token while it is valid, so a link the owner was already sent
    keeps working; a new one once it has expired (or was made under another
    SECRET_KEY, or by older code that stored no nonce). Valid for
    CONFIRMATION_TOKEN_DAYS from this email either way. Run by the worker, only
    once the mail ceiling has let the email through.
    """
    now = timezone.now()
    expires = now + timedelta(days=settings.CONFIRMATION_TOKEN_DAYS)

    # Built only when a write is due: most emails go with the token as it is, and the
    # filter alone was a fifth of a batched confirmation's CPU.
    def unchanged():
        return Signature.objects.filter(
            pk=signature.pk, state=Signature.State.PENDING, token_hash=signature.token_hash
        )

    token = confirmation_token(signature.token_nonce) if signature.token_nonce else ""
    valid = signature.token_expires_at is not None and signature.token_expires_at > now
    if token and valid and token_hash(token) == signature.token_hash:
        if expires - signature.token_expires_at > LINK_EXTEND_STEP:
            unchanged().update(token_expires_at=expires)
        return token
    link = new_link()
    if not unchanged().update(**link):
        return None  # confirmed, invalidated or erased meanwhile
    return confirmation_token(link["token_nonce"])


def signature_confirm(*, token: str) -> Signature | None:
    """Confirm the signature behind a link. The link works once."""
    signature = selectors.signature_for_token(token)
    if signature is None:
        return None
    now = timezone.now()
    with transaction.atomic():
        # State and token again: the link may have been replaced, or the signature
        # invalidated, since it was looked up.
        changed = Signature.objects.filter(
            pk=signature.pk, state=Signature.State.PENDING, token_hash=signature.token_hash
        ).update(
            state=Signature.State.CONFIRMED,
            confirmed_at=now,
            token_nonce="",
            token_hash="",
            token_expires_at=None,
            count_dirty=True,
        )
        if not changed:
            return None
        SignatureEvent.objects.create(
            signature=signature, from_state="pending", to_state="confirmed", note="email link"
        )
        job_record(kind=SIGNATURE_CONFIRMED, payload={"signature": signature.pk})
    signature.refresh_from_db()
    return signature


def signature_confirm_proven(*, signature_id: int, note: str = "mailing link") -> bool:
    """Confirm a pending signature whose signer proved the address another way (a
    mailing's recognised link): as the email link would, with no email. False when it
    was not pending."""
    with transaction.atomic():
        changed = Signature.objects.filter(pk=signature_id, state=Signature.State.PENDING).update(
            state=Signature.State.CONFIRMED,
            confirmed_at=timezone.now(),
            token_nonce="",
            token_hash="",
            token_expires_at=None,
            count_dirty=True,
        )
        if not changed:
            return False
        SignatureEvent.objects.create(
            signature_id=signature_id, from_state="pending", to_state="confirmed", note=note
        )
        job_record(kind=SIGNATURE_CONFIRMED, payload={"signature": signature_id})
    return True
