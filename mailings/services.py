"""A mailing's life as staff drive it: compose, schedule, pause, resume, cancel, retry.

    draft ──schedule──▶ scheduled ──(mailings.sending starts it)──▶ sending | testing ──▶ sent
      ▲                    │                                          │   ▲
      └────unschedule──────┘                                   pause  ▼   │ resume
                                                                     paused
    any state but sent ──cancel──▶ cancelled

Every function here is keyword-only, changes the mailing in one transaction, records a
MailingEvent (who, what, when) and raises MailingRefused, with a sentence staff can act
on, for a change the mailing's state does not allow. Pausing is only a state change:
the send loop claims recipients of sending and testing mailings alone.

Cancelling marks every recipient still due as failed with the reason "cancelled", so the
ledger is final (nothing is left that a later resume could send) and the report can say
how many were never sent; a cancelled mailing cannot be resumed or retried.
"""

from datetime import datetime, timedelta
from email.headerregistry import Address

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from jobs.leases import leases_retry
from lib.mail import sender_address
from lib.text import TextRefused, multi_line_clean, single_line_clean
from mailings.models import Mailing, MailingEvent, Recipient, Segment, Variant
from mailings.render import mailing_compile, merge_field_errors
from petitions.models import Petition

State = Mailing.State
EDITABLE = (State.DRAFT, State.SCHEDULED)
UNSENT = (State.DRAFT, State.SCHEDULED, State.SENDING, State.TESTING, State.PAUSED)
RUNNING = (State.SENDING, State.TESTING)
VARIANT_LETTERS = "ABCD"
MAX_VARIANTS = len(VARIANT_LETTERS)
SAMPLE_PERCENT = (5, 50)
WAIT_MINUTES = (30, 48 * 60)
CANCELLED_REASON = "cancelled"
TEST_PREFIX = "[Test] "
LIMITS = {"name": 200, "subject": 200, "preheader": 200, "from_name": 100, "body": 100_000}


class MailingRefused(Exception):
    """A change the mailing cannot take; the message says why, for staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _event(mailing: Mailing, by, action: str, note: str = "") -> None:
    MailingEvent.objects.create(mailing=mailing, by=by, action=action, note=note[:300])


def _locked(mailing: Mailing) -> Mailing:
    """The mailing's row, locked for the transaction, copied into `mailing`."""
    fresh = Mailing.objects.select_for_update().get(pk=mailing.pk)
    for field in ("state", "scheduled_at", "started_at", "finished_at", "ab_decided_at"):
        setattr(mailing, field, getattr(fresh, field))
    mailing.winner_id = fresh.winner_id
    return mailing


def _label(state: str) -> str:
    return State(state).label.lower()


# ---- Composing ---------------------------------------------------------------------------


def _text(data: dict, name: str, *, required: bool, multi: bool = False) -> str:
    value = data.get(name) or ""
    if not isinstance(value, str):
        raise MailingRefused(f"The {name.replace('_', ' ')} must be text.")
    try:
        value = multi_line_clean(value) if multi else single_line_clean(value)
    except TextRefused as refused:
        raise MailingRefused(f"The {name.replace('_', ' ')}: {refused.message}") from None
    if required and not value:
        raise MailingRefused(f"The {name.replace('_', ' ')} is required.")
    if len(value) > LIMITS[name]:
        raise MailingRefused(f"Keep the {name.replace('_', ' ')} to {LIMITS[name]:,} characters.")
    return value


def _checked(*, organisation, data: dict) -> tuple[dict, list[str]]:
    """The mailing's columns from `data`, checked; and its variant subjects."""
    fields = {
        "name": _text(data, "name", required=True),
        "subject": _text(data, "subject", required=False),
        "preheader": _text(data, "preheader", required=False),
        "from_name": _text(data, "from_name", required=False) or organisation.email_sender_name,
        "body": _text(data, "body", required=False, multi=True),
    }
    address = (data.get("from_address") or "").strip()
    if address not in settings.MAILING_SENDERS:
        raise MailingRefused("Choose the from address from the configured senders.")
    fields["from_address"] = address
    reply_to = (data.get("reply_to") or "").strip()
    if reply_to:
        try:
            validate_email(reply_to)
        except ValidationError:
            raise MailingRefused("The reply-to address is not an email address.") from None
        if any(c in reply_to for c in "\r\n"):
            raise MailingRefused("The reply-to address is not an email address.")
    fields["reply_to"] = reply_to
    for name in ("subject", "preheader", "body"):
        errors = merge_field_errors(fields[name])
        if errors:
            raise MailingRefused(f"The {name}: {errors[0]}")
    petition = data.get("petition")
    if petition is not None and (
        not isinstance(petition, Petition) or petition.organisation_id != organisation.pk
    ):
        raise MailingRefused("Choose one of this organisation's petitions.")
    segment = data.get("segment")
    if segment is not None and (
        not isinstance(segment, Segment) or segment.organisation_id != organisation.pk
    ):
        raise MailingRefused("Choose one of this organisation's segments.")
    fields["petition"], fields["segment"] = petition, segment
    variants = [v for v in (data.get("variants") or []) if v]
    if len(variants) > MAX_VARIANTS:
        raise MailingRefused(f"A subject-line test has at most {MAX_VARIANTS} subjects.")
    cleaned = []
    for subject in variants:
        subject = _text({"subject": subject}, "subject", required=True)
        errors = merge_field_errors(subject)
        if errors:
            raise MailingRefused(f"A variant subject: {errors[0]}")
        cleaned.append(subject)
    if len(cleaned) == 1:
        raise MailingRefused("A subject-line test needs at least two subjects, or none.")
    if len(set(cleaned)) != len(cleaned):
        raise MailingRefused("The variant subjects must differ from each other.")
    percent = int(data.get("ab_sample_percent") or 20)
    wait = int(data.get("ab_wait_minutes") or 240)
    metric = data.get("ab_metric") or Mailing.Metric.CLICKS
    if not SAMPLE_PERCENT[0] <= percent <= SAMPLE_PERCENT[1]:
        raise MailingRefused("The test's sample is between 5 and 50 percent of the recipients.")
    if not WAIT_MINUTES[0] <= wait <= WAIT_MINUTES[1]:
        raise MailingRefused("The test waits between 30 minutes and 48 hours.")
    if metric not in Mailing.Metric.values:
        raise MailingRefused("The test picks its winner by clicks or by signatures.")
    fields |= {"ab_sample_percent": percent, "ab_wait_minutes": wait, "ab_metric": metric}
    return fields, cleaned


