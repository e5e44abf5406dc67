"""Petitions' background work: the job kinds and periodic loops chorus_worker runs.

The emails a signer receives are sent here. A signer's address is unverified until
they confirm, so every one goes out through `unverified_mail_send`, and so under the
one mail ceiling (`petitions.services.unverified_mail_permit`), whichever job asked.
A confirmed signature makes (or matches) a member, through members' own service.
"""

import secrets
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from jobs.registry import job_batch, job_kind, periodic
from jobs.services import job_record
from lib.i18n import supported_language
from lib.localcache import LocalCache
from lib.mail import Rendered, absolute_url, mail_render, mail_send, mail_send_rendered
from members.consent import OPT_IN_WORDING, wording_in
from members.models import Member
from members.optin import (
    optin_email_due,
    optin_link_claim,
    optin_link_release,
    optin_wording,
)
from members.services import Consent, member_record
from petitions.counting import counts_fold_all, petition_recount
from petitions.models import Petition, Signature, SignatureEvent
from petitions.pages import petition_in_language
from petitions.pending_images import pending_images_prune
from petitions.services import (
    SEND_CONFIRMATION,
    SIGNATURE_CONFIRMED,
    SIGNATURE_SUBMITTED,
    MailPermit,
    mail_allowances_prune,
    signature_confirm_proven,
    signature_confirmation_token,
    unverified_mail_permit,
    unverified_mail_permit_return,
    unverified_mail_permits,
)
from petitions.services.bulk import BULK_ACTION_RUN, bulk_action_run
from petitions.signals import signature_member_known
from petitions.visits import visits_fold

# Petitions with their organisation, per worker process: a spike's emails are mostly
# about one petition, and loading it with each signature was a third of the send loop.
# An edit shows in emails within these seconds.
_petitions = LocalCache(ttl=30)
_translated = LocalCache(ttl=30)
# A confirmation email differs between the signers of one petition only by its link: it
# is rendered once per petition and language with a stand-in for the link, which each
# email then gets in its place. Rendering it for every signer was a fifth of its CPU.
_confirm_rendered = LocalCache(ttl=30)
# Random per process, so that no petition's text can hold it.
_LINK_STAND_IN = f"chorus-link-{secrets.token_hex(16)}"
# The confirmation URL around its token, per language.
_confirm_url_parts = LocalCache(ttl=300)

CONFIRM = "petitions/email/confirm"
ALREADY_SIGNED = "petitions/email/already_signed"
OPTIN = "members/email/optin"
# A staff request to count a petition again from its signatures.
PETITION_RECOUNT = "petition_recount"
# A member left awaiting a confirmed opt-in: the one email that asks for it.
MEMBER_OPTIN_SEND = "member_optin_send"


def email_language(signature: Signature) -> str:
    """The language a signer is written to in: the one they signed in, else the petition's.

    Always one of LANGUAGES ("fr" for "fr-CA"), so links go to pages that exist.
    """
    return supported_language(signature.language, signature.petition.language)


def _petition_in(petition: Petition, language: str) -> Petition:
    """The petition's text in `language` (its translation, if written), per worker process."""
    return _translated.get_or_set(
        (petition.pk, language, petition.updated_at),
        lambda: petition_in_language(petition, language),
    )


def _context(petition: Petition, signature: Signature | None, confirm_url: str = "") -> dict:
    """Built under the signer's language: the links go to that language's pages."""
    petition = _petition_in(petition, translation.get_language())
    return {
        "signature": signature,
        "petition": petition,
        "organisation": petition.organisation,
        "petition_url": absolute_url(petition.get_absolute_url()),
        "confirm_url": confirm_url,
    }


def _load(signature_id: int | None) -> Signature | None:
    """The signature, with only what the emails use, and its petition from the cache."""
    return _load_many([signature_id]).get(signature_id)


def _load_many(signature_ids: list) -> dict[int, Signature]:
    """`_load` for several signatures in one query, by id; the missing ones left out."""
    ids = [pk for pk in signature_ids if pk is not None]
    if not ids:
        return {}
    signatures = (
        Signature.objects.filter(pk__in=ids)
        .only(
            "id",
            "petition_id",
            "state",
            "email",
            "email_key",
            "first_name",
            "token_nonce",
            "token_hash",
            "token_expires_at",
            "language",
        )
        .exclude(email="")  # erased (rights.services.person_erase): nobody to write to
    )
    found = {}
    for signature in signatures:
        signature.petition = _petitions.get_or_set(
            signature.petition_id,
            lambda pk=signature.petition_id: Petition.objects.select_related("organisation").get(
                pk=pk
            ),
        )
        found[signature.pk] = signature
    return found


