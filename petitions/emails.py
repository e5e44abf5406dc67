"""The emails a signer receives, sent by workers from the job ledger."""

from django.urls import reverse

from jobs.services import job_handler
from lib.mail import absolute_url, mail_send
from petitions.models import Signature


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
    return (
        Signature.objects.select_related("petition__organisation")
        .filter(pk=payload["signature"])
        .first()
    )


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