def _variants_set(mailing: Mailing, subjects: list[str]) -> None:
    current = [v.subject for v in mailing.variants.order_by("letter")]
    if current == subjects:
        return
    mailing.variants.all().delete()
    Variant.objects.bulk_create(
        Variant(mailing=mailing, letter=letter, subject=subject)
        for letter, subject in zip(VARIANT_LETTERS, subjects, strict=False)
    )


def mailing_create(*, organisation, data: dict, by) -> Mailing:
    """A new draft from `data` (the compose form's cleaned data); MailingRefused if bad."""
    fields, variants = _checked(organisation=organisation, data=data)
    with transaction.atomic():
        mailing = Mailing.objects.create(organisation=organisation, created_by=by, **fields)
        _variants_set(mailing, variants)
        _event(mailing, by, "created")
    return mailing


def mailing_update(*, mailing: Mailing, data: dict, by) -> Mailing:
    """Change a draft or scheduled mailing (its time stays); refused once it has started."""
    fields, variants = _checked(organisation=mailing.organisation, data=data)
    with transaction.atomic():
        _locked(mailing)
        if mailing.state not in EDITABLE:
            raise MailingRefused(
                f"This mailing is {_label(mailing.state)}: only drafts and scheduled "
                "mailings can be changed."
            )
        for name, value in fields.items():
            setattr(mailing, name, value)
        mailing.save()
        _variants_set(mailing, variants)
        _event(mailing, by, "edited")
    return mailing


# ---- Sending -----------------------------------------------------------------------------


def mailing_problems(mailing: Mailing) -> list[str]:
    """What stops `mailing` from being sent, in words staff can act on (empty: nothing)."""
    problems = []
    if mailing.segment_id is None and mailing.audience == Mailing.Audience.SEGMENT:
        problems.append("Choose the segment it goes to.")
    if not mailing.subject.strip():
        problems.append("Write a subject.")
    if mailing.from_address not in settings.MAILING_SENDERS:
        problems.append("Choose a from address from the configured senders.")
    if not mailing.body.strip():
        problems.append("Write the body.")
    for name in ("subject", "preheader", "body"):
        problems += [f"The {name}: {e}" for e in merge_field_errors(getattr(mailing, name))]
    for variant in mailing.variants.all():
        problems += [f"Variant {variant.letter}: {e}" for e in merge_field_errors(variant.subject)]
    if "{{petition_link" in mailing.body.replace(" ", "") and not mailing.petition_id:
        problems.append("The body has {{petition_link}}: choose the petition it leads to.")
    if not mailing.organisation.postal_address.strip():
        problems.append(
            "The organisation has no postal address: every mailing's footer must carry one "
            "(set it under Organisation)."
        )
    return problems


def mailing_schedule(*, mailing: Mailing, at: datetime | None, by) -> Mailing:
    """Schedule a draft for `at` (None: now; the send loop starts it on its next turn)."""
    now = timezone.now()
    if at is not None and at < now - timedelta(minutes=1):
        raise MailingRefused("That time has passed: choose a time to come, or send now.")
    with transaction.atomic():
        _locked(mailing)
        if mailing.state not in EDITABLE:
            raise MailingRefused(
                f"This mailing is {_label(mailing.state)}: only a draft can be scheduled."
            )
        problems = mailing_problems(mailing)
        if problems:
            raise MailingRefused(" ".join(problems))
        mailing.state = State.SCHEDULED
        mailing.scheduled_at = at or now
        mailing.save(update_fields=["state", "scheduled_at", "updated_at"])
        _event(
            mailing,
            by,
            "scheduled",
            "to send now" if at is None else f"for {at:%Y-%m-%d %H:%M %Z}",
        )
    return mailing


