"""petitions.counting: the fold that turns confirmed signatures into counts."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from petitions.counting import counts_fold, counts_fold_all, petition_count, petition_recount
from petitions.models import GOAL_STEPS, PetitionCount, Signature, goal_for
from petitions.services import signature_set_state
from tests.conftest import postgres_only
from tests.factories import PartnerFactory, PetitionFactory, SignatureFactory


def _confirmed(petition, n=1, **fields):
    fields.setdefault("country", "GB")
    return SignatureFactory.create_batch(
        n, petition=petition, state="confirmed", count_dirty=True, **fields
    )


def _counts(petition, dimensions=("total", "country", "channel")) -> dict:
    return {
        (c.dimension, c.value): c.count
        for c in PetitionCount.objects.filter(petition=petition, dimension__in=dimensions)
        if c.count
    }


def _at(text: str):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.django_db
class TestFold:
    def test_it_counts_confirmed_signatures_by_total_country_and_channel(self, petition):
        _confirmed(petition, 3, country="GB", channel="whatsapp")
        _confirmed(petition, 2, country="FR", channel="")
        SignatureFactory(petition=petition, state="pending", country="DE")

        assert counts_fold_all() == 5

        assert _counts(petition) == {
            ("total", ""): 5,
            ("country", "GB"): 3,
            ("country", "FR"): 2,
            ("channel", "whatsapp"): 3,
            ("channel", ""): 2,
        }
        assert not Signature.objects.filter(count_dirty=True).exists()
        assert Signature.objects.filter(counted=True).count() == 5

    def test_it_keeps_a_total_per_partner_and_the_recount_agrees(self, petition):
        first, second = PartnerFactory.create_batch(2, organisation=petition.organisation)
        _confirmed(petition, 2, partner=first, channel="widget")
        _confirmed(petition, 1, partner=second, channel="partner")
        _confirmed(petition, 1)
        gone = _confirmed(petition, 1, partner=first)[0]
        counts_fold_all()
        signature_set_state(signature=gone, state="invalidated", note="test")
        counts_fold_all()
        folded = _counts(petition, ["partner"])

        petition_recount(petition=petition)

        assert folded == {("partner", str(first.pk)): 2, ("partner", str(second.pk)): 1}
        assert _counts(petition, ["partner"]) == folded

    def test_it_keeps_a_series_by_utc_day_and_hour_of_confirmation(self, petition):
        _confirmed(petition, 2, confirmed_at=_at("2026-11-29T23:10"))
        _confirmed(petition, 1, confirmed_at=_at("2026-11-30T00:05"))
        _confirmed(petition, 1, confirmed_at=_at("2026-11-30T00:55"))

        counts_fold_all()

        assert _counts(petition, ["day", "hour"]) == {
            ("day", "2026-11-29"): 2,
            ("day", "2026-11-30"): 2,
            ("hour", "2026-11-29T23"): 2,
            ("hour", "2026-11-30T00"): 2,
        }

    def test_a_signature_leaving_confirmed_leaves_its_day_and_hour(self, petition):
        first, second = _confirmed(petition, 2, confirmed_at=_at("2026-11-30T09:30"))
        counts_fold_all()

        signature_set_state(signature=first, state="invalidated", note="test")
        counts_fold_all()

        assert _counts(petition, ["day", "hour"]) == {
            ("day", "2026-11-30"): 1,
            ("hour", "2026-11-30T09"): 1,
        }

    def test_a_recount_rebuilds_the_same_series_as_the_fold(self, petition):
        _confirmed(petition, 3, confirmed_at=_at("2026-11-28T10:00"))
        _confirmed(petition, 1, confirmed_at=_at("2026-11-30T17:45"))
        counts_fold_all()
        folded = _counts(petition, ["day", "hour"])

        petition_recount(petition=petition)

        assert _counts(petition, ["day", "hour"]) == folded
        assert folded[("hour", "2026-11-28T10")] == 3

    def test_it_keeps_petitions_apart(self, petition):
        other = PetitionFactory(organisation=petition.organisation)
        _confirmed(petition, 2)
        _confirmed(other, 1)

        counts_fold_all()

        assert petition_count(petition) == 2
        assert petition_count(other) == 1

    def test_folding_again_changes_nothing(self, petition):
        _confirmed(petition, 2)
        counts_fold_all()

        assert counts_fold_all() == 0
        assert petition_count(petition) == 2

    def test_it_folds_in_batches(self, petition):
        _confirmed(petition, 5)

        assert counts_fold(batch=2) == 2
        assert petition_count(petition) == 2
        assert counts_fold_all() == 3
        assert petition_count(petition) == 5

    def test_invalidating_a_counted_signature_takes_it_out_and_reinstating_puts_it_back(
        self, petition
    ):
        [signature] = _confirmed(petition, country="NL", channel="x")
        _confirmed(petition)
        counts_fold_all()

        signature_set_state(signature=signature, state=Signature.State.INVALIDATED)
        counts_fold_all()
        assert _counts(petition) == {("total", ""): 1, ("country", "GB"): 1, ("channel", ""): 1}

        signature_set_state(signature=signature, state=Signature.State.CONFIRMED)
        counts_fold_all()
        assert petition_count(petition) == 2
        assert _counts(petition)[("country", "NL")] == 1

    def test_a_change_and_its_reversal_between_folds_cancel_out(self, petition):
        [signature] = _confirmed(petition)
        counts_fold_all()

        signature_set_state(signature=signature, state=Signature.State.FRAUDULENT)
        signature_set_state(signature=signature, state=Signature.State.CONFIRMED)
        counts_fold_all()

        assert petition_count(petition) == 1

    def test_a_pending_signature_that_was_never_counted_subtracts_nothing(self, petition):
        signature = SignatureFactory(petition=petition, state="pending")
        _confirmed(petition)
        signature_set_state(signature=signature, state=Signature.State.INVALIDATED)

        counts_fold_all()

        assert petition_count(petition) == 1

    def test_it_counts_a_row_with_a_lower_id_that_turns_up_after_a_fold(self, petition):
        late = SignatureFactory(petition=petition, state="pending")
        _confirmed(petition, 2)
        counts_fold_all()

        # The older row changes state (and so becomes visible to the fold) later.
        Signature.objects.filter(pk=late.pk).update(state="confirmed", count_dirty=True)
        counts_fold_all()

        assert petition_count(petition) == 3

    def test_recount_repairs_deliberately_corrupted_counts(self, petition):
        _confirmed(petition, 3, country="GB")
        _confirmed(petition, 1, country="FR", channel="email")
        counts_fold_all()
        PetitionCount.objects.filter(petition=petition).update(count=999)
        PetitionCount.objects.create(petition=petition, dimension="country", value="ZZ", count=7)
        Signature.objects.filter(petition=petition, country="FR").update(counted=False)

        petition_recount(petition=petition)

        assert _counts(petition) == {
            ("total", ""): 4,
            ("country", "GB"): 3,
            ("country", "FR"): 1,
            ("channel", ""): 3,
            ("channel", "email"): 1,
        }
        assert counts_fold_all() == 0
        assert petition_count(petition) == 4

    def test_the_goal_steps_up_as_the_count_passes_80_percent(self, petition):
        _confirmed(petition, 79)
        counts_fold_all()
        petition.refresh_from_db()
        assert petition.goal == 100

        _confirmed(petition, 1)
        counts_fold_all()
        petition.refresh_from_db()
        assert petition.goal == 200

    def test_the_goal_never_steps_down_when_signatures_are_removed(self, petition):
        signatures = _confirmed(petition, 85)
        counts_fold_all()
        for signature in signatures[:20]:
            signature_set_state(signature=signature, state=Signature.State.INVALIDATED)
        counts_fold_all()

        petition.refresh_from_db()
        assert petition_count(petition) == 65
        assert petition.goal == 200


def test_goal_ladder_examples():
    assert [goal_for(n) for n in (0, 79, 80, 159, 160, 399, 400, 799, 800)] == [
        100,
        100,
        200,
        200,
        500,
        500,
        1_000,
        1_000,
        2_000,
    ]
    assert goal_for(4_000_000) == 10_000_000


counts = st.integers(min_value=0, max_value=50_000_000)


@given(count=counts, current=st.sampled_from([0, *GOAL_STEPS, 10_000_000]))
def test_the_goal_never_goes_down_and_stays_ahead_of_the_count(count, current):
    goal = goal_for(count, current)

    assert goal >= current
    assert count < goal * 0.8 or goal == current


@given(count=counts)
def test_the_goal_is_a_step_on_the_ladder(count):
    goal = goal_for(count)

    assert goal in GOAL_STEPS or goal % 5_000_000 == 0
    assert count < goal * 0.8
    # The smallest such step: the one below would already be more than 80% full.
    lower = [s for s in GOAL_STEPS if s < goal]
    if goal in GOAL_STEPS and lower:
        assert count >= lower[-1] * 0.8


@given(a=counts, b=counts)
def test_the_goal_rises_with_the_count(a, b):
    low, high = sorted([a, b])

    assert goal_for(low) <= goal_for(high)


@given(steps=st.lists(st.integers(min_value=-500, max_value=5_000), max_size=30))
def test_a_goal_carried_through_ups_and_downs_never_falls(steps):
    count, goal = 0, 100
    for step in steps:
        count = max(0, count + step)
        new_goal = goal_for(count, goal)
        assert new_goal >= goal
        goal = new_goal


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_signature_with_a_lower_id_that_commits_after_a_fold_is_still_counted():
    petition = PetitionFactory()
    inserted, folded = threading.Event(), threading.Event()
    errors = []

    def slow_signer():
        try:
            with transaction.atomic():
                _confirmed(petition)  # takes the lower id, commits last
                inserted.set()
                assert folded.wait(timeout=20)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_signer)
    thread.start()
    assert inserted.wait(timeout=20)
    [fast] = _confirmed(petition)
    counts_fold_all()
    first = petition_count(petition)
    folded.set()
    thread.join(timeout=20)
    assert not errors, errors

    counts_fold_all()

    slow = Signature.objects.exclude(pk=fast.pk).get()
    assert slow.pk < fast.pk
    assert first == 1
    assert petition_count(petition) == 2


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_state_change_committed_during_a_fold_is_not_lost():
    """Staff invalidate a signature while the fold is working on it."""
    petition = PetitionFactory()
    [signature] = _confirmed(petition)
    counts_table = PetitionCount._meta.db_table
    staff = {}
    errors = []

    def invalidate():
        try:
            signature_set_state(signature=signature, state=Signature.State.INVALIDATED)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    def staff_act_as_the_fold_writes_counts(execute, sql, params, many, context):
        # Only the fold's own connection runs through this hook (connections are per thread).
        if "thread" not in staff and sql.startswith("INSERT") and counts_table in sql:
            staff["thread"] = threading.Thread(target=invalidate)
            staff["thread"].start()
            # If the fold holds the row, the staff action waits for it; either way
            # we go on after a moment, and the action completes after our commit.
            staff["thread"].join(timeout=1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(staff_act_as_the_fold_writes_counts):
        counts_fold()
    staff["thread"].join(timeout=20)
    assert not errors, errors

    counts_fold_all()

    signature.refresh_from_db()
    assert signature.state == Signature.State.INVALIDATED
    assert petition_count(petition) == 0
    assert not signature.counted
