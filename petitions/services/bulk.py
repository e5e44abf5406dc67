"""Staff changing many signatures' states at once: choose, preview, run in batches, reverse.

Signatures are chosen by BulkFilters (client network, email domain, country, time window,
name pattern, combinable). Every value a person types becomes a query parameter or an
escaped pattern, never SQL. Confirming records a BulkAction and a ledger job; the job
walks the chosen signatures by id, a batch per transaction, and writes each batch
set-wise: one INSERT ... SELECT of SignatureEvents, one UPDATE of the signatures (marked
count_dirty, so the count fold follows within seconds). A reversal is another BulkAction
that walks the signatures the first one changed and puts each back to the state its
event says it had, skipping (and counting) those whose address a newer live signature
now holds.
"""

import re
from dataclasses import asdict, dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Value
from django.db.models.functions import Concat, Lower
from django.utils import timezone

from jobs.services import job_record
from orgs.audit import audit_record
from petitions.models import BulkAction, Petition, Signature, SignatureEvent
from petitions.selectors import plan_each_query

State = Signature.State
Kind = BulkAction.Kind

BULK_ACTION_RUN = "bulk_action_run"
BATCH_SIZE = 5000
# Batches per job, so one job stays well inside its lease; the job records the next one.
BATCHES_PER_JOB = 8
SAMPLE_SIZE = 10
NAME_PATTERN_MAX = 100

# What each kind moves, from which states, to which.
TARGETS = {
    Kind.INVALIDATE: State.INVALIDATED,
    Kind.FRAUDULENT: State.FRAUDULENT,
    Kind.REINSTATE: State.CONFIRMED,
}
NOT_LIVE = [State.INVALIDATED, State.FRAUDULENT]


class BulkActionRefused(ValueError):
    """A bulk action that cannot run; the message says why, for the person asking."""


@dataclass(frozen=True)
class BulkFilters:
    """Which signatures of a petition; empty fields do not narrow."""

    network: str = ""  # a stored client network, "203.0.113.0/24"
    domain: str = ""  # the email address's domain, "example.org"
    country: str = ""
    created_from: datetime | None = None
    created_before: datetime | None = None
    name: str = ""  # a name pattern: * stands for any run of characters

    def is_empty(self) -> bool:
        return not any(asdict(self).values())

    def as_json(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if v}
        for key in ("created_from", "created_before"):
            if key in data:
                data[key] = data[key].isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict) -> "BulkFilters":
        data = dict(data)
        for key in ("created_from", "created_before"):
            if data.get(key):
                data[key] = datetime.fromisoformat(data[key])
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def audit_detail(self) -> dict:
        """The filters as the audit log may keep them: a name pattern is personal data, so
        only its presence is kept."""
        data = self.as_json()
        if "name" in data:
            data["name"] = "(a name pattern)"
        return data


def name_pattern_regex(pattern: str) -> str:
    """A case-insensitive regular expression for a name pattern, every character literal
    except *, which matches any run of characters. The whole name must match."""
    parts = [re.escape(part) for part in pattern.lower().split("*")]
    return "^" + ".*".join(parts) + "$"


def email_domain_q(domain: str) -> Q:
    # endswith escapes % and _ itself; the domain has no @, so "@" + domain is the
    # whole domain and no suffix of another one.
    return Q(email_key__iendswith="@" + domain.lower())


def signatures_matching(*, petition_id: int, filters: BulkFilters):
    """Every signature of the petition the filters choose, in any state."""
    rows = Signature.objects.filter(petition_id=petition_id).order_by()
    if filters.network:
        rows = rows.filter(ip_prefix=filters.network)
    if filters.domain:
        rows = rows.filter(email_domain_q(filters.domain))
    if filters.country:
        rows = rows.filter(country=filters.country)
    if filters.created_from:
        rows = rows.filter(created_at__gte=filters.created_from)
    if filters.created_before:
        rows = rows.filter(created_at__lt=filters.created_before)
    if filters.name:
        rows = rows.alias(full_name=Lower(Concat("first_name", Value(" "), "last_name"))).filter(
            full_name__regex=name_pattern_regex(filters.name)
        )
    return rows


def _no_live_holder() -> Q:
    """No live signature of the same address on the same petition (the live-key rule)."""
    live = Signature.objects.filter(
        petition_id=OuterRef("petition_id"),
        email_key=OuterRef("email_key"),
        state__in=Signature.LIVE_STATES,
    )
    return ~Exists(live)


