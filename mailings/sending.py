"""Sending a mailing: the snapshot, the subject-line test, and the send loop.

1. `mailing_start` (the `mailings_advance` loop, for a scheduled mailing whose time has
   come) claims the mailing with a conditional update, so two workers never both start
   it, and snapshots its audience into the recipient ledger with one INSERT ... SELECT:
   one row per member, each with its receiving provider computed in SQL. Nothing loops
   over members in Python.
2. With subject variants, a random sample gets them evenly (one UPDATE per variant) and
   the rest is held back (run_after far in the future) while the mailing is TESTING;
   `mailing_ab_decide` picks the winner after `ab_wait_minutes` by unique clicks or
   attributed signatures per message sent, and releases the rest with it.
3. `recipients_drain` (a jobs.registry drainer: the worker's job threads call it when
   the job ledger has nothing due, so confirmations go first) claims a batch of due
   recipients of one sending mailing under leases, renders each (the mailing compiled
   once per process and variant, personalised per member) and hands it to the SMTP
   server on the thread's kept connection (lib.mail.mail_deliver, within lib.mailrate's
   rates). Accepted recipients are marked done MAILING_MARK_EVERY at a time (and at least
   every half second), so a worker killed mid-send repeats at most the messages in
   flight: those sent but not yet marked, MAILING_MARK_EVERY per thread at most.
4. A temporary refusal (4xx) gives the recipient back with a backoff and halves that
   provider's rate; a permanent refusal of the address (5xx at RCPT) fails the recipient
   with the reason, records a hard bounce and suppresses the address. A paused or
   cancelled mailing is skipped by the claim, and a batch under way stops within half a
   second of the change, giving its unsent recipients back.
"""

import functools
import logging
import math
import random
import smtplib
import threading
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Value,
    When,
)
from django.utils import timezone

from jobs import leases
from lib.mail import RateLimited, mail_deliver_bytes, smtp_code
from lib.mailrate import PROVIDERS, provider_blocked
from mailings.message import message_build, message_bytes
from mailings.models import Mailing, Recipient, Variant
from mailings.outcome import petition_signers_mailable
from mailings.render import mailing_compile, mailing_language
from members.models import Member, Suppression
from members.selectors import mailable_members
from members.services import member_suppress
from orgs.audit import Action, audit_record, audit_target

logger = logging.getLogger("chorus.mailings")

State = Mailing.State
ACTIVE = (State.SENDING, State.TESTING)
# Held back until a subject-line test has its winner.
HELD = datetime(2999, 1, 1, tzinfo=UTC)
# How often a batch under way looks whether its mailing was paused or cancelled.
STATE_CHECK_SECONDS = 0.5


def lease_policy() -> leases.LeasePolicy:
    return leases.LeasePolicy(
        lease=timedelta(seconds=settings.MAILING_LEASE_SECONDS),
        max_attempts=8,
        backoff_first=timedelta(seconds=30),
        backoff_max=timedelta(hours=2),
    )


# ---- The snapshot -----------------------------------------------------------------------


def _audience(mailing):
    """The members the mailing goes to: its segment's conditions and mailable; for an
    update or outcome email, the petition's consenting signers (mailings.outcome).

    Until mailings.segments (the segment lane) provides `segment_mailable`, every
    mailable member of the organisation.
    """
    if mailing.audience == Mailing.Audience.SIGNERS:
        return petition_signers_mailable(mailing.petition)
    try:
        from mailings.segments import segment_mailable
    except ImportError:
        return mailable_members(mailing.organisation)
    return segment_mailable(
        organisation=mailing.organisation, definition=mailing.segment_definition or {}
    )


def provider_case() -> Case:
    """The receiving provider of a member's address, in SQL (lib.mailrate.provider_of)."""

    def ends(*domains):
        q = Q()
        for domain in domains:
            q |= Q(email__iendswith="@" + domain)
        return q

    return Case(
        When(ends("gmail.com", "googlemail.com"), then=Value("gmail")),
        When(
            ends("outlook.com", "live.com", "msn.com") | Q(email__icontains="@hotmail."),
            then=Value("microsoft"),
        ),
        When(
            ends("ymail.com", "aol.com") | Q(email__icontains="@yahoo."),
            then=Value("yahoo"),
        ),
        default=Value("other"),
        output_field=CharField(),
    )


