"""The operators' admin's job list: superusers see failed jobs and run them again.

Jobs are internal: no workspace role sees them, and the admin refuses everyone but
superusers.
"""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job
from jobs.services import jobs_drain
from tests.conftest import sign_data
from tests.links import confirm_tokens
from tests.staff import staff_client

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/jobs/job/"


@pytest.fixture
def failed_job():
    return Job.objects.create(
        kind="send_confirmation",
        payload={"signature": 1},
        state=Job.State.FAILED,
        attempts=8,
        last_error="SMTPServerDisconnected",
        run_after=timezone.now(),
    )


def _retry(client, job):
    return client.post(CHANGELIST, {"action": "retry", "_selected_action": [job.pk]}, follow=True)


@pytest.fixture
def operator_client():
    return staff_client("superuser")[1]


def test_an_operator_can_retry_a_failed_job(operator_client, failed_job):
    response = _retry(operator_client, failed_job)

    assert response.status_code == 200
    failed_job.refresh_from_db()
    assert failed_job.state == Job.State.DUE and failed_job.attempts == 0


@pytest.mark.parametrize("persona", ["owner", "campaigner", "analyst"])
def test_no_role_sees_or_retries_jobs_in_the_admin(persona, failed_job):
    _, client = staff_client(persona)

    listing = client.get(CHANGELIST)
    assert listing.status_code == 302 and listing["Location"].startswith("/admin/login/")
    assert b"send_confirmation" not in client.get(CHANGELIST, follow=True).content

    _retry(client, failed_job)

    failed_job.refresh_from_db()
    assert failed_job.state == Job.State.FAILED


def _every_send_job(petition):
    """One job of every kind that mails a signer, each caused the way the public does."""
    sign = reverse("petitions:sign", args=[petition.slug])
    Client().post(sign, sign_data())  # a new signature
    Client().post(sign, sign_data(first_name="Mallory"))  # a repeat
    Client().post(
        reverse("petitions:resend", args=[petition.slug]), {"email": "grace@example.org"}
    )


def test_no_job_page_shows_a_confirmation_token_or_link(operator_client, petition, mailoutbox):
    _every_send_job(petition)
    jobs = list(Job.objects.all())
    jobs_drain()
    [token] = confirm_tokens(mailoutbox[0])

    pages = [operator_client.get(CHANGELIST)]
    pages += [operator_client.get(f"{CHANGELIST}{job.pk}/change/") for job in jobs]

    assert {job.kind for job in jobs} == {"signature_submitted", "send_confirmation"}
    for page in pages:
        assert page.status_code == 200
        assert token.encode() not in page.content
        assert b"/c/" not in page.content
