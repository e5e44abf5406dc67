"""The emails a signer receives, sent by workers from the job ledger."""

from django.urls import reverse

from jobs.services import job_handler
from lib.localcache import LocalCache
from lib.mail import absolute_url, mail_send
from petitions.models import Petition, Signature

# Petitions with their organisation, per worker process: a spike's emails are mostly
# about one petition, and loading it with each signature was a third of the send loop.
# An edit shows in emails within these seconds.
_petitions = LocalCache(ttl=30)


def _context(signature: Signature, token: str = "") -> dict:
    petition = signature.petition
    return {
        "signature": signature,
        "petition": petition,
        "organisation": petition.organisation,
        "petition_url": absolute_url(petition.get_absolute_url()),
        "confirm_url": absolute_url(reverse("petitions:confirm", args=[token])) if token else "",
    }


def _load(payload: dict) -> Signature | None:
    """The signature, with only what the emails use, and its petition from the cache."""
    signature = (
        Signature.objects.filter(pk=payload["signature"])
        .only("id", "petition_id", "state", "email", "first_name")
        .first()
    )
    if signature is not None:
        signature.petition = _petitions.get_or_set(
            signature.petition_id,
            lambda: Petition.objects.select_related("organisation").get(pk=signature.petition_id),
        )
    return signature


@job_handler("send_confirmation")
def send_confirmation(payload: dict) -> None:
    signature = _load(payload)
    if signature is None or signature.state != Signature.State.PENDING:
        return  # confirmed, erased or invalidated meanwhile: nothing to ask
    mail_send(
        template="petitions/email/confirm",
        to=signature.email,
        context=_context(signature, payload["token"]),
    )


@job_handler("send_already_signed")
def send_already_signed(payload: dict) -> None:
    signature = _load(payload)
    if signature is None or signature.state not in Signature.LIVE_STATES:
        return
    token = payload.get("token", "") if signature.state == Signature.State.PENDING else ""
    mail_send(
        template="petitions/email/already_signed",
        to=signature.email,
        context=_context(signature, token),
    )
