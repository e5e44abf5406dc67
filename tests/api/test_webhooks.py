"""Outbound webhooks: a real HTTP server on 127.0.0.1 receives what the ledger delivers."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client
from django.utils import timezone

from api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from api.tokens import api_token_create
from api.webhooks import (
    WEBHOOK_DELIVER,
    WebhookRefused,
    webhook_endpoint_create,
    webhook_signature,
    webhook_signature_verify,
    webhook_url_check,
)
from jobs.models import Job
from jobs.services import MAX_ATTEMPTS, jobs_drain
from orgs.models import AuditEvent
from petitions.models import Signature
from petitions.services import signature_confirm
from tests.api.helpers import personal_data_in
from tests.factories import PartnerFactory, PetitionFactory

pytestmark = pytest.mark.django_db

PERSON = {
    "first_name": "Grace",
    "last_name": "Hopper",
    "email": "grace@example.org",
    "country": "FR",
}


class Receiver:
    """A webhook receiver: answers each POST with the next status in `answers`."""

    def __init__(self, answers=(200,)):
        self.answers = list(answers)
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = (
                    receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/chorus"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    made = Receiver()
    yield made
    made.close()


@pytest.fixture
def partner(organisation):
    return PartnerFactory(organisation=organisation, slug="friends-of-faces")


@pytest.fixture
def endpoint(partner, receiver):
    endpoint, secret = webhook_endpoint_create(partner=partner, url=receiver.url, by=None)
    endpoint.shown_secret = secret
    return endpoint


def _partner_signs(petition, partner, **person):
    token = api_token_create(partner=partner, name="t", scopes=["signatures:write"], by=None)
    response = Client().post(
        f"/api/v1/petitions/{petition.slug}/signatures/",
        json.dumps({**PERSON, **person}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token.secret}",
    )
    assert response.status_code == 202


def _run_due_now():
    Job.objects.filter(kind=WEBHOOK_DELIVER, state="due").update(run_after=timezone.now())
    jobs_drain()


def test_a_confirmed_partner_signature_is_posted_signed_and_without_personal_data(
    organisation, partner, endpoint, receiver
):
    petition = PetitionFactory(organisation=organisation, require_confirmation=False)
    _partner_signs(petition, partner)

    jobs_drain()

    [request] = receiver.received
    body = request["body"]
    assert webhook_signature_verify(
        secret=endpoint.shown_secret, header=request["headers"]["Chorus-Signature"], body=body
    )
    event = json.loads(body)
    signature = Signature.objects.get()
    assert event["event"] == "signature.confirmed" and event["id"].startswith("evt_")
    assert event["data"] == {
        "petition": petition.slug,
        "signature": signature.code,
        "country": "FR",
        "partner": "friends-of-faces",
        "confirmed_at": signature.confirmed_at.isoformat(),
    }
    assert personal_data_in(body.decode()) == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "delivered" and delivery.attempts == 1
    assert WebhookAttempt.objects.get().status_code == 200


def test_a_signature_confirmed_by_its_email_link_is_posted_too(
    organisation, partner, endpoint, receiver, petition
):
    from petitions.services import signature_confirmation_token

    _partner_signs(petition, partner)
    jobs_drain()
    assert receiver.received == []  # pending: nothing to tell yet
    token = signature_confirmation_token(signature=Signature.objects.get())

    signature_confirm(token=token)
    jobs_drain()

    assert len(receiver.received) == 1


def test_a_failed_try_is_logged_and_tried_again_later_with_backoff(
    organisation, partner, endpoint, receiver
):
    receiver.answers = [500, 503, 200]
    petition = PetitionFactory(organisation=organisation, require_confirmation=False)
    _partner_signs(petition, partner)

    jobs_drain()
    job = Job.objects.get(kind=WEBHOOK_DELIVER)
    first_wait = job.run_after - timezone.now()
    _run_due_now()
    job.refresh_from_db()
    second_wait = job.run_after - timezone.now()
    _run_due_now()

    assert timedelta(seconds=5) < first_wait < second_wait
    attempts = list(
        WebhookAttempt.objects.order_by("attempt").values_list("attempt", "status_code")
    )
    assert attempts == [(1, 500), (2, 503), (3, 200)]
    assert WebhookDelivery.objects.get().state == "delivered"
    assert len(receiver.received) == 3
    ids = {json.loads(r["body"])["id"] for r in receiver.received}
    assert len(ids) == 1  # the same event each time, so the receiver can tell a retry


def test_a_delivery_that_never_lands_fails_for_good(organisation, partner, endpoint, receiver):
    receiver.answers = [500]
    petition = PetitionFactory(organisation=organisation, require_confirmation=False)
    _partner_signs(petition, partner)

    jobs_drain()
    for _ in range(MAX_ATTEMPTS):
        _run_due_now()

    assert WebhookDelivery.objects.get().state == "failed"
    assert WebhookAttempt.objects.count() == MAX_ATTEMPTS
    assert Job.objects.get(kind=WEBHOOK_DELIVER).state == "failed"


def test_an_unreachable_receiver_is_logged_with_its_error(organisation, partner, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    closed = Receiver()
    url = closed.url
    closed.close()
    webhook_endpoint_create(partner=partner, url=url, by=None)
    petition = PetitionFactory(organisation=organisation, require_confirmation=False)
    _partner_signs(petition, partner)

    jobs_drain()

    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "refused" in attempt.error.lower()


def test_no_endpoint_means_no_delivery_and_no_job(organisation, partner):
    petition = PetitionFactory(organisation=organisation, require_confirmation=False)
    _partner_signs(petition, partner)

    jobs_drain()

    assert WebhookDelivery.objects.count() == 0
    assert not Job.objects.filter(kind=WEBHOOK_DELIVER).exists()


def test_signatures_of_other_partners_or_none_are_not_posted(
    organisation, partner, endpoint, receiver
):
    petition = PetitionFactory(organisation=organisation, require_confirmation=False)
    other = PartnerFactory(organisation=organisation)
    _partner_signs(petition, other)
    Client().post(
        f"/p/{petition.slug}/sign/",
        {**PERSON, "email": "direct@example.org", "postcode": "", "comment": ""},
    )

    jobs_drain()

    assert Signature.objects.filter(state="confirmed").count() == 2
    assert receiver.received == [] and WebhookDelivery.objects.count() == 0


def test_a_switched_off_endpoint_gets_nothing_more(organisation, partner, endpoint, receiver):
    from api.webhooks import webhook_endpoint_deactivate

    receiver.answers = [500]
    petition = PetitionFactory(organisation=organisation, require_confirmation=False)
    _partner_signs(petition, partner)
    jobs_drain()

    webhook_endpoint_deactivate(endpoint=endpoint, by=None)
    _run_due_now()

    assert len(receiver.received) == 1
    assert AuditEvent.objects.filter(action="webhook").count() == 2


def test_the_signature_header_verifies_only_the_body_and_time_it_was_made_for():
    body = b'{"event":"signature.confirmed"}'
    now = int(time.time())
    good = f"t={now},v1={webhook_signature(secret='whsec_a', timestamp=now, body=body)}"

    assert webhook_signature_verify(secret="whsec_a", header=good, body=body)
    assert not webhook_signature_verify(secret="whsec_b", header=good, body=body)
    assert not webhook_signature_verify(secret="whsec_a", header=good, body=body + b" ")
    assert not webhook_signature_verify(secret="whsec_a", header=good, body=body, now=now + 301)
    assert not webhook_signature_verify(secret="whsec_a", header="t=x,v1=y", body=body)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "https://user:pw@example.org/hook",
        "https://no-such-host.invalid/hook",
    ],
)
def test_only_public_http_addresses_are_taken(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False

    with pytest.raises(WebhookRefused):
        webhook_url_check(url)


def test_the_setting_lets_a_local_receiver_in(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True

    webhook_url_check("http://127.0.0.1:9/hook")


def test_an_endpoint_refused_at_save_is_not_stored(partner, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False

    with pytest.raises(WebhookRefused):
        webhook_endpoint_create(partner=partner, url="http://127.0.0.1/hook", by=None)

    assert WebhookEndpoint.objects.count() == 0


def test_staff_send_a_test_event_and_see_it_in_the_log(partner, endpoint, receiver, owner_client):
    base = f"/staff/partners/{partner.pk}/webhooks/{endpoint.pk}/"

    assert owner_client.post(f"{base}test/").status_code == 302
    jobs_drain()
    log = owner_client.get(base).content.decode()

    assert json.loads(receiver.received[0]["body"])["event"] == "test"
    assert "Delivered" in log and ">200<" in log


def test_old_deliveries_are_forgotten_but_pending_ones_stay(partner, settings):
    from api.jobs import webhook_deliveries_prune_loop

    settings.WEBHOOK_ALLOW_PRIVATE = True
    endpoint, _ = webhook_endpoint_create(partner=partner, url="http://127.0.0.1:9/", by=None)
    for key, state in [
        ("old-done", "delivered"),
        ("old-failed", "failed"),
        ("old-due", "pending"),
    ]:
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event="test", event_key=key, state=state
        )
        WebhookAttempt.objects.create(delivery=delivery, attempt=1, status_code=500)
    WebhookDelivery.objects.update(created_at=timezone.now() - timedelta(days=31))
    WebhookDelivery.objects.create(
        endpoint=endpoint, event="test", event_key="new", state="delivered"
    )

    webhook_deliveries_prune_loop()

    assert sorted(WebhookDelivery.objects.values_list("event_key", flat=True)) == [
        "new",
        "old-due",
    ]
    assert WebhookAttempt.objects.count() == 1
