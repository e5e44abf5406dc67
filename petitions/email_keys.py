"""Moving stored email keys to the current rule (lib.addresses.EMAIL_KEY_VERSION).

`manage.py chorus_email_keys` calls `email_keys_migrate`. Keys carry their rule's
version, so a row whose key does not start with the current one has not been moved yet;
a second run finds nothing to do. Where the new rule says two rows are one person:

* two live signatures of one petition: the older stays, the newer is invalidated
  (signature_set_state, logged in its SignatureEvent; the counts follow). Older is the
  lower id, the order signatures were stored in;
* two members of one organisation: the first to take the new key (the older, unless a
  member made since under the new rule holds it) has it; the other keeps its old key, and
  the pair is reported and left for staff to merge by hand (merging moves consent, and
  consent is a person's own word: no script decides whose stands);
* suppressions are keyed without an address: a suppression takes its new key from the
  member (or a signature) that had its old key, else from the old key itself.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from lib.addresses import EMAIL_KEY_VERSION, normalised_email_key
from members.models import Member, Suppression
from orgs.audit import audit_record
from petitions.models import Signature
from petitions.services import signature_set_state

State = Signature.State


@dataclass
class KeysMigrated:
    signatures: int = 0
    members: int = 0
    suppressions: int = 0
    invalidated: list[tuple[int, int]] = field(default_factory=list)  # (newer, older) ids
    member_collisions: list[tuple[int, int]] = field(default_factory=list)  # (newer, older)
    suppressions_left: list[int] = field(default_factory=list)


def _stale() -> Q:
    return ~Q(email_key__startswith=f"{EMAIL_KEY_VERSION}:")


def _batches(queryset, size: int) -> Iterator[list]:
    """Rows by id, a batch at a time; each batch read after the previous one was written."""
    last = 0
    while batch := list(queryset.filter(pk__gt=last).order_by("pk")[:size]):
        yield batch
        last = batch[-1].pk


def key_from_old_key(old_key: str) -> str:
    """The current key of an old one when no address is at hand (suppressions)."""
    return normalised_email_key(old_key.partition(":")[2])


def email_keys_migrate(
    *, dry_run: bool = False, batch_size: int = 1000, say: Callable[[str], None] = print
) -> KeysMigrated:
    done = KeysMigrated()
    _suppressions(done, dry_run, batch_size, say)
    _members(done, dry_run, batch_size, say)
    _signatures(done, dry_run, batch_size, say)
    if not dry_run and (done.signatures or done.members or done.suppressions):
        audit_record(
            by=None,
            action="other",
            summary=f"Email keys moved to rule {EMAIL_KEY_VERSION} (chorus_email_keys)",
            detail={
                "rule": EMAIL_KEY_VERSION,
                "signatures": done.signatures,
                "members": done.members,
                "suppressions": done.suppressions,
                "signatures_invalidated": [newer for newer, _ in done.invalidated],
                "member_collisions_left": done.member_collisions,
            },
        )
    return done


# --- Suppressions: before the members, whose old keys name their addresses ----------------


def _suppressions(done, dry_run, batch_size, say) -> None:
    planned: set[tuple[int, str]] = set()
    for batch in _batches(Suppression.objects.filter(_stale()), batch_size):
        for suppression in batch:
            new_key = _suppression_key(suppression)
            place = (suppression.organisation_id, new_key)
            taken = place in planned or (
                Suppression.objects.filter(organisation_id=place[0], email_key=new_key)
                .exclude(pk=suppression.pk)
                .exists()
            )
            if taken:
                # The address is suppressed under its new key already: this row stays as
                # it is, matching nothing, and is reported.
                done.suppressions_left.append(suppression.pk)
                say(f"suppression {suppression.pk}: its address is already suppressed; left")
                continue
            planned.add(place)
            done.suppressions += 1
            if not dry_run:
                Suppression.objects.filter(pk=suppression.pk).update(email_key=new_key)


def _suppression_key(suppression) -> str:
    old = suppression.email_key
    email = (
        Member.objects.filter(organisation_id=suppression.organisation_id, email_key=old)
        .values_list("email", flat=True)
        .first()
    ) or (
        Signature.objects.filter(
            petition__organisation_id=suppression.organisation_id, email_key=old
        )
        .values_list("email", flat=True)
        .first()
    )
    return normalised_email_key(email) if email else key_from_old_key(old)


# --- Members ------------------------------------------------------------------------------


def _members(done, dry_run, batch_size, say) -> None:
    planned: dict[tuple[int, str], int] = {}
    rows = Member.objects.filter(_stale()).only("pk", "organisation_id", "email", "email_key")
    for batch in _batches(rows, batch_size):
        for member in batch:
            new_key = normalised_email_key(member.email)
            place = (member.organisation_id, new_key)
            holder = planned.get(place) or (
                Member.objects.filter(organisation_id=place[0], email_key=new_key)
                .values_list("pk", flat=True)
                .first()
            )
            if holder:
                pair = (max(member.pk, holder), min(member.pk, holder))
                done.member_collisions.append(pair)
                say(
                    f"member {pair[0]} is the same person as member {pair[1]} under rule "
                    f"{EMAIL_KEY_VERSION}; member {member.pk} keeps its old key: merge by hand"
                )
                continue
            planned[place] = member.pk
            done.members += 1
            if not dry_run:
                Member.objects.filter(pk=member.pk).update(email_key=new_key)


# --- Signatures ---------------------------------------------------------------------------


def _signatures(done, dry_run, batch_size, say) -> None:
    planned: dict[tuple[int, str], int] = {}  # live (petition, key) -> id, for a dry run
    invalidated: set[int] = set()
    rows = Signature.objects.filter(_stale()).only(
        "pk", "petition_id", "email", "email_key", "state"
    )
    for batch in _batches(rows, batch_size):
        for signature in batch:
            new_key = normalised_email_key(signature.email)
            live = signature.state in Signature.LIVE_STATES and signature.pk not in invalidated
            if live:
                place = (signature.petition_id, new_key)
                holder = planned.get(place) or _live_holder(signature, new_key)
                if holder and holder not in invalidated:
                    newer, older = max(holder, signature.pk), min(holder, signature.pk)
                    _invalidate(newer, older, dry_run, say)
                    invalidated.add(newer)
                    done.invalidated.append((newer, older))
                    live = newer != signature.pk
                if live:
                    planned[place] = signature.pk
            done.signatures += 1
            if not dry_run:
                Signature.objects.filter(pk=signature.pk).update(email_key=new_key)


def _live_holder(signature, new_key: str) -> int | None:
    return (
        Signature.objects.filter(
            petition_id=signature.petition_id, email_key=new_key, state__in=Signature.LIVE_STATES
        )
        .exclude(pk=signature.pk)
        .values_list("pk", flat=True)
        .first()
    )


def _invalidate(newer: int, older: int, dry_run: bool, say) -> None:
    codes = dict(Signature.objects.filter(pk__in=[newer, older]).values_list("pk", "code"))
    say(
        f"signature {codes[newer]} invalidated: the same person as the older {codes[older]} "
        f"under email key rule {EMAIL_KEY_VERSION}"
    )
    if dry_run:
        return
    with transaction.atomic():
        signature_set_state(
            signature=Signature.objects.get(pk=newer),
            state=State.INVALIDATED,
            note=(
                f"Email key rule {EMAIL_KEY_VERSION}: the same person as signature "
                f"{codes[older]}, which stays"
            ),
        )
