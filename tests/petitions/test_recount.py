"""petitions.counting.petition_recount: repairing counts that drifted from the signatures."""

import pytest
from django.urls import reverse

from jobs.models import Job
from jobs.services import jobs_drain
from petitions.counting import counts_fold_all, petition_count, petition_recount
from petitions.models import Signature
from tests.factories import SignatureFactory
from tests.staff import staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client():
    """The admin is for superusers; the workspace's petition pages serve the roles."""
    return staff_client("superuser")[1]


def test_it_counts_a_state_changed_behind_the_folds_back(petition):
    rows = SignatureFactory.create_batch(4, petition=petition, state="confirmed", count_dirty=True)
    counts_fold_all()
    # A hand-made SQL change that forgot to flag the rows for the fold:
    Signature.objects.filter(pk=rows[0].pk).update(state="invalidated")
    Signature.objects.filter(pk=rows[1].pk).update(state="fraudulent")
    late = SignatureFactory(petition=petition, state="pending")
    Signature.objects.filter(pk=late.pk).update(state="confirmed")
    counts_fold_all()
    assert petition_count(petition) == 4  # the drift the recount must repair

    petition_recount(petition=petition)

    assert petition_count(petition) == 3
    assert not Signature.objects.filter(count_dirty=True).exists()


def test_it_leaves_other_petitions_alone(petition):
    from tests.factories import PetitionFactory

    other = PetitionFactory()
    SignatureFactory.create_batch(2, petition=other, state="confirmed", count_dirty=True)
    counts_fold_all()

    petition_recount(petition=petition)

    assert petition_count(other) == 2
    assert petition_count(petition) == 0


def test_the_staff_recount_action_records_a_ledger_job_that_repairs_the_count(
    operator_client, petition
):
    rows = SignatureFactory.create_batch(2, petition=petition, state="confirmed", count_dirty=True)
    counts_fold_all()
    Signature.objects.filter(pk=rows[0].pk).update(state="invalidated")  # behind the fold

    operator_client.post(
        reverse("admin:petitions_petition_changelist"),
        {"action": "recount", "_selected_action": [petition.pk]},
    )

    assert list(Job.objects.values_list("kind", "payload")) == [
        ("petition_recount", {"petition": petition.pk})
    ]
    jobs_drain()
    assert petition_count(petition) == 1