def _snapshot(mailing: Mailing, *, run_after: datetime) -> int:
    """One recipient row per audience member, in one INSERT ... SELECT; how many."""
    columns = {
        "mailing": Value(mailing.pk, output_field=IntegerField()),
        "member": F("pk"),
        "provider": provider_case(),
        "state": Value(Recipient.State.DUE, output_field=CharField()),
        "run_after": Value(run_after, output_field=DateTimeField()),
        "attempts": Value(0, output_field=IntegerField()),
        "last_error": Value("", output_field=CharField()),
        "clicks": Value(0, output_field=IntegerField()),
        "bounce_kind": Value("", output_field=CharField()),
    }
    aliases = {f"snap_{name}": expression for name, expression in columns.items()}
    select = _audience(mailing).order_by().annotate(**aliases).values(*aliases)
    sql, params = select.query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(Recipient._meta.get_field(name).column) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(Recipient._meta.db_table)} ({names}) {sql}", params)
        return cursor.rowcount


def _ab_sample(mailing: Mailing, variants: list[Variant], total: int, now: datetime) -> None:
    """Give a random `ab_sample_percent` of the held recipients a variant each, evenly."""
    sample = min(total, math.ceil(total * mailing.ab_sample_percent / 100))
    sample = max(sample, min(total, len(variants)))
    for index, variant in enumerate(variants):
        share = sample // len(variants) + (1 if index < sample % len(variants) else 0)
        if not share:
            continue
        chosen = (
            Recipient.objects.filter(mailing=mailing, variant__isnull=True)
            .order_by("?")
            .values("pk")[:share]
        )
        Recipient.objects.filter(pk__in=chosen).update(variant=variant, run_after=now)


def mailing_start(*, mailing: Mailing) -> bool:
    """Start a scheduled mailing whose time has come; False if it is not (or no longer) one.

    Everything happens in one transaction: a failure leaves the mailing scheduled, with
    no recipients, for the next turn of the loop.
    """
    now = timezone.now()
    with transaction.atomic():
        claimed = (
            Mailing.objects.filter(pk=mailing.pk, state=State.SCHEDULED)
            .filter(Q(scheduled_at__lte=now) | Q(scheduled_at__isnull=True))
            .update(state=State.SENDING, started_at=now)
        )
        if not claimed:
            return False
        mailing.refresh_from_db()
        variants = list(mailing.variants.order_by("letter"))
        if mailing.audience == Mailing.Audience.SEGMENT:
            mailing.segment_definition = mailing.segment.definition if mailing.segment else {}
        mailing.links = mailing_compile(mailing).links
        total = _snapshot(mailing, run_after=HELD if variants else now)
        if variants:
            _ab_sample(mailing, variants, total, now)
        mailing.recipients_total = total
        mailing.state = State.TESTING if variants else State.SENDING
        mailing.save(update_fields=["segment_definition", "links", "recipients_total", "state"])
        _audit_start(mailing, total, len(variants))
    logger.info("mailing %s started: %s recipients", mailing.pk, total)
    return True


def _audit_start(mailing: Mailing, total: int, variants: int) -> None:
    """The audit log's row for a send: by whoever scheduled it, to how many members."""
    scheduled = mailing.events.filter(action="scheduled").order_by("-at", "-id").first()
    audit_record(
        by=scheduled.by if scheduled else None,
        action=Action.MAILING_SEND,
        summary=f"Started sending “{mailing.name}” to {total} members",
        target=audit_target(mailing),
        detail={
            "recipients": total,
            "segment": mailing.segment_id,
            "petition": mailing.petition_id,
            "subject_lines_tested": variants,
        },
    )


# ---- The subject-line test --------------------------------------------------------------


