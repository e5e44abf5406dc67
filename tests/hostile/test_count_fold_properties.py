"""Property: whatever happens to signatures, in whatever order, the folded counts equal a
recount from the rows.

Hypothesis draws sequences of signings (new and repeated addresses, with and without a
proven address, on petitions that ask for confirmation), confirmations, staff state
changes (confirm, invalidate, mark fraudulent, reinstate) and partial folds of a few rows
at a time, spread over several hours. After a final fold, the total and the counts per
country, channel, day and hour equal a count of the confirmed rows themselves.
"""

from collections import Counter
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from petitions.counting import counts_fold, counts_fold_all, petition_recount, series_keys
from petitions.models import PetitionCount, Signature
from petitions.services import (
    SignatureStateRefused,
    signature_confirm_proven,
    signature_create,
    signature_set_state,
)
from tests.conftest import REQUEST_META, sign_data
from tests.factories import PetitionFactory

START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)

sign = st.tuples(
    st.just("sign"),
    st.integers(0, 6),  # which address: repeats are likely
    st.sampled_from(["GB", "FR", "DE"]),
    st.sampled_from(["", "whatsapp", "email"]),
    st.booleans(),  # address proven (a mailing's link): stored confirmed
)
confirm = st.tuples(st.just("confirm"), st.integers(0, 50))
staff_states = st.sampled_from(["confirmed", "invalidated", "fraudulent"])
change = st.tuples(st.just("state"), st.integers(0, 50), staff_states)
fold = st.tuples(st.just("fold"), st.integers(1, 4))
later = st.tuples(st.just("later"), st.integers(1, 150))  # minutes pass
operations = st.lists(st.one_of(sign, confirm, change, fold, later), max_size=40)


def _folded(petition) -> Counter:
    return Counter(
        {
            (c.dimension, c.value): c.count
            for c in PetitionCount.objects.filter(petition=petition)
            if c.count
        }
    )


def _recounted(petition) -> Counter:
    counts = Counter()
    for row in Signature.objects.filter(petition=petition, state="confirmed"):
        day, hour = series_keys(row.confirmed_at)
        for key in (("total", ""), ("country", str(row.country)), ("channel", row.channel),
                    ("day", day), ("hour", hour)):  # fmt: skip
            counts[key] += 1
    return counts


def _run(petition, steps) -> None:
    ids: list[int] = []
    with freeze_time(START) as clock:
        for step in steps:
            kind = step[0]
            if kind == "sign":
                _, who, country, channel, proven = step
                data = sign_data(email=f"signer{who}@example.org", country=country,
                                 channel=channel)  # fmt: skip
                result = signature_create(
                    petition=petition, data=data, request_meta=REQUEST_META,
                    address_proven=proven,
                )  # fmt: skip
                ids.append(result.signature_id)
            elif kind == "confirm" and ids:
                signature_confirm_proven(signature_id=ids[step[1] % len(ids)])
            elif kind == "state" and ids:
                signature = Signature.objects.get(pk=ids[step[1] % len(ids)])
                # Reinstating beside a newer live signature is refused, and changes nothing.
                with suppress(SignatureStateRefused):
                    signature_set_state(signature=signature, state=step[2], note="property")
            elif kind == "fold":
                counts_fold(batch=step[1])
            elif kind == "later":
                clock.tick(timedelta(minutes=step[1]))


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_any_sequence_of_signing_state_changes_and_folds_leaves_counts_equal_to_a_recount(
    organisation, steps
):
    petition = PetitionFactory(organisation=organisation)

    _run(petition, steps)
    counts_fold_all()

    assert _folded(petition) == _recounted(petition)
    counted = Signature.objects.filter(petition=petition, counted=True)
    assert set(counted) == set(Signature.objects.filter(petition=petition, state="confirmed"))


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_a_recount_midway_changes_nothing_the_fold_would_not(organisation, steps):
    petition = PetitionFactory(organisation=organisation)
    half = len(steps) // 2

    _run(petition, steps[:half])
    petition_recount(petition=petition)
    _run(petition, steps[half:])
    counts_fold_all()

    assert _folded(petition) == _recounted(petition)
