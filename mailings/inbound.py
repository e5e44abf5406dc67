"""Mail that comes back: bounces (DSN), complaints (ARF), mailto unsubscribes, ESP events.

Every mailing goes out with a per-recipient return path (VERP), so a bounce names its
recipient:

    bounces+<BOUNCE token>@<domain>        the envelope sender of every mailing
    unsubscribe+<UNSUBSCRIBE token>@<domain>   the mailto in List-Unsubscribe

The mail server pipes what arrives at those addresses to `manage.py chorus_mail_inbound
--recipient "$RECIPIENT"` (docs/mailings.md, Inbound mail), which calls `inbound_handle`.
The recipient is found from the address the message was delivered to (the envelope
recipient, else the To, Delivered-To, X-Original-To or Envelope-To headers), else from the
original message inside a report (its Return-Path or List-Unsubscribe). The tokens are
signed, so nobody can bounce or unsubscribe somebody else by writing to us.

What each does:
* a hard bounce (a DSN with Action: failed and Status 5.x.x) and a complaint (an ARF
  feedback report) suppress the member's address at once (members.services.member_suppress);
* a soft bounce (Status 4.x.x, or Action: delayed) counts once per mailing; after
  MAILING_SOFT_BOUNCE_LIMIT in a row with no sign that mail arrives in between (a click,
  a signature or unsubscribe through a mailing's link, an ESP's "delivered" event) the
  address is suppressed as bounced;
* a message to the unsubscribe address unsubscribes the member (whatever it says).
Anything else (an auto-reply, spam, garbage) is ignored: never an error, so the mail
server does not bounce a bounce.

django-anymail's tracking events (an ESP's webhooks) go through the same functions:
see `anymail_tracking`.
"""

import email
import email.policy
import logging
import re
from dataclasses import dataclass
from email.message import Message

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lib.addresses import normalised_email_key
from mailings import tokens
from mailings.models import Recipient, SoftBounce
from mailings.tracking import mail_arrived, recipient_unsubscribe_by_id
from members.models import Suppression
from members.services import member_suppress

logger = logging.getLogger("chorus.mailings.inbound")

# A message bigger than this is read only this far: bounces and complaints are small.
MAX_BYTES = 2_000_000
_SIGNED_ID = r"([0-9a-z]{1,13}\.[0-9a-z]{1,8}\.[A-Za-z0-9_-]{22})"
BOUNCE_ADDRESS = re.compile(rf"bounces\+{_SIGNED_ID}@", re.IGNORECASE)
UNSUBSCRIBE_ADDRESS = re.compile(rf"unsubscribe\+{_SIGNED_ID}@", re.IGNORECASE)
UNSUBSCRIBE_URL = re.compile(rf"/m/u/{_SIGNED_ID}/")
STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
DELIVERY_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To")

HARD, SOFT, COMPLAINT, UNSUBSCRIBE = "hard", "soft", "complaint", "unsubscribe"


def bounce_address(recipient_id: int, domain: str) -> str:
    """The per-recipient return path (VERP) a mailing's message goes out with."""
    return f"bounces+{tokens.recipient_token(recipient_id, tokens.BOUNCE)}@{domain}"


def unsubscribe_address(recipient_id: int, domain: str) -> str:
    """The mailto address of a message's List-Unsubscribe header."""
    return f"unsubscribe+{tokens.recipient_token(recipient_id, tokens.UNSUBSCRIBE)}@{domain}"


@dataclass(frozen=True)
class Inbound:
    """What one message says: its kind, the recipient it names, and why."""

    kind: str  # hard, soft, complaint or unsubscribe
    recipient_id: int
    reason: str = ""


def message_parse(raw: bytes, envelope_recipient: str = "") -> Inbound | None:
    """What an inbound message means for Chorus, or None when it means nothing."""
    if not isinstance(raw, bytes | bytearray):
        return None
    try:
        message = email.message_from_bytes(bytes(raw[:MAX_BYTES]), policy=email.policy.compat32)
    except Exception:  # the parser is lenient; anything it still chokes on is garbage
        return None
    delivered_to = [envelope_recipient or ""]
    delivered_to += [str(value) for name in DELIVERY_HEADERS for value in _all(message, name)]
    unsubscribe_id = _first_token(UNSUBSCRIBE_ADDRESS, delivered_to, tokens.UNSUBSCRIBE)
    if unsubscribe_id is not None:
        return Inbound(UNSUBSCRIBE, unsubscribe_id, "mailto unsubscribe")
    report = _report(message)
    if report is None:
        return None
    kind, reason, original = report
    recipient_id = _first_token(BOUNCE_ADDRESS, delivered_to, tokens.BOUNCE)
    if recipient_id is None and original is not None:
        recipient_id = _original_recipient(original)
    if recipient_id is None:
        return None
    return Inbound(kind, recipient_id, reason[:300])


def _all(message: Message, name: str) -> list:
    try:
        return message.get_all(name) or []
    except Exception:
        return []