def variant_results(mailing: Mailing) -> list[dict]:
    """Per variant: sent, unique clicks, signatures and the rate by the mailing's metric."""
    won = (
        Q(first_clicked_at__isnull=False)
        if mailing.ab_metric == Mailing.Metric.CLICKS
        else Q(signature__isnull=False)
    )
    counts = {
        row["variant"]: row
        for row in Recipient.objects.filter(mailing=mailing, variant__isnull=False)
        .values("variant")
        .annotate(
            sent=Count("pk", filter=Q(sent_at__isnull=False)),
            clicked=Count("pk", filter=Q(first_clicked_at__isnull=False)),
            signed=Count("pk", filter=Q(signature__isnull=False)),
            won=Count("pk", filter=won),
        )
    }
    results = []
    for variant in mailing.variants.order_by("letter"):
        row = counts.get(variant.pk, {"sent": 0, "clicked": 0, "signed": 0, "won": 0})
        rate = row["won"] / row["sent"] if row["sent"] else 0.0
        results.append(
            {
                "variant": variant,
                "sent": row["sent"],
                "clicks": row["clicked"],
                "signatures": row["signed"],
                "rate": rate,
            }
        )
    return results


def mailing_ab_decide(*, mailing: Mailing, now: datetime | None = None) -> Variant | None:
    """Pick the winner of a test whose wait is over and send it to the rest; the winner.

    Ties go to the earlier letter. None if the mailing is not testing or still waiting.
    """
    now = now or timezone.now()
    if mailing.state != State.TESTING or mailing.started_at is None:
        return None
    if now < mailing.started_at + timedelta(minutes=mailing.ab_wait_minutes):
        return None
    results = variant_results(mailing)
    if not results:
        return None
    best = max(results, key=lambda r: (r["rate"], -ord(r["variant"].letter)))["variant"]
    with transaction.atomic():
        decided = Mailing.objects.filter(pk=mailing.pk, state=State.TESTING).update(
            state=State.SENDING, winner=best, ab_decided_at=now
        )
        if not decided:
            return None
        Recipient.objects.filter(
            mailing=mailing, variant__isnull=True, state=Recipient.State.DUE
        ).update(variant=best, run_after=timezone.now())
    mailing.state, mailing.winner, mailing.ab_decided_at = State.SENDING, best, now
    logger.info("mailing %s: variant %s won the subject-line test", mailing.pk, best.letter)
    return best


# ---- The loop that moves mailings along -------------------------------------------------


def mailings_finish() -> int:
    """Mark sent every sending mailing with no recipient left to send; how many."""
    due = Recipient.objects.filter(mailing=OuterRef("pk"), state=Recipient.State.DUE)
    return (
        Mailing.objects.filter(state=State.SENDING)
        .exclude(Exists(due))
        .update(state=State.SENT, finished_at=timezone.now())
    )


def mailings_advance() -> int:
    """Start scheduled mailings whose time has come, decide tests, finish finished sends."""
    now = timezone.now()
    worked = 0
    scheduled = Mailing.objects.filter(state=State.SCHEDULED).filter(
        Q(scheduled_at__lte=now) | Q(scheduled_at__isnull=True)
    )
    for mailing in scheduled.select_related("organisation", "petition", "segment"):
        worked += mailing_start(mailing=mailing)
    for mailing in Mailing.objects.filter(state=State.TESTING):
        worked += mailing_ab_decide(mailing=mailing, now=now) is not None
    return worked + mailings_finish()


# ---- The send loop ----------------------------------------------------------------------

_compiled_lock = threading.Lock()
# (mailing, variant, language) -> (mailing, compiled)
_compiled: dict[tuple[int, int | None, str], tuple] = {}


