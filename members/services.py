"""Members: one per organisation and email key, with the consent each one gave.

Callers pass plain values (what the person typed, what they agreed to and where),
so members know nothing of petitions or any other way people reach Chorus.

Every change of a subscription goes through `member_subscribe`, `member_unsubscribe`
or `member_suppress`: each writes its entry in the consent ledger and changes the
status in the same transaction. The rules they keep are in docs/privacy.md.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from members.consent import (
    STAFF_SUPPRESS_WORDING,
    STAFF_UNSUBSCRIBE_WORDING,
    UNSUBSCRIBE_WORDING_VERSION,
)
from members.models import ConsentRecord, CountryConsentRule, Member, Suppression
from members.selectors import double_opt_in_required
from orgs.audit import Action, audit_record, audit_target

Status = Member.Status
Reason = Suppression.Reason
SourceKind = ConsentRecord.SourceKind

# Only an unsubscription is the person's own choice, which their own new opt-in can undo.
# A bounce, a complaint, staff's decision or an imported list needs staff to review it.
LIFTED_BY_OPT_IN = {Reason.UNSUBSCRIBED}
# What a member's status becomes when their address is suppressed for each reason.
STATUS_FOR_REASON = {
    Reason.UNSUBSCRIBED: Status.UNSUBSCRIBED,
    Reason.BOUNCED: Status.BOUNCED,
    Reason.COMPLAINED: Status.COMPLAINED,
    Reason.STAFF: Status.UNSUBSCRIBED,
    Reason.IMPORTED: Status.UNSUBSCRIBED,
}
# An erased address stays suppressed as a keyed hash of its key (docs/privacy.md, Erasure).
HASHED_PREFIX = "hmac:"


@dataclass(frozen=True)
class Consent:
    """What a person agreed to: the exact words, their version, where and when."""

    wording: str
    wording_version: str
    source: str  # where the choice was made: the page's address, the mailing, the file
    at: datetime
    topic: str = "email"
    signature_id: int | None = None  # the signature that carried it, so it counts once
    source_kind: str = SourceKind.PAGE
    # Whether the person proved they own the address (clicked a link sent to it). Where
    # the member's country asks for a confirmed opt-in, an unproven one waits.
    address_proven: bool = False


class SubscriptionRefused(Exception):
    """The change does not apply to this member any more; the message says why."""


def member_record(
    *,
    organisation_id: int,
    email: str,
    email_key: str,
    first_name: str,
    last_name: str,
    country: str,
    postcode: str = "",
    language: str = "",
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
    if language:
        fields["language"] = language
    with transaction.atomic():
        member = _member_get_or_create(organisation_id, email_key, fields)
        if consent is not None:
            member_subscribe(member=member, consent=consent)
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
    if created:
        suppressions_restore(organisation_id=organisation_id, email_keys=[email_key])
    if not created:
        Member.objects.filter(pk=member.pk).update(**fields)
        for name, value in fields.items():
            setattr(member, name, value)
    return member


def member_subscribe(*, member: Member, consent: Consent) -> Member:
    """Record a granted consent and subscribe the member, as far as the rules allow.

    * The ledger always gets the entry: it records what the person agreed to.
    * An address suppressed as unsubscribed is released by this new opt-in; any other
      suppression (bounced, complained, staff, imported) stays, and so does the status.
    * Where the member's country asks for a confirmed opt-in and the address is not
      proven, the member waits as "pending opt-in" and is not mailed.
    A consent carried by a signature counts once: recording it again changes nothing.
    """
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if not _consent_write(member, consent):
            return member
        suppression = Suppression.objects.filter(
            organisation_id=member.organisation_id, email_key=member.email_key
        ).first()
        if suppression is not None and suppression.reason not in LIFTED_BY_OPT_IN:
            return member
        if not consent.address_proven and double_opt_in_required(
            organisation_id=member.organisation_id, country=str(member.country)
        ):
            if member.status in (Status.SUBSCRIBED, Status.PENDING):
                return member
            return _status_set(member, Status.PENDING, consent.at, "Needs a confirmed opt-in")
        if suppression is not None:
            suppression.delete()
        if member.status == Status.SUBSCRIBED:
            return member
        return _status_set(member, Status.SUBSCRIBED, consent.at, "Opted in")


def _consent_write(member: Member, consent: Consent) -> bool:
    """The consent's ledger entry; False when a signature's consent was recorded already."""
    values = {
        "member": member,
        "action": ConsentRecord.Action.GRANTED,
        "wording": consent.wording,
        "wording_version": consent.wording_version,
        "source": consent.source,
        "source_kind": consent.source_kind,
        "at": consent.at,
    }
    if consent.signature_id is None:
        ConsentRecord.objects.create(topic=consent.topic, **values)
        return True
    _, created = ConsentRecord.objects.get_or_create(
        signature_id=consent.signature_id, topic=consent.topic, defaults=values
    )
    return created


def member_unsubscribe(
    *,
    member: Member,
    source: str,
    reason: str,
    wording: str = STAFF_UNSUBSCRIBE_WORDING,
    where: str = "",
    at: datetime | None = None,
    by=None,
) -> Member:
    """Unsubscribe a member (source: page, mailing, import or staff) and suppress the address.

    The withdrawal goes in the ledger with its reason; a later opt-in of the person's own
    can undo it (see member_subscribe), staff cannot.
    """
    at = at or timezone.now()
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if member.status in (Status.UNSUBSCRIBED, Status.BOUNCED, Status.COMPLAINED):
            raise SubscriptionRefused("This member is already unsubscribed.")
        before = member.status
        _withdrawal_write(member, source, reason, wording, where, at, by)
        _suppression_keep(member.organisation_id, member.email_key, Reason.UNSUBSCRIBED, at, by)
        member = _status_set(member, Status.UNSUBSCRIBED, at, reason)
        if source == SourceKind.STAFF and by is not None:
            _audit_staff_change(by, member, "Unsubscribed a member", before)
        return member


def member_suppress(
    *, organisation_id: int, email_key: str, reason: str, by=None, note: str = "", at=None
) -> Suppression:
    """Put an address on the suppression list, whether or not a member has it.

    A harder reason replaces a softer one (a complaint after an unsubscription), never
    the other way. If a member has the address, they stop being mailed at once and the
    ledger records the withdrawal.
    """
    at = at or timezone.now()
    with transaction.atomic():
        suppression = _suppression_keep(organisation_id, email_key, reason, at, by, note)
        member = (
            Member.objects.select_for_update()
            .filter(organisation_id=organisation_id, email_key=email_key)
            .first()
        )
        wanted = STATUS_FOR_REASON[Reason(suppression.reason)]
        before = member.status if member is not None else ""
        if member is not None and member.status != wanted:
            kind = SourceKind.STAFF if by is not None else SourceKind.MAILING
            why = note or Reason(reason).label
            _withdrawal_write(member, kind, why, STAFF_SUPPRESS_WORDING, "", at, by)
            _status_set(member, wanted, at, why)
        if by is not None:
            summary = f"Suppressed an address ({Reason(suppression.reason).label.lower()})"
            _audit_staff_change(by, member or suppression, summary, before)
        return suppression


def _audit_staff_change(by, acted_on, summary: str, before: str) -> None:
    # The reason staff typed stays in the consent ledger: it may name the person.
    after = acted_on.status if isinstance(acted_on, Member) else ""
    audit_record(
        by=by,
        action=Action.SUBSCRIPTION,
        summary=summary,
        target=audit_target(acted_on),
        detail={"before": before or "no member", "after": after or "suppressed"},
    )


def _suppression_keep(organisation_id, email_key, reason, at, by, note="") -> Suppression:
    suppression, created = Suppression.objects.select_for_update().get_or_create(
        organisation_id=organisation_id,
        email_key=email_key,
        defaults={"reason": reason, "at": at, "by": by, "note": note},
    )
    if not created and suppression.reason in LIFTED_BY_OPT_IN and reason not in LIFTED_BY_OPT_IN:
        suppression.reason, suppression.at, suppression.by = reason, at, by
        suppression.note = note
        suppression.save(update_fields=["reason", "at", "by", "note"])
    return suppression


def suppression_hash(email_key: str, secret: str | None = None) -> str:
    """What stands for an address on the suppression list once the address is erased."""
    digest = salted_hmac(
        "chorus.members.suppression", email_key, secret=secret, algorithm="sha256"
    ).hexdigest()
    return HASHED_PREFIX + digest


def _hashes(email_key: str) -> list[str]:
    # Under the current secret and every fallback: rotating SECRET_KEY loses no entry.
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return [suppression_hash(email_key, secret) for secret in secrets]


def suppression_keys(email_key: str) -> list[str]:
    """Every key an address's suppression may be kept under: its own, or its hash."""
    return [email_key, *_hashes(email_key)]