def _move(mailing: Mailing, *, by, allowed: tuple, to: str, action: str, refusal: str) -> Mailing:
    with transaction.atomic():
        _locked(mailing)
        if mailing.state not in allowed:
            raise MailingRefused(refusal.format(state=_label(mailing.state)))
        mailing.state = to
        mailing.save(update_fields=["state", "updated_at"])
        _event(mailing, by, action)
    return mailing


def mailing_unschedule(*, mailing: Mailing, by) -> Mailing:
    """Back to a draft before its send starts."""
    with transaction.atomic():
        _locked(mailing)
        if mailing.state != State.SCHEDULED:
            raise MailingRefused(
                f"This mailing is {_label(mailing.state)}: only a scheduled mailing that has "
                "not started can go back to a draft."
            )
        mailing.state, mailing.scheduled_at = State.DRAFT, None
        mailing.save(update_fields=["state", "scheduled_at", "updated_at"])
        _event(mailing, by, "unscheduled")
    return mailing


def mailing_pause(*, mailing: Mailing, by) -> Mailing:
    """Stop sending after the messages in flight; nothing is lost."""
    return _move(
        mailing,
        by=by,
        allowed=RUNNING,
        to=State.PAUSED,
        action="paused",
        refusal="This mailing is {state}: only a mailing that is sending can be paused.",
    )


def mailing_resume(*, mailing: Mailing, by) -> Mailing:
    """Send again: back to testing if its subject-line test has no winner yet."""
    testing = mailing.variants.exists() and mailing.ab_decided_at is None
    return _move(
        mailing,
        by=by,
        allowed=(State.PAUSED,),
        to=State.TESTING if testing else State.SENDING,
        action="resumed",
        refusal="This mailing is {state}: only a paused mailing can be resumed.",
    )


def mailing_cancel(*, mailing: Mailing, by) -> int:
    """Stop for good: the recipients still due are marked failed ("cancelled"); how many."""
    with transaction.atomic():
        _locked(mailing)
        if mailing.state not in UNSENT:
            raise MailingRefused(
                f"This mailing is {_label(mailing.state)}: there is nothing left to cancel."
            )
        mailing.state = State.CANCELLED
        mailing.finished_at = timezone.now()
        mailing.save(update_fields=["state", "finished_at", "updated_at"])
        stopped = Recipient.objects.filter(mailing=mailing, state=Recipient.State.DUE).update(
            state=Recipient.State.FAILED, last_error=CANCELLED_REASON, leased_until=None
        )
        _event(mailing, by, "cancelled", f"{stopped} recipients not sent")
    return stopped


def mailing_retry_failed(*, mailing: Mailing, by) -> int:
    """Try the failed recipients again now; a sent mailing goes back to sending. How many."""
    with transaction.atomic():
        _locked(mailing)
        if mailing.state not in (*RUNNING, State.PAUSED, State.SENT):
            raise MailingRefused(
                f"This mailing is {_label(mailing.state)}: only the failures of a mailing that "
                "has started can be retried."
            )
        failed = Recipient.objects.filter(mailing=mailing, state=Recipient.State.FAILED).exclude(
            last_error=CANCELLED_REASON
        )
        retried = leases_retry(failed)
        if not retried:
            raise MailingRefused("No recipient of this mailing has failed.")
        if mailing.state == State.SENT:
            mailing.state, mailing.finished_at = State.SENDING, None
            mailing.save(update_fields=["state", "finished_at", "updated_at"])
        _event(mailing, by, "retried", f"{retried} failed recipients")
    return retried


# ---- A test to oneself -------------------------------------------------------------------


def mailing_test_send(*, mailing: Mailing, member, to: str, by) -> None:
    """Send the mailing as `member` would get it to `to`, subject prefixed "[Test]".

    Nothing is recorded in the recipient ledger; the event names who asked for it.
    """
    if not to:
        raise MailingRefused("Your account has no email address to send the test to.")
    problems = [p for p in mailing_problems(mailing) if "segment" not in p]
    if problems:
        raise MailingRefused(" ".join(problems))
    rendered = mailing_compile(mailing).personalise(member, None)
    subject = " ".join((TEST_PREFIX + rendered.subject).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=rendered.text,
        from_email=_from(mailing),
        to=[to],
        reply_to=[mailing.reply_to] if mailing.reply_to else None,
    )
    message.attach_alternative(rendered.html, "text/html")
    message.send()
    _event(mailing, by, "test sent", f"to {by.get_username()}" if by else "")


def _from(mailing: Mailing) -> str:
    name = " ".join("".join(c if c.isprintable() else " " for c in mailing.from_name).split())
    if not name:
        return mailing.from_address or sender_address("")
    return str(Address(display_name=name, addr_spec=mailing.from_address))
