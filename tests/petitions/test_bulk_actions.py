"""petitions.services.bulk: choosing signatures, invalidating them in batches, reversing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import Job
from jobs.services import jobs_drain
from orgs.models import AuditEvent
from petitions.counting import counts_fold_all, petition_count, petition_recount
from petitions.models import BulkAction, PetitionCount, Signature, SignatureEvent
from petitions.services.bulk import (
    BulkActionRefused,
    BulkFilters,
    bulk_action_cancel,
    bulk_action_reverse,
    bulk_action_run,
    bulk_action_start,
    bulk_preview,
    signatures_matching,
)
from tests.factories import SignatureFactory, UserFactory

pytestmark = pytest.mark.django_db
State = Signature.State
BAD_NET = "203.0.113.0/24"


def _sign(petition, n, domain="", **fields):
    fields.setdefault("state", State.CONFIRMED)
    fields.setdefault("confirmed_at", timezone.now())
    fields.setdefault("count_dirty", True)
    if domain:
        return [
            SignatureFactory(petition=petition, email=f"s{i}@{domain}", **fields) for i in range(n)
        ]
    return SignatureFactory.create_batch(n, petition=petition, **fields)


def _recount_equals_fold(petition) -> int:
    counts_fold_all()
    folded = petition_count(petition)
    confirmed = Signature.objects.filter(petition=petition, state=State.CONFIRMED).count()
    assert folded == confirmed
    petition_recount(petition=petition)
    assert petition_count(petition) == folded
    return folded


@pytest.fixture
def staff(db):
    return UserFactory(username="moderator")


def test_it_chooses_by_each_filter_and_their_combination(petition):
    _sign(petition, 3, ip_prefix=BAD_NET, country="FR")
    _sign(petition, 2, ip_prefix=BAD_NET, country="GB")
    _sign(petition, 4, ip_prefix="198.51.100.0/24", domain="spam.example.net")
    _sign(petition, 1, domain="Spam.Example.com", first_name="Xq", last_name="Bot")

    def count(**kw):
        return signatures_matching(petition_id=petition.pk, filters=BulkFilters(**kw)).count()

    assert count(network=BAD_NET) == 5
    assert count(network=BAD_NET, country="FR") == 3
    assert count(domain="spam.example.com") == 1
    assert count(domain="SPAM.example.com") == 1
    assert count(domain="spam.example.net", network="198.51.100.0/24") == 4
    assert count(domain="pam.example.com") == 0  # a whole domain, never a suffix of one
    assert count(name="xq*") == 1
    assert count(name="*BOT") == 1
    assert count(name="Ada Lovelace") == 9
    assert count(name="Ada") == 0  # the whole name must match
    assert count(created_from=timezone.now() + timedelta(hours=1)) == 0


@pytest.mark.parametrize("pattern", ["%", "_", "' OR 1=1 --", ".*", "[a-z]+", "\\", "(?i)a"])
def test_a_name_pattern_is_matched_literally_never_as_sql_or_regex(petition, pattern):
    _sign(petition, 2)
    (odd,) = _sign(petition, 1, first_name=pattern, last_name="")
    rows = signatures_matching(petition_id=petition.pk, filters=BulkFilters(name=pattern + " "))
    assert list(rows.values_list("pk", flat=True)) == [odd.pk]


def test_it_previews_without_changing_anything(petition):
    _sign(petition, 5, ip_prefix=BAD_NET)
    _sign(petition, 3)
    preview = bulk_preview(
        petition=petition, kind="invalidate", filters=BulkFilters(network=BAD_NET)
    )
    assert (preview.count, preview.would_change, len(preview.sample)) == (5, 5, 5)
    assert not SignatureEvent.objects.exists()
    assert Signature.objects.filter(state=State.CONFIRMED).count() == 8


def test_it_refuses_an_action_without_filters(petition, staff):
    with pytest.raises(BulkActionRefused):
        bulk_action_start(
            petition=petition, kind="invalidate", filters=BulkFilters(), reason="", by=staff
        )
    assert not BulkAction.objects.exists() and not Job.objects.exists()


def test_it_invalidates_in_batches_logs_each_and_counts_follow(petition, staff):
    bad = _sign(petition, 23, ip_prefix=BAD_NET)
    _sign(petition, 7)
    (pending,) = _sign(petition, 1, ip_prefix=BAD_NET, state=State.PENDING, confirmed_at=None)
    assert _recount_equals_fold(petition) == 30

    action = bulk_action_start(
        petition=petition,
        kind="invalidate",
        filters=BulkFilters(network=BAD_NET),
        reason="A spike from one network",
        by=staff,
    )
    assert action.total == 24
    assert bulk_action_run(action_pk=action.pk, batches=2, size=5) is True  # more left
    action.refresh_from_db()
    assert (action.done, action.changed, action.state) == (10, 10, "running")
    while bulk_action_run(action_pk=action.pk, batches=1, size=5):
        pass

    action.refresh_from_db()
    assert (action.state, action.done, action.changed, action.skipped) == ("done", 24, 24, 0)
    assert Signature.objects.filter(state=State.INVALIDATED).count() == 24
    events = SignatureEvent.objects.filter(bulk_action=action)
    assert events.count() == 24
    assert set(events.values_list("to_state", flat=True)) == {"invalidated"}
    assert events.get(signature=pending).from_state == "pending"
    assert events.get(signature=bad[0]).from_state == "confirmed"
    assert {(e.by, e.note) for e in events} == {(staff, "A spike from one network")}
    assert _recount_equals_fold(petition) == 7


def test_the_ledger_job_runs_it_to_the_end(petition, staff, settings):
    _sign(petition, 12, ip_prefix=BAD_NET)
    action = bulk_action_start(
        petition=petition,
        kind="fraudulent",
        filters=BulkFilters(network=BAD_NET),
        reason="",
        by=staff,
    )
    jobs_drain()
    action.refresh_from_db()
    assert action.state == "done" and action.changed == 12
    assert Signature.objects.filter(state=State.FRAUDULENT).count() == 12


def test_signatures_made_after_confirming_are_left_alone(petition, staff):
    _sign(petition, 3, ip_prefix=BAD_NET)
    action = bulk_action_start(
        petition=petition,
        kind="invalidate",
        filters=BulkFilters(network=BAD_NET),
        reason="",
        by=staff,
    )
    (late,) = _sign(petition, 1, ip_prefix=BAD_NET)
    bulk_action_run(action_pk=action.pk)
    late.refresh_from_db()
    assert late.state == State.CONFIRMED


def test_cancel_stops_it_before_the_next_batch(petition, staff):
    _sign(petition, 20, ip_prefix=BAD_NET)
    action = bulk_action_start(
        petition=petition,
        kind="invalidate",
        filters=BulkFilters(network=BAD_NET),
        reason="",
        by=staff,
    )
    bulk_action_run(action_pk=action.pk, batches=1, size=5)
    assert bulk_action_cancel(action=action) is True
    assert bulk_action_run(action_pk=action.pk, batches=5, size=5) is False
    action.refresh_from_db()
    assert (action.state, action.changed) == ("cancelled", 5)
    assert Signature.objects.filter(state=State.INVALIDATED).count() == 5
    assert bulk_action_cancel(action=action) is False


def test_reversing_puts_each_back_and_skips_addresses_signed_again(petition, staff):
    bad = _sign(petition, 10, ip_prefix=BAD_NET)
    (pending,) = _sign(petition, 1, ip_prefix=BAD_NET, state=State.PENDING, confirmed_at=None)
    _sign(petition, 4)
    action = bulk_action_start(
        petition=petition,
        kind="invalidate",
        filters=BulkFilters(network=BAD_NET),
        reason="",
        by=staff,
    )
    bulk_action_run(action_pk=action.pk)
    assert _recount_equals_fold(petition) == 4
    # One signer signs again meanwhile: their new signature stands.
    SignatureFactory(petition=petition, email=bad[0].email, state=State.PENDING)
    Signature.objects.filter(pk=bad[1].pk).update(state=State.FRAUDULENT)  # staff changed it

    reversal = bulk_action_reverse(action=action, reason="A false alarm", by=staff)
    while bulk_action_run(action_pk=reversal.pk, size=3):
        pass

    reversal.refresh_from_db()
    assert (reversal.state, reversal.total, reversal.changed, reversal.skipped) == (
        "done",
        11,
        9,
        2,
    )
    pending.refresh_from_db()
    assert pending.state == State.PENDING
    assert Signature.objects.get(pk=bad[0].pk).state == State.INVALIDATED
    assert Signature.objects.get(pk=bad[1].pk).state == State.FRAUDULENT
    assert SignatureEvent.objects.filter(bulk_action=reversal).count() == 9
    assert _recount_equals_fold(petition) == 4 + 8
    with pytest.raises(BulkActionRefused):
        bulk_action_reverse(action=action, reason="", by=staff)
    with pytest.raises(BulkActionRefused):
        bulk_action_reverse(action=reversal, reason="", by=staff)


def test_a_running_action_must_be_cancelled_before_reversing(petition, staff):
    _sign(petition, 2, ip_prefix=BAD_NET)
    action = bulk_action_start(
        petition=petition,
        kind="invalidate",
        filters=BulkFilters(network=BAD_NET),
        reason="",
        by=staff,
    )
    with pytest.raises(BulkActionRefused):
        bulk_action_reverse(action=action, reason="", by=staff)


def test_reinstating_keeps_one_live_signature_per_address(petition, staff):
    (old,) = _sign(petition, 1, email="twice@example.org", state=State.INVALIDATED)
    (new,) = _sign(petition, 1, email="twice@example.org", state=State.INVALIDATED)
    (held,) = _sign(petition, 1, email="held@example.org", state=State.FRAUDULENT)
    _sign(petition, 1, email="held@example.org", state=State.CONFIRMED)
    (never,) = _sign(petition, 1, state=State.INVALIDATED, confirmed_at=None)
    action = bulk_action_start(
        petition=petition,
        kind="reinstate",
        filters=BulkFilters(country="GB"),
        reason="",
        by=staff,
    )
    bulk_action_run(action_pk=action.pk)
    action.refresh_from_db()
    assert (action.total, action.changed, action.skipped) == (4, 1, 3)
    assert Signature.objects.get(pk=new.pk).state == State.CONFIRMED
    assert Signature.objects.get(pk=old.pk).state == State.INVALIDATED
    assert Signature.objects.get(pk=held.pk).state == State.FRAUDULENT
    assert Signature.objects.get(pk=never.pk).state == State.INVALIDATED


def test_each_action_and_its_reversal_is_audited_without_personal_data(petition, staff):
    _sign(petition, 3, ip_prefix=BAD_NET, first_name="Zebedee")
    filters = BulkFilters(network=BAD_NET, name="zebedee*")
    action = bulk_action_start(
        petition=petition, kind="invalidate", filters=filters, reason="", by=staff
    )
    bulk_action_run(action_pk=action.pk)
    bulk_action_reverse(action=action, reason="", by=staff)
    first, second = AuditEvent.objects.filter(action__in=["invalidate", "reinstate"]).order_by(
        "id"
    )
    assert (first.action, second.action) == ("invalidate", "reinstate")
    assert first.detail["matching"] == 3 and first.detail["filters"]["network"] == BAD_NET
    assert "zebedee" not in str(first.detail).lower() + first.summary.lower()
    assert second.detail["reverses"] == action.pk


def test_counts_follow_the_rows_in_every_dimension(petition, staff):
    _sign(petition, 6, ip_prefix=BAD_NET, country="FR")
    _sign(petition, 2)
    counts_fold_all()
    action = bulk_action_start(
        petition=petition,
        kind="invalidate",
        filters=BulkFilters(network=BAD_NET),
        reason="",
        by=staff,
    )
    bulk_action_run(action_pk=action.pk)
    counts_fold_all()
    fr = PetitionCount.objects.get(petition=petition, dimension="country", value="FR")
    assert fr.count == 0