def suppression_hide(*, organisation_id: int, email_key: str) -> int:
    """Keep the address's suppression under a keyed hash of its key, without the key.

    The entry still stops the address, should it come back (an import, a new member),
    from being mailed against the reason it was suppressed; nothing in it names the
    address any more. Returns how many entries it hid (0 or 1).
    """
    with transaction.atomic():
        plain = (
            Suppression.objects.select_for_update()
            .filter(organisation_id=organisation_id, email_key=email_key)
            .first()
        )
        if plain is None:
            return 0
        hashed = list(
            Suppression.objects.select_for_update().filter(
                organisation_id=organisation_id, email_key__in=_hashes(email_key)
            )
        )
        for old in hashed:  # kept earlier, under this or an older secret
            if old.reason not in LIFTED_BY_OPT_IN and plain.reason in LIFTED_BY_OPT_IN:
                plain.reason, plain.at = old.reason, old.at
            old.delete()
        plain.email_key, plain.note = suppression_hash(email_key), ""
        plain.save(update_fields=["email_key", "note", "reason", "at"])
        return 1


def suppressions_restore(*, organisation_id: int, email_keys: list[str]) -> int:
    """Put hidden suppressions back under the keys of addresses that came back.

    Called where a member is made, so every check that matches keys in SQL (who may be
    mailed, who may be subscribed) sees the suppression again. Returns how many.
    """
    by_hash = {hashed: key for key in email_keys for hashed in _hashes(key)}
    hidden = Suppression.objects.filter(
        organisation_id=organisation_id, email_key__in=list(by_hash)
    )
    if not by_hash or not hidden.exists():  # nearly always: one query, no transaction
        return 0
    with transaction.atomic():
        hidden = list(hidden.select_for_update())
        for entry in hidden:
            key = by_hash[entry.email_key]
            _suppression_keep(organisation_id, key, entry.reason, entry.at, entry.by)
            entry.delete()
    return len(hidden)