def _newest_of_address() -> Q:
    newer = Signature.objects.filter(
        petition_id=OuterRef("petition_id"), email_key=OuterRef("email_key"), id__gt=OuterRef("id")
    )
    return ~Exists(newer)


def kind_steps(rows, kind: str) -> list[tuple]:
    """(signatures that change, the state they move to) for a kind, from matching rows."""
    if kind == Kind.REINSTATE:
        # Only a signature the signer once confirmed, only the newest of its address,
        # and only while no other signature of that address is live.
        reinstated = rows.filter(state__in=NOT_LIVE, confirmed_at__isnull=False)
        return [(reinstated.filter(_newest_of_address() & _no_live_holder()), State.CONFIRMED)]
    target = TARGETS[kind]
    return [(rows.exclude(state=target), target)]


def kind_scope(rows, kind: str):
    """The matching rows a kind looks at: it counts those it cannot change as skipped."""
    if kind == Kind.REINSTATE:
        return rows.filter(state__in=NOT_LIVE)
    return rows.exclude(state=TARGETS[kind])


@dataclass(frozen=True)
class Preview:
    count: int
    would_change: int
    sample: list[dict]


def bulk_preview(*, petition: Petition, kind: str, filters: BulkFilters) -> Preview:
    """How many signatures a bulk action would look at and change, and a few of them."""
    rows = kind_scope(signatures_matching(petition_id=petition.pk, filters=filters), kind)
    [(changing, _)] = kind_steps(rows, kind)
    sample = list(
        rows.order_by("-id").values(
            "id", "first_name", "last_name", "country", "ip_prefix", "state", "created_at"
        )[:SAMPLE_SIZE]
    )
    return Preview(count=rows.count(), would_change=changing.count(), sample=sample)


def _refuse_empty(filters: BulkFilters) -> None:
    if filters.is_empty():
        raise BulkActionRefused(
            "Choose at least one filter: a bulk action never applies to a whole petition."
        )


def bulk_action_start(
    *, petition: Petition, kind: str, filters: BulkFilters, reason: str, by
) -> BulkAction:
    """Record a bulk action on the signatures matching now and the job that works it."""
    if kind not in TARGETS:
        raise BulkActionRefused(f"There is no bulk action called {kind!r}.")
    _refuse_empty(filters)
    with transaction.atomic():
        rows = signatures_matching(petition_id=petition.pk, filters=filters)
        upto = Signature.objects.filter(petition=petition).aggregate(m=Max("id"))["m"] or 0
        total = kind_scope(rows, kind).filter(id__lte=upto).count()
        action = BulkAction.objects.create(
            petition=petition,
            kind=kind,
            filters=filters.as_json(),
            reason=reason[:300],
            by=by,
            upto_id=upto,
            total=total,
        )
        _audit(action, {"filters": filters.audit_detail()})
        job_record(kind=BULK_ACTION_RUN, payload={"action": action.pk})
    return action


def bulk_action_reverse(*, action: BulkAction, reason: str, by) -> BulkAction:
    """Put back, as a whole, what a finished or cancelled bulk action changed."""
    with transaction.atomic():
        action = BulkAction.objects.select_for_update().get(pk=action.pk)
        if action.kind == Kind.REVERSE:
            raise BulkActionRefused("A reversal cannot itself be reversed.")
        if action.state == BulkAction.State.RUNNING:
            raise BulkActionRefused("This bulk action is still running: cancel it first.")
        if BulkAction.objects.filter(reverses=action).exists():
            raise BulkActionRefused("This bulk action has already been reversed.")
        changed = SignatureEvent.objects.filter(bulk_action=action)
        upto = changed.aggregate(m=Max("signature_id"))["m"] or 0
        reversal = BulkAction.objects.create(
            petition_id=action.petition_id,
            kind=Kind.REVERSE,
            reverses=action,
            filters=action.filters,
            reason=reason[:300],
            by=by,
            upto_id=upto,
            total=changed.count(),
        )
        _audit(reversal, {"reverses": action.pk})
        job_record(kind=BULK_ACTION_RUN, payload={"action": reversal.pk})
    return reversal


def _audit(action: BulkAction, detail: dict) -> None:
    reverse = action.kind == Kind.REVERSE
    audit_record(
        by=action.by,
        action="reinstate" if reverse or action.kind == Kind.REINSTATE else "invalidate",
        summary=f"{action.get_kind_display()}: bulk action {action.pk}, "
        f"{action.total} matching signatures",
        target=f"petition {action.petition_id}",
        detail={
            "bulk_action": action.pk,
            "kind": action.kind,
            "matching": action.total,
            **detail,
        },
    )