def _mailing_compiled(mailing_id: int, variant_id: int | None, language: str = ""):
    """The mailing and its compiled parts for one variant and language, once per process.

    The frame (footer, and an update email's lines around the campaigner's text) is in
    the member's language; the campaigner's own words are as written.

    A started mailing's content no longer changes, so there is nothing to expire; the
    table forgets everything when it grows past a few dozen entries.
    """
    language = mailing_language(language)
    key = (mailing_id, variant_id, language)
    entry = _compiled.get(key)
    if entry is None:
        mailing = Mailing.objects.select_related("organisation", "petition").get(pk=mailing_id)
        subject = None
        if variant_id is not None:
            subject = Variant.objects.filter(pk=variant_id).values_list("subject", flat=True)[0]
        entry = (mailing, mailing_compile(mailing, subject=subject, language=language))
        with _compiled_lock:
            if len(_compiled) > 64:
                _compiled.clear()
            _compiled[key] = entry
    return entry


def compiled_forget() -> None:
    with _compiled_lock:
        _compiled.clear()


def _mailing_state(mailing_id: int) -> str | None:
    return Mailing.objects.filter(pk=mailing_id).values_list("state", flat=True).first()


def _give_back(rows: list[Recipient], *, delay: float = 0.0) -> None:
    """Return claimed, unsent recipients without counting the attempt."""
    if not rows:
        return
    Recipient.objects.filter(pk__in=[r.pk for r in rows], state=Recipient.State.DUE).update(
        leased_until=None,
        run_after=timezone.now() + timedelta(seconds=delay),
        attempts=Case(When(attempts__gt=0, then=F("attempts") - 1), default=Value(0)),
    )


def _refused_for_good(recipient: Recipient, member, mailing: Mailing, exc, code: int) -> None:
    """A 5xx: the recipient fails with the reason; a refused address is a hard bounce."""
    reason = f"{code} {_smtp_text(exc)}"[:1000]
    now = timezone.now()
    address_refused = isinstance(exc, smtplib.SMTPRecipientsRefused)
    Recipient.objects.filter(pk=recipient.pk).update(
        state=Recipient.State.FAILED,
        leased_until=None,
        last_error=reason,
        bounced_at=now if address_refused else None,
        bounce_kind="hard" if address_refused else "",
    )
    if address_refused:
        member_suppress(
            organisation_id=mailing.organisation_id,
            email_key=member.email_key,
            reason=Suppression.Reason.BOUNCED,
            note=f"Hard bounce on mailing {mailing.pk}: {reason}"[:300],
            at=now,
        )


def _smtp_text(exc) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        message = next(iter(exc.recipients.values()))[1]
    else:
        message = getattr(exc, "smtp_error", str(exc))
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    return " ".join(str(message).split())


def _claim(policy: leases.LeasePolicy) -> list[Recipient]:
    """A batch of due recipients of one sending mailing, skipping providers at their limit."""
    active = list(Mailing.objects.filter(state__in=ACTIVE).values_list("pk", flat=True))
    random.shuffle(active)  # several mailings at once share the workers
    blocked = [provider for provider in PROVIDERS if provider_blocked(provider)]
    for mailing_id in active:
        recipients = Recipient.objects.filter(mailing_id=mailing_id)
        if blocked:
            recipients = recipients.exclude(provider__in=blocked)
        batch = leases.leases_claim(recipients, limit=settings.MAILING_BATCH, policy=policy)
        if batch:
            return batch
    return []


def recipients_drain() -> int:
    """Claim and send one batch of recipients; how many it sent (0: nothing to do now)."""
    policy = lease_policy()
    batch = _claim(policy)
    if not batch:
        return 0
    return _batch_send(batch, policy)


def _batch_send(batch: list[Recipient], policy: leases.LeasePolicy) -> int:
    mailing_id = batch[0].mailing_id
    members = {
        m.pk: m
        for m in Member.objects.filter(pk__in=[r.member_id for r in batch]).only(
            "id", "email", "email_key", "first_name", "language"
        )
    }
    checked = time.monotonic()
    sent = 0
    marks = _Marks()
    try:
        for index, recipient in enumerate(batch):
            if time.monotonic() - checked > STATE_CHECK_SECONDS:
                marks.flush()  # at least every half second: the progress bar moves
                if _mailing_state(mailing_id) not in ACTIVE:  # paused or cancelled meanwhile
                    _give_back(batch[index:])
                    break
                checked = time.monotonic()
            sent += _recipient_send(recipient, members, mailing_id, policy, marks)
    finally:
        marks.flush()
    return sent


