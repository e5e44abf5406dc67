"""Members: one per organisation and email key, with the consent each one gave.

Callers pass plain values (what the person typed, what they agreed to and where),
so members know nothing of petitions or any other way people reach Chorus.

Every change of a subscription goes through `member_subscribe`, `member_unsubscribe`
or `member_suppress`: each writes its entry in the consent ledger and changes the
status in the same transaction. The rules they keep are in docs/privacy.md.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

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