def bulk_action_cancel(*, action: BulkAction) -> bool:
    """Stop a running bulk action before its next batch; False if it had ended."""
    return bool(
        BulkAction.objects.filter(pk=action.pk, state=BulkAction.State.RUNNING).update(
            state=BulkAction.State.CANCELLED, finished_at=timezone.now()
        )
    )


def _scope_and_steps(action: BulkAction, after: int, upto: int):
    """The rows a batch looks at (ids in (after, upto]) and its steps: (rows, new state)."""
    if action.kind != Kind.REVERSE:
        filters = BulkFilters.from_json(action.filters)
        rows = signatures_matching(petition_id=action.petition_id, filters=filters)
        rows = kind_scope(rows, action.kind).filter(id__gt=after, id__lte=upto)
        return rows, kind_steps(rows, action.kind)
    # The id range goes inside the subquery too, so each batch reads only its own events
    # (by the index on bulk_action, signature), not every event of the action.
    events = SignatureEvent.objects.filter(
        bulk_action_id=action.reverses_id, signature_id__gt=after, signature_id__lte=upto
    )
    rows = Signature.objects.filter(
        id__in=events.values("signature_id"), id__gt=after, id__lte=upto
    ).order_by()
    steps = []
    pairs = (
        SignatureEvent.objects.filter(bulk_action_id=action.reverses_id)
        .values_list("from_state", "to_state")
        .distinct()
        .order_by()
    )
    for back_to, changed_to in pairs:
        chosen = events.filter(from_state=back_to, to_state=changed_to).values("signature_id")
        step = Signature.objects.filter(
            id__in=chosen, id__gt=after, id__lte=upto, state=changed_to
        ).order_by()
        if back_to in Signature.LIVE_STATES:
            step = step.filter(_no_live_holder())
        steps.append((step, back_to))
    return rows, steps


def bulk_action_run(
    *, action_pk: int, batches: int = BATCHES_PER_JOB, size: int = BATCH_SIZE
) -> bool:
    """Work up to `batches` batches of a running bulk action; True while rows are left."""
    return all(_batch_run(action_pk, size) for _ in range(batches))


def _batch_run(action_pk: int, size: int) -> bool:
    with transaction.atomic():
        action = BulkAction.objects.select_for_update().filter(pk=action_pk).first()
        if action is None or action.state != BulkAction.State.RUNNING:
            return False  # cancelled, or finished by an earlier run of the job
        if connection.vendor == "postgresql":
            # The same statements run batch after batch, so psycopg prepares them, and a
            # generic plan cannot use the live-key partial index for "no live holder"
            # (its states are parameters then): a scan per row. Plan each for its values.
            plan_each_query()
        ahead, _ = _scope_and_steps(action, action.cursor, action.upto_id)
        last = ahead.order_by("id").values_list("id", flat=True)[size - 1 : size].first()
        high = last or action.upto_id
        rows, steps = _scope_and_steps(action, action.cursor, high)
        # Counted before the writes: a changed row leaves a kind's scope.
        looked_at = rows.count()
        changed = sum(_step_write(action, step, target) for step, target in steps)
        finished = high >= action.upto_id
        BulkAction.objects.filter(pk=action.pk).update(
            cursor=high,
            done=F("done") + looked_at,
            changed=F("changed") + changed,
            skipped=F("skipped") + looked_at - changed,
            state=BulkAction.State.DONE if finished else action.state,
            finished_at=timezone.now() if finished else None,
        )
    return not finished


def _step_write(action: BulkAction, rows, target: str) -> int:
    """Log and change one batch's rows set-wise: events first (they read the old state)."""
    if connection.vendor == "postgresql":
        # Hold the rows, so the state the events record is the state the update replaces.
        list(rows.select_for_update().values_list("id", flat=True))
    select, params = rows.values_list("id", "state").query.sql_with_params()
    event_table = SignatureEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {event_table} "
            "(signature_id, from_state, to_state, at, by_id, note, bulk_action_id) "
            f"SELECT chosen.id, chosen.state, %s, %s, %s, %s, %s FROM ({select}) AS chosen",
            [target, timezone.now(), action.by_id, action.reason, action.pk, *params],
        )
    return rows.update(state=target, count_dirty=True)
