"""manage.py chorus_worker: runs due jobs and folds counts."""

import pytest
from django.core.management import call_command

from jobs.models import Job
from petitions.counting import petition_count
from petitions.models import Signature
from petitions.services import signature_create
from tests.conftest import REQUEST_META, sign_data

pytestmark = pytest.mark.django_db


def test_once_it_sends_every_waiting_email_and_folds_the_counts(petition, mailoutbox):
    petition.require_confirmation = False
    petition.save()
    for n in range(3):
        signature_create(
            petition=petition, data=sign_data(email=f"p{n}@example.org"), request_meta=REQUEST_META
        )

    call_command("chorus_worker", "--once")

    assert petition_count(petition) == 3
    assert not Job.objects.filter(state=Job.State.DUE).exists()
    assert Signature.objects.filter(member__isnull=False).count() == 3


def test_once_it_sends_the_confirmation_emails(petition, mailoutbox):
    signature_create(petition=petition, data=sign_data(), request_meta=REQUEST_META)

    call_command("chorus_worker", "--once")

    assert [m.to for m in mailoutbox] == [["grace@example.org"]]


def test_job_threads_run_on_idle_cpu_only_and_leave_the_caller_alone():
    import os
    import threading

    from jobs.management.commands.chorus_worker import use_idle_cpu_only

    seen = {}

    def job_thread():
        use_idle_cpu_only()
        seen["policy"] = os.sched_getscheduler(0)

    thread = threading.Thread(target=job_thread)
    thread.start()
    thread.join(timeout=5)

    assert seen["policy"] == os.SCHED_IDLE
    assert os.sched_getscheduler(0) == os.SCHED_OTHER