def _recipient_send(
    recipient: Recipient,
    members: dict[int, Member],
    mailing_id: int,
    policy: leases.LeasePolicy,
    marks: "_Marks",
) -> int:
    """Send one claimed recipient its message; 1 if the server took it, else 0."""
    if not leases.lease_renew(recipient, policy=policy):
        return 0  # our lease ran out and another worker has it now
    member = members.get(recipient.member_id)
    if member is None:
        return 0  # deleted since the claim: its recipient row went with it
    mailing, compiled = _mailing_compiled(mailing_id, recipient.variant_id, member.language)
    try:
        rendered = compiled.personalise(member, recipient.pk)
        envelope_from, data = message_bytes(
            mailing=mailing, to=member.email, recipient_id=recipient.pk, rendered=rendered
        )
        mail_deliver_bytes(
            from_email=envelope_from,
            to=member.email,
            data=data,
            provider=recipient.provider,
            fallback=functools.partial(
                message_build,
                mailing=mailing,
                to=member.email,
                recipient_id=recipient.pk,
                rendered=rendered,
            ),
        )
    except RateLimited as limited:
        _give_back([recipient], delay=limited.wait)
        return 0
    except smtplib.SMTPException as exc:
        code = smtp_code(exc)
        permanent = code is not None and 500 <= code < 600
        if permanent and not isinstance(exc, smtplib.SMTPSenderRefused):
            _refused_for_good(recipient, member, mailing, exc, code)
        else:
            leases.lease_fail(recipient, error=_error(exc, code), policy=policy)
        return 0
    except Exception as exc:  # the server unreachable, a bad sender...: try again later
        logger.warning("mailing %s recipient %s: %r", mailing_id, recipient.pk, exc)
        leases.lease_fail(recipient, error=_error(exc, None), policy=policy)
        return 0
    marks.add(recipient)
    return 1


class _Marks:
    """Recipients the server took, marked done MAILING_MARK_EVERY at a time: one statement
    for the group in place of one round trip per message (docs/benchmarks.md).

    Until its group is marked a sent message counts as in flight: a worker killed then
    sends it again on resume, so a kill repeats at most MAILING_MARK_EVERY per thread.
    """

    def __init__(self):
        self.pending: list[tuple[int, datetime]] = []

    def add(self, recipient: Recipient) -> None:
        self.pending.append((recipient.pk, timezone.now()))
        if len(self.pending) >= settings.MAILING_MARK_EVERY:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            _marks_write(self.pending)
            self.pending = []


def _marks_write(pending: list[tuple[int, datetime]]) -> None:
    """leases.lease_done for a group, each with its sending time, without waiting for the
    disk on PostgreSQL.

    The marks are visible to every other worker the moment they commit, so a killed
    worker changes nothing; only a crash of the database server itself could lose the last
    fraction of a second of marks, and those recipients would get the message again.
    Waiting for each mark to reach the disk capped the send rate (docs/benchmarks.md).
    """
    if connection.vendor != "postgresql":
        with transaction.atomic():
            for pk, sent_at in pending:
                leases.lease_done(Recipient(pk=pk), sent_at=sent_at)
        return
    table = connection.ops.quote_name(Recipient._meta.db_table)
    ids, times = zip(*pending, strict=True)
    # One statement, one round trip: set_config(..., true) sets synchronous_commit for
    # this statement's own transaction (autocommit), and it is read at that commit.
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true) AS v) "
            f"UPDATE {table} AS r SET state = %s, leased_until = NULL, last_error = '', "
            "sent_at = m.sent_at FROM unnest(%s::bigint[], %s::timestamptz[]) AS m(id, sent_at) "
            "WHERE r.id = m.id AND EXISTS (SELECT 1 FROM quick)",
            [Recipient.State.DONE, list(ids), list(times)],
        )


def _error(exc, code) -> str:
    if code is not None:
        return f"{code} {_smtp_text(exc)}"[:1000]
    return f"{exc.__class__.__name__}: {exc}"[:1000]