def unverified_mail_send(
    *,
    signature: Signature,
    template: str,
    network: str = "",
    with_link: bool = False,
    permit: MailPermit | None = None,
    holder: str = "",
) -> MailPermit:
    """Email a signature's address, unless the mail ceiling holds it back.

    The one way petitions mail an address nobody has proven to own. A held email is
    simply not sent: the request that caused it was long answered as a success.
    With `with_link`, the email carries the confirmation link, derived only now.
    A `permit` the caller already asked the ceiling for (for a batch) is used as it is;
    `holder` names the email for the ceiling (see unverified_mail_permit).
    """
    if permit is None:
        permit = unverified_mail_permit(
            email_key=signature.email_key, network=network, holder=holder
        )
    if not permit.granted:
        return permit
    try:
        with translation.override(email_language(signature)):
            _send(signature, template, with_link, permit)
    except Exception:
        unverified_mail_permit_return(permit=permit)  # not sent: it must not count
        raise
    return permit


def _send(signature: Signature, template: str, with_link: bool, permit: MailPermit) -> None:
    token = ""
    if with_link:
        token = signature_confirmation_token(signature=signature)
        if token is None:  # confirmed or invalidated meanwhile: nothing to ask
            unverified_mail_permit_return(permit=permit)
            return
    sender_name = signature.petition.organisation.email_sender_name
    confirm_url = _confirm_url(token) if token else ""
    if template == CONFIRM and confirm_url:
        rendered = _confirm_email(signature.petition, confirm_url)
        mail_send_rendered(rendered=rendered, to=signature.email, sender_name=sender_name)
        return
    mail_send(
        template=template,
        to=signature.email,
        context=_context(signature.petition, signature, confirm_url),
        sender_name=sender_name,
    )


def _confirm_url(token: str) -> str:
    """The confirmation link for `token` in the active language: the URL is reversed once
    per language with the stand-in, which the token then replaces (a token is URL-safe
    base64, which reversing leaves as it is). Reversing for each email was a twelfth of a
    batched confirmation's CPU.
    """
    prefix, _, suffix = _confirm_url_parts.get_or_set(
        (translation.get_language(), settings.BASE_URL),
        lambda: absolute_url(reverse("petitions:confirm", args=[_LINK_STAND_IN])).partition(
            _LINK_STAND_IN
        ),
    )
    return f"{prefix}{token}{suffix}"


def _confirm_email(petition: Petition, confirm_url: str) -> Rendered:
    """A confirmation email with `confirm_url`, from the petition's rendered once."""
    language = translation.get_language()
    shared = _confirm_rendered.get_or_set(
        (petition.pk, petition.updated_at, language),
        # Without the signature: nothing of one signer can reach another's email.
        lambda: mail_render(template=CONFIRM, context=_context(petition, None, _LINK_STAND_IN)),
    )
    return Rendered(
        subject=shared.subject,
        text=shared.text.replace(_LINK_STAND_IN, confirm_url),
        html=shared.html.replace(_LINK_STAND_IN, escape(confirm_url)),
    )


@job_kind(SIGNATURE_SUBMITTED)
def signature_submitted(payload: dict) -> None:
    """Every sign POST, new signature or repeat: here is where the two part.

    A new pending signature gets its confirmation link; one the mail ceiling holds
    back (the same address signed another petition a moment ago) is sent once the
    ceiling allows. A repeat tells the address's owner they had already signed,
    with the link they hold if still pending, or nothing if the ceiling holds it.
    """
    _submitted(payload, _load(payload.get("signature")))