def _first_token(pattern: re.Pattern, texts: list[str], purpose: str) -> int | None:
    for text in texts:
        for match in pattern.finditer(text or ""):
            recipient_id = tokens.recipient_id_from_token(match.group(1), purpose)
            if recipient_id is not None:
                return recipient_id
    return None


def _original_recipient(original: Message) -> int | None:
    """The recipient named by the original message's headers inside a report."""
    headers = [f"{name}: {value}" for name, value in original.items()]
    found = _first_token(BOUNCE_ADDRESS, headers, tokens.BOUNCE)
    if found is None:
        found = _first_token(UNSUBSCRIBE_ADDRESS, headers, tokens.UNSUBSCRIBE)
    if found is None:
        found = _first_token(UNSUBSCRIBE_URL, headers, tokens.UNSUBSCRIBE)
    return found


def _report(message: Message) -> tuple[str, str, Message | None] | None:
    """(kind, reason, original message headers) of a DSN or ARF report; None otherwise."""
    if message.get_content_type() != "multipart/report" or not message.is_multipart():
        return None
    report_type = (message.get_param("report-type") or "").lower()
    parts = list(message.walk())
    original = _original(parts)
    if report_type == "feedback-report":
        feedback = _part(parts, "message/feedback-report")
        fields = _fields(feedback)
        feedback_type = fields.get("feedback-type", "abuse")
        return COMPLAINT, f"Complaint ({feedback_type[:40]})", original
    if report_type == "delivery-status":
        status = _part(parts, "message/delivery-status")
        verdict = _delivery_verdict(status)
        if verdict is None:
            return None
        return (*verdict, original)
    return None


def _part(parts: list, content_type: str) -> Message | None:
    return next((p for p in parts if p.get_content_type() == content_type), None)


def _original(parts: list) -> Message | None:
    for part in parts:
        kind = part.get_content_type()
        if kind == "message/rfc822" and part.is_multipart():
            inner = part.get_payload()
            if inner and isinstance(inner[0], Message):
                return inner[0]
        if kind == "text/rfc822-headers":
            text = _text(part)
            if text:
                return email.message_from_string(text, policy=email.policy.compat32)
    return None


def _text(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return ""
    if isinstance(payload, bytes):
        return payload.decode("utf-8", "replace")
    payload = part.get_payload()
    return payload if isinstance(payload, str) else ""


def _fields(part: Message | None) -> dict:
    """A report part's fields, lower-cased names, the first of each; {} for none."""
    if part is None:
        return {}
    blocks = _blocks(part)
    fields: dict = {}
    for block in blocks:
        for name, value in block.items():
            fields.setdefault(name.lower(), " ".join(str(value).split()))
    return fields


def _blocks(part: Message) -> list[Message]:
    """The field blocks of a delivery-status or feedback-report part."""
    payload = part.get_payload()
    if isinstance(payload, list):  # the parser split message/delivery-status into blocks
        return [block for block in payload if isinstance(block, Message)]
    text = _text(part)
    return [email.message_from_string(chunk) for chunk in re.split(r"\r?\n\r?\n", text)]


def _delivery_verdict(part: Message | None) -> tuple[str, str] | None:
    """(hard or soft, reason) from the first failed or delayed recipient block."""
    if part is None:
        return None
    for block in _blocks(part)[1:] or _blocks(part):
        action = " ".join(str(block.get("Action", "")).split()).lower()
        if action not in ("failed", "delayed"):
            continue
        status = STATUS.search(str(block.get("Status", "")))
        code = status.group(0) if status else ""
        diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())[:200]
        kind = HARD if action == "failed" and code.startswith("5") else SOFT
        reason = f"{'Hard' if kind == HARD else 'Soft'} bounce {code or action}: {diagnostic}"
        return kind, reason.rstrip(": ")
    return None


# --- What each means ----------------------------------------------------------------------


def inbound_handle(raw: bytes, envelope_recipient: str = "") -> str:
    """Act on one inbound message; what was done, in a word, for the log."""
    parsed = message_parse(raw, envelope_recipient)
    if parsed is None:
        return "ignored"
    return inbound_apply(parsed)


def inbound_apply(inbound: Inbound) -> str:
    if inbound.kind == UNSUBSCRIBE:
        done = recipient_unsubscribe_by_id(recipient_id=inbound.recipient_id, how="mailto")
        return "unsubscribed" if done else "ignored"
    recipient = Recipient.objects.select_related("member").filter(pk=inbound.recipient_id).first()
    if recipient is None:
        return "ignored"
    if inbound.kind == COMPLAINT:
        return _complaint(recipient, inbound.reason)
    if inbound.kind == HARD:
        return _hard_bounce(recipient, inbound.reason)
    return _soft_bounce(recipient, inbound.reason)


def _complaint(recipient: Recipient, reason: str) -> str:
    now = timezone.now()
    Recipient.objects.filter(pk=recipient.pk, complained_at__isnull=True).update(complained_at=now)
    member = recipient.member
    member_suppress(
        organisation_id=member.organisation_id,
        email_key=member.email_key,
        reason=Suppression.Reason.COMPLAINED,
        note=reason or "Complained (marked a mailing as spam)",
        at=now,
    )
    return "complained"


