"""Outbound webhooks: a partner's endpoint hears of each confirmed signature it brought.

Each event becomes a WebhookDelivery row and a `webhook_deliver` job in one transaction;
the job posts it, signed (`Chorus-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>">` with the endpoint's secret), and the ledger retries a failure with its
exponential backoff. Every try is logged (WebhookAttempt) for the staff area.

Only http(s) URLs whose host resolves to public addresses are posted to, checked when the
endpoint is saved and again before each try (an address can change); redirects are not
followed. WEBHOOK_ALLOW_PRIVATE lifts the address rule (tests, a receiver on the same
network).
"""

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from jobs.services import MAX_ATTEMPTS, job_record
from lib.localcache import LocalCache
from orgs.audit import Action, audit_record, audit_target
from partners.models import Partner

WEBHOOK_DELIVER = "webhook_deliver"
SIGNATURE_HEADER = "Chorus-Signature"
RESPONSE_READ_BYTES = 1024


class WebhookRefused(Exception):
    """A URL Chorus will not post to; the message says why, for the person who typed it."""


class WebhookFailed(Exception):
    """A try that did not land: the ledger tries again later."""


# Partners with an active endpoint, per process: the confirmation's worker asks for
# every confirmed signature, and most have no partner or no endpoint.
_endpoint_partners = LocalCache(ttl=10, max_entries=4)


def endpoint_partner_ids() -> frozenset[int]:
    return _endpoint_partners.get_or_set(
        "partners",
        lambda: frozenset(
            WebhookEndpoint.objects.filter(active=True, partner__active=True).values_list(
                "partner_id", flat=True
            )
        ),
    )


def endpoints_cache_clear() -> None:
    _endpoint_partners.clear()


def webhook_url_check(url: str) -> None:
    """Raise WebhookRefused unless `url` is http(s) and its host resolves to public addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookRefused("Use an address starting with https:// (or http://).")
    if parts.username or parts.password:
        raise WebhookRefused("Leave the user name and password out of the address.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError):
        raise WebhookRefused("No server could be found at this address.") from None
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    for *_, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise WebhookRefused(
                "This address leads to a private or local network; use a public one."
            )


def webhook_endpoint_create(*, partner: Partner, url: str, by) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (returned once, for the page to show)."""
    webhook_url_check(url)
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            partner=partner, url=url, secret=secret, created_by=by
        )
        audit_record(
            by=by,
            action=Action.WEBHOOK,
            summary=f"Webhook endpoint added for partner “{partner.name}”",
            target=audit_target(endpoint),
            detail={"partner": partner.pk},
        )
    endpoints_cache_clear()
    return endpoint, secret


def webhook_endpoint_deactivate(*, endpoint: WebhookEndpoint, by) -> bool:
    with transaction.atomic():
        changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True).update(active=False)
        if changed:
            audit_record(
                by=by,
                action=Action.WEBHOOK,
                summary=f"Webhook endpoint of partner “{endpoint.partner.name}” switched off",
                target=audit_target(endpoint),
                detail={"partner": endpoint.partner_id},
            )
    endpoints_cache_clear()
    return bool(changed)


def signature_event(signature, partner_slug: str) -> dict:
    """What a partner learns of a confirmed signature: nothing that names the person."""
    return {
        "event": WebhookEndpoint.Event.SIGNATURE_CONFIRMED.value,
        "data": {
            "petition": signature.petition.slug,
            "signature": signature.code,
            "country": str(signature.country or ""),
            "partner": partner_slug,
            "confirmed_at": signature.confirmed_at.isoformat() if signature.confirmed_at else None,
        },
    }


def webhook_deliveries_record(*, signature) -> int:
    """A delivery (and its job) to each active endpoint of the signature's partner.

    Safe to run twice for one signature: the unique event key keeps one delivery each.
    """
    if signature.partner_id is None or signature.partner_id not in endpoint_partner_ids():
        return 0
    endpoints = list(
        WebhookEndpoint.objects.select_related("partner").filter(
            partner_id=signature.partner_id, active=True, partner__active=True
        )
    )
    made = 0
    for endpoint in endpoints:
        event = signature_event(signature, endpoint.partner.slug)
        made += _delivery_record(endpoint=endpoint, event=event, key=signature.code)
    return made