def _withdrawal_write(member, source_kind, reason, wording, where, at, by) -> None:
    ConsentRecord.objects.create(
        member=member,
        action=ConsentRecord.Action.WITHDRAWN,
        wording=wording,
        wording_version=UNSUBSCRIBE_WORDING_VERSION,
        source_kind=source_kind,
        source=where or SourceKind(source_kind).label,
        reason=reason,
        by=by,
        at=at,
    )


def _status_set(member: Member, status: str, at: datetime, reason: str) -> Member:
    member.status, member.status_changed_at, member.status_reason = status, at, reason[:300]
    member.save(update_fields=["status", "status_changed_at", "status_reason", "updated_at"])
    return member


def consent_rule_set(
    *, organisation_id: int, country: str, double_opt_in: bool, note: str = ""
) -> CountryConsentRule:
    """Set what subscribing needs in one country; it applies to opt-ins from now on."""
    rule, _ = CountryConsentRule.objects.update_or_create(
        organisation_id=organisation_id,
        country=country,
        defaults={"double_opt_in": double_opt_in, "note": note},
    )
    return rule


def consent_rule_remove(*, organisation_id: int, country: str) -> None:
    """Drop an organisation's rule: the country follows the built-in default again."""
    CountryConsentRule.objects.filter(organisation_id=organisation_id, country=country).delete()
