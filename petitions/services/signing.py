"""Signing a petition: the same work for a new signature and a repeat."""

from functools import lru_cache

from django.db import IntegrityError
from django.utils import timezone
from django.utils.crypto import salted_hmac

from lib.addresses import normalised_email_key
from lib.clientip import client_ip, ip_fingerprint
from members.consent import OPT_IN_WORDING_VERSION
from petitions import signing_insert
from petitions.links import new_link
from petitions.models import Petition, Signature, new_public_code
from petitions.services.limits import signature_flag_reason

# The one job every sign POST records, new signature or repeat alike.
SIGNATURE_SUBMITTED = "signature_submitted"


class PetitionClosed(Exception):
    pass


class SignResult:
    """What signing did: `created` a signature, or met the live one already there.

    Neither the sign view nor the request needs more: the model instance is only
    built (or, for a repeat, read) when asked for.
    """

    def __init__(self, created: bool, signature_id: int, *, petition: Petition, values=None):
        self.created = created
        self.signature_id = signature_id
        self._petition = petition
        self._values = values  # column values by attname of a new signature
        self._signature: Signature | None = None

    @property
    def signature(self) -> Signature:
        if self._signature is None and self._values is not None:
            fields = {k: v for k, v in self._values.items() if k != "petition_id"}
            self._signature = Signature(pk=self.signature_id, petition=self._petition, **fields)
            self._signature._state.adding = False
        elif self._signature is None:
            self._signature = Signature.objects.get(pk=self.signature_id)
        return self._signature


def network_key(ip_prefix: str) -> str:
    """The client's network, as the job ledger keeps it: a keyed hash, never the prefix."""
    if not ip_prefix:
        return ""
    return salted_hmac("chorus.petitions.network", ip_prefix, algorithm="sha256").hexdigest()[:32]


def signature_create(
    *,
    petition: Petition,
    data: dict,
    request_meta: dict,
    language: str = "",
    address_proven: bool = False,
    _retry: bool = True,
) -> SignResult:
    """Sign a petition with validated form data (its email as email_normalise() returned it).

    One live signature per petition and email key is held by a partial unique
    constraint. Whether this address has signed already is not looked at here: a
    new signature and a repeat do the same work in the request (one statement on
    PostgreSQL, the same three in one grouped commit on SQLite), each records one
    `signature_submitted` job of the same shape, and the worker decides what to
    send. So neither the answer nor its timing tells anyone whether an address signed.

    `address_proven`: the signer came through a link only the address's owner holds (a
    mailing's recognised link), so the signature is stored confirmed with no email to
    confirm it, and its job says so: a repeat still pending is confirmed by the worker,
    and nobody is emailed either way.
    """
    if not petition.is_open:
        raise PetitionClosed(petition.slug)
    ip_hash, ip_prefix = ip_fingerprint(client_ip(request_meta))
    # The form validated the address; the key is only its canonical spelling.
    key = normalised_email_key(data["email"])
    network = network_key(ip_prefix)
    flag_reason = signature_flag_reason(petition_id=petition.pk, email_key=key, network=network)
    if address_proven:
        # Through a mailing's link only the address's owner holds: counted, never flagged.
        flag_reason = ""
    confirmed = address_proven or not petition.require_confirmation
    state = Signature.State.CONFIRMED if confirmed else Signature.State.PENDING
    now = timezone.now()
    values = {
        **_signature_defaults(),
        "code": new_public_code(),
        "petition_id": petition.pk,
        "email": data["email"],
        "email_key": key,
        "first_name": data["first_name"],
        "last_name": data["last_name"],
        "country": data["country"],
        "postcode": data.get("postcode", ""),
        "comment": data.get("comment", ""),
        "show_name": bool(data.get("show_name")),
        "opt_in": bool(data.get("opt_in")),
        "opt_in_wording_version": OPT_IN_WORDING_VERSION if data.get("opt_in") else "",
        "channel": data.get("channel", ""),
        "partner_id": data.get("partner_id"),
        "language": language[:10],
        "ip_hash": ip_hash,
        "ip_prefix": ip_prefix,
        # A flagged signature is stored as it comes, with its reason, and never counted.
        "state": Signature.State.FRAUDULENT if flag_reason else state,
        "flag_reason": flag_reason,
        # As it would be unflagged, so staff can reinstate one that asked no confirmation.
        "confirmed_at": now if confirmed else None,
        "count_dirty": confirmed and not flag_reason,
        "created_at": now,
    }
    if not confirmed:
        values.update(new_link())  # flagged or not: the same work (its link is never sent)
    job_extra = {"net": network}
    if address_proven:
        job_extra["proven"] = True
    created, signature_id = signing_insert.signature_insert_with_job(
        values=values, job_kind=SIGNATURE_SUBMITTED, job_extra=job_extra
    )
    if signature_id is None and _retry:
        # A live row the statement could not see yet (committed by a concurrent
        # signature meanwhile), or one that left the live states: once more.
        return signature_create(
            petition=petition,
            data=data,
            request_meta=request_meta,
            language=language,
            address_proven=address_proven,
            _retry=False,
        )
    if signature_id is None:
        raise IntegrityError("signature conflicts but no live signature was found")
    return SignResult(created, signature_id, petition=petition, values=values if created else None)


@lru_cache(maxsize=1)
def _signature_defaults() -> dict:
    """The default of each column signing does not set (callable ones, such as the
    code, are one per row and set above)."""
    return {
        f.attname: f.get_default()
        for f in signing_insert.signature_fields()
        if not (f.has_default() and callable(f.default))
    }