@job_batch(SIGNATURE_SUBMITTED)
def signatures_submitted(
    payloads: list[dict], keep: Callable[[int], bool] = lambda index: True
) -> Iterator[Exception | None]:
    """`signature_submitted` for a batch: a spike's backlog of confirmations drains faster.

    The batch's signatures come in one query and the mail ceiling is asked once for
    all its confirmation emails; the emails go out one by one on the thread's kept
    connection, each failure its own (that job alone is retried). Each job's outcome is
    given as soon as its email is sent, for the ledger to mark it done.
    """
    found = _load_many([payload.get("signature") for payload in payloads])
    signatures = [found.get(payload.get("signature")) for payload in payloads]
    asking = [
        index
        for index, (payload, signature) in enumerate(zip(payloads, signatures, strict=True))
        if signature is not None and _confirmation_due(payload, signature)
    ]
    requests = [(signatures[i].email_key, payloads[i].get("net", "")) for i in asking]
    holders = [_confirm_holder(signatures[i]) for i in asking]
    granted = unverified_mail_permits(requests=requests, holders=holders)
    permits = dict(zip(asking, granted, strict=True))
    try:
        for index, payload in enumerate(payloads):
            if not keep(index):  # another worker's now (a slow batch): its permit goes back
                if index in permits:
                    unverified_mail_permit_return(permit=permits.pop(index))
                yield None
                continue
            try:
                _submitted(payload, signatures[index], permits.pop(index, None))
            except Exception as exc:
                yield exc
            else:
                yield None
    finally:
        # Left before the end (the ledger failed): the emails not sent give theirs back.
        for permit in permits.values():
            unverified_mail_permit_return(permit=permit)


def _confirm_holder(signature: Signature) -> str:
    # The one confirmation email of this signature, whichever attempt sends it.
    return f"confirm:{signature.pk}"


def _confirmation_due(payload: dict, signature: Signature) -> bool:
    """A new pending signature: the one case `_submitted` sends a confirmation link."""
    return bool(payload.get("created")) and signature.state == Signature.State.PENDING


def _submitted(
    payload: dict, signature: Signature | None, permit: MailPermit | None = None
) -> None:
    if signature is None:
        return  # erased, or a repeat that lost a race with its first signature
    network = payload.get("net", "")
    if not payload.get("created") and payload.get("proven"):
        # Signed again through a mailing's link: the address is proven, so a pending
        # signature is confirmed, and nobody is emailed.
        if signature.state == Signature.State.PENDING:
            signature_confirm_proven(signature_id=signature.pk)
        return
    if not payload.get("created"):
        if signature.state in Signature.LIVE_STATES:
            pending = signature.state == Signature.State.PENDING
            unverified_mail_send(
                signature=signature, template=ALREADY_SIGNED, network=network, with_link=pending
            )
        return
    if signature.state == Signature.State.FRAUDULENT and signature.flag_reason:
        _flag_log(signature)
    elif signature.state == Signature.State.CONFIRMED:  # a petition that asks no confirmation
        signature_confirmed({"signature": signature.pk})
    elif signature.state == Signature.State.PENDING:
        permit = unverified_mail_send(
            signature=signature,
            template=CONFIRM,
            network=network,
            with_link=True,
            permit=permit,
            holder=_confirm_holder(signature),
        )
        if permit.retry_at is not None:
            job_record(kind=SIGNATURE_SUBMITTED, payload=payload, delay=_until(permit.retry_at))


def _flag_log(signature: Signature) -> None:
    """A signature the fraud limits flagged as it was stored: logged, and nobody is emailed.

    No confirmation goes out: the addresses in a flood are often other people's, and
    mailing them at a bot's pace would make Chorus the spammer. An address's owner who
    did sign can sign again once the window has passed (docs/trust.md).
    """
    note = f"flagged: {signature.flag_reason}"
    if not SignatureEvent.objects.filter(signature=signature, note=note).exists():
        SignatureEvent.objects.create(
            signature=signature, from_state="", to_state=signature.state, note=note
        )


def _until(moment: datetime) -> timedelta:
    return max(moment - timezone.now(), timedelta())


@job_kind(SEND_CONFIRMATION)
def send_confirmation(payload: dict) -> None:
    """The resend form: the link again, to a signature still pending."""
    signature = _load(payload.get("signature"))
    if signature is None or signature.state != Signature.State.PENDING:
        return
    unverified_mail_send(
        signature=signature, template=CONFIRM, network=payload.get("net", ""), with_link=True
    )


@job_kind(SIGNATURE_CONFIRMED)
def signature_confirmed(payload: dict) -> None:
    """A proven address: the person behind it becomes (or stays) a member."""
    signature = (
        Signature.objects.select_related("petition__organisation")
        .filter(pk=payload["signature"])
        .first()
    )
    if signature is None or signature.state != Signature.State.CONFIRMED or not signature.email:
        return  # erased or invalidated since: nothing to record
    member = member_from_signature(signature=signature)
    signature_member_known.send(sender=Signature, signature=signature, member=member)