def _hard_bounce(recipient: Recipient, reason: str) -> str:
    now = timezone.now()
    Recipient.objects.filter(pk=recipient.pk).exclude(bounce_kind="hard").update(
        bounced_at=now, bounce_kind="hard"
    )
    member = recipient.member
    member_suppress(
        organisation_id=member.organisation_id,
        email_key=member.email_key,
        reason=Suppression.Reason.BOUNCED,
        note=reason or "Hard bounce",
        at=now,
    )
    return "bounced"


def _soft_bounce(recipient: Recipient, reason: str) -> str:
    """Counted once per mailing; the limit in a row suppresses the address."""
    now = timezone.now()
    with transaction.atomic():
        first_for_mailing = Recipient.objects.filter(
            pk=recipient.pk, bounced_at__isnull=True
        ).update(bounced_at=now, bounce_kind="soft")
        if not first_for_mailing:
            return "soft-again"
        score, _ = SoftBounce.objects.get_or_create(member_id=recipient.member_id)
        SoftBounce.objects.filter(pk=score.pk).update(
            count=F("count") + 1, last_at=now, last_reason=reason[:300]
        )
        score.refresh_from_db(fields=["count"])
    if score.count < settings.MAILING_SOFT_BOUNCE_LIMIT:
        return "soft"
    member = recipient.member
    member_suppress(
        organisation_id=member.organisation_id,
        email_key=member.email_key,
        reason=Suppression.Reason.BOUNCED,
        note=f"{score.count} soft bounces in a row; the last: {reason}"[:300],
        at=now,
    )
    return "bounced"


# --- django-anymail tracking events -------------------------------------------------------

# anymail's event types, and what Chorus makes of each (the rest are only logged).
ANYMAIL_KINDS = {
    "bounced": HARD,  # a permanent failure
    "rejected": HARD,  # the ESP refused to send it (its own suppression list, a bad address)
    "deferred": SOFT,  # a temporary failure the ESP will retry
    "complained": COMPLAINT,
    "unsubscribed": UNSUBSCRIBE,  # the ESP's own unsubscribe link or header
}
# The metadata key a mailing's message carries for its recipient: its BOUNCE token.
ANYMAIL_METADATA_KEY = "chorus_recipient"


def anymail_recipient_id(event) -> int | None:
    """The recipient an anymail event is about: by the message's metadata (its BOUNCE
    token under "chorus_recipient"), else by a VERP address in the event, else by the
    address: the latest mailing sent to a member with it."""
    metadata = getattr(event, "metadata", None) or {}
    token = metadata.get(ANYMAIL_METADATA_KEY) if isinstance(metadata, dict) else None
    if isinstance(token, str):
        found = tokens.recipient_id_from_token(token, tokens.BOUNCE)
        if found is not None:
            return found
    texts = [str(getattr(event, name, "") or "") for name in ("recipient", "description")]
    found = _first_token(BOUNCE_ADDRESS, texts, tokens.BOUNCE)
    if found is not None:
        return found
    address = getattr(event, "recipient", None)
    if not isinstance(address, str) or "@" not in address or len(address) > 254:
        return None
    try:
        key = normalised_email_key(address)
    except Exception:
        return None
    latest = (
        Recipient.objects.filter(member__email_key=key, sent_at__isnull=False)
        .order_by("-sent_at")
        .values_list("pk", flat=True)
        .first()
    )
    return latest


def anymail_tracking(sender=None, event=None, esp_name="", **kwargs) -> str:
    """The receiver of anymail.signals.tracking: an ESP's webhook, as inbound mail."""
    event_type = getattr(event, "event_type", "")
    if event_type == "delivered":
        recipient_id = anymail_recipient_id(event)
        member_id = (
            Recipient.objects.filter(pk=recipient_id).values_list("member_id", flat=True).first()
            if recipient_id
            else None
        )
        if member_id:
            mail_arrived(member_id=member_id)
        return "delivered" if member_id else "ignored"
    kind = ANYMAIL_KINDS.get(event_type)
    if kind is None:
        return "ignored"
    recipient_id = anymail_recipient_id(event)
    if recipient_id is None:
        logger.info("anymail %s event from %s names no recipient of ours", event_type, esp_name)
        return "ignored"
    reason = " ".join(
        str(getattr(event, name, "") or "") for name in ("description", "mta_response")
    ).strip()
    status = STATUS.search(str(getattr(event, "mta_response", "") or ""))
    if kind == HARD and event_type == "bounced" and status and status.group(1) == "4":
        kind = SOFT  # some ESPs report a soft bounce as "bounced", with its 4.x.x status
    reason = f"{esp_name or 'ESP'} {event_type}: {reason}".strip(": ")[:300]
    outcome = inbound_apply(Inbound(kind, recipient_id, reason))
    logger.info("anymail %s event from %s: %s", event_type, esp_name, outcome)
    return outcome