def webhook_test_send(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A test event to one endpoint, delivered and logged as a real one would be."""
    key = f"test-{secrets.token_hex(6)}"
    event = {
        "event": "test",
        "data": {"message": "A test event from Chorus.", "partner": endpoint.partner.slug},
    }
    _delivery_record(endpoint=endpoint, event=event, key=key)
    return WebhookDelivery.objects.get(endpoint=endpoint, event_key=key)


def _delivery_record(*, endpoint: WebhookEndpoint, event: dict, key: str) -> int:
    with transaction.atomic():
        delivery, created = WebhookDelivery.objects.get_or_create(
            endpoint=endpoint,
            event=event["event"],
            event_key=key,
            defaults={"payload": event},
        )
        if created:
            delivery.payload = {"id": f"evt_{delivery.pk}", **event}
            delivery.save(update_fields=["payload"])
            job_record(kind=WEBHOOK_DELIVER, payload={"delivery": delivery.pk})
    return int(created)


def webhook_deliveries_prune(*, older_than_days: int) -> int:
    """Forget deliveries (and their tries) older than `older_than_days`, landed or not."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    old = WebhookDelivery.objects.filter(created_at__lt=cutoff).exclude(
        state=WebhookDelivery.State.PENDING
    )
    deleted, _ = old.delete()
    return deleted


def signature_confirmed_receiver(sender, signature=None, **kwargs) -> None:
    """petitions.signals.signature_member_known: the worker confirmed a signature."""
    if signature is not None:
        webhook_deliveries_record(signature=signature)


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def webhook_signature_verify(
    *, secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None
) -> bool:
    """What a receiver does (docs/api.md has the same in a few lines of plain Python)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields.get("t", ""))
    except ValueError:
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected, fields.get("v1", ""))


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is the receiver's answer, logged as a failure


_opener = urllib.request.build_opener(_NoRedirects)


def webhook_deliver(*, delivery_id: int) -> None:
    """One try at a delivery; raises WebhookFailed so the ledger tries again later."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.state != WebhookDelivery.State.PENDING:
        return
    endpoint = delivery.endpoint
    if not endpoint.active:
        return  # switched off since: nothing more is sent to it
    attempt = delivery.attempts + 1
    started = time.monotonic()
    status, error = _post(endpoint, delivery)
    WebhookAttempt.objects.create(
        delivery=delivery,
        attempt=attempt,
        status_code=status,
        error=error[:300],
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    delivered = status is not None and 200 <= status < 300
    state = WebhookDelivery.State.PENDING
    if delivered:
        state = WebhookDelivery.State.DELIVERED
    elif attempt >= MAX_ATTEMPTS:
        state = WebhookDelivery.State.FAILED
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=attempt, state=state, delivered_at=timezone.now() if delivered else None
    )
    if not delivered:
        raise WebhookFailed(f"delivery {delivery.pk}, try {attempt}: {status or error}")


def _post(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> tuple[int | None, str]:
    try:
        webhook_url_check(endpoint.url)
    except WebhookRefused as refused:
        return None, str(refused)
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    signature = webhook_signature(secret=endpoint.secret, timestamp=timestamp, body=body)
    # webhook_url_check above let only http(s) through.
    request = urllib.request.Request(  # noqa: S310
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Chorus-Webhooks/1",
            "Chorus-Event": delivery.event,
            "Chorus-Delivery": delivery.payload.get("id", ""),
            SIGNATURE_HEADER: f"t={timestamp},v1={signature}",
        },
    )
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(RESPONSE_READ_BYTES)
            return response.status, ""
    except urllib.error.HTTPError as answer:
        return answer.code, f"HTTP {answer.code}"
    except (urllib.error.URLError, OSError, ValueError) as failure:
        reason = getattr(failure, "reason", failure)
        return None, f"{type(failure).__name__}: {reason}"