def member_from_signature(*, signature: Signature) -> Member:
    """Create or match the member behind a confirmed signature, and record consent.

    Safe to run twice for the same signature: a retried job changes nothing more.
    """
    petition = signature.petition
    consent = None
    # Leaving the box unticked is not a withdrawal of earlier consent.
    if signature.opt_in:
        consent = Consent(
            wording=_opt_in_wording(signature),
            wording_version=signature.opt_in_wording_version,
            source=petition.get_absolute_url(),
            at=signature.created_at,
            signature_id=signature.pk,
            # Only a link sent to the address proves it: petitions that ask no
            # confirmation leave the country's double opt-in rule to decide.
            address_proven=petition.require_confirmation,
        )
    with transaction.atomic():
        member = member_record(
            organisation_id=petition.organisation_id,
            email=signature.email,
            email_key=signature.email_key,
            first_name=signature.first_name,
            last_name=signature.last_name,
            country=str(signature.country),
            postcode=signature.postcode,
            language=signature.language,
            consent=consent,
        )
        if signature.member_id != member.pk:
            Signature.objects.filter(pk=signature.pk).update(member=member)
        # Recorded with the consent that left the member waiting, so a crash cannot
        # lose the email; the job itself sends at most one per link.
        if consent is not None and _awaits_opt_in(member):
            job_record(kind=MEMBER_OPTIN_SEND, payload={"member": member.pk})
    return member


def _opt_in_wording(signature: Signature) -> str:
    """The box's words as the signer read them, in the language of the page they signed on."""
    with translation.override(email_language(signature)):
        return wording_in(OPT_IN_WORDING, organisation=signature.petition.organisation.name)


def _awaits_opt_in(member: Member) -> bool:
    return Member.objects.filter(pk=member.pk, status=Member.Status.PENDING).exists()


@job_kind(MEMBER_OPTIN_SEND)
def member_optin_send(payload: dict) -> None:
    """Ask a member awaiting a confirmed opt-in, once, whether they want mailings.

    Their address is unproven, so the email goes under the same mail ceiling as a
    confirmation link; one held back is tried again when the ceiling allows.
    """
    member = Member.objects.select_related("organisation").filter(pk=payload.get("member"))
    member = member.first()
    if member is None or not optin_email_due(member=member):
        return
    permit = unverified_mail_permit(email_key=member.email_key)
    if not permit.granted:
        if permit.retry_at is not None:
            job_record(kind=MEMBER_OPTIN_SEND, payload=payload, delay=_until(permit.retry_at))
        return
    token = optin_link_claim(member=member)
    if token is None:  # another worker sent it a moment ago
        unverified_mail_permit_return(permit=permit)
        return
    organisation = member.organisation
    try:
        with translation.override(supported_language(member.language)):
            _optin_mail_send(member, organisation, token)
    except Exception:
        optin_link_release(member=member, token=token)
        unverified_mail_permit_return(permit=permit)
        raise


def _optin_mail_send(member: Member, organisation, token: str) -> None:
    mail_send(
        template=OPTIN,
        to=member.email,
        context={
            "member": member,
            "organisation": organisation,
            "wording": optin_wording(organisation),
            "optin_url": absolute_url(reverse("members:optin", args=[token])),
        },
        sender_name=organisation.email_sender_name,
    )


@job_kind(PETITION_RECOUNT)
def recount(payload: dict) -> None:
    petition = Petition.objects.filter(pk=payload["petition"]).first()
    if petition is not None:
        petition_recount(petition=petition)


@job_kind(BULK_ACTION_RUN)
def bulk_action_work(payload: dict) -> None:
    """A few batches of a bulk action, then the next job for the rest (a job per lease)."""
    if bulk_action_run(action_pk=payload["action"]):
        job_record(kind=BULK_ACTION_RUN, payload=payload)


periodic("counts_fold", every=lambda: settings.COUNT_FOLD_INTERVAL)(counts_fold_all)
periodic("mail_allowances_prune", every=3600)(mail_allowances_prune)
periodic("pending_images_prune", every=3600)(pending_images_prune)
# Petition page views by source, from the shared cache into PetitionVisits (lib.visits).
periodic("visits_fold", every=60)(visits_fold)
