"""Two people (or one double-click) posting the same address at the same instant."""

import pytest

from petitions.models import Signature
from petitions.services import signature_create
from tests.concurrency import run_concurrently
from tests.conftest import REQUEST_META, postgres_only, sign_data
from tests.factories import PetitionFactory

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]


def _sign_concurrently(petition, emails):
    def signer(email):
        return lambda: signature_create(
            petition=petition, data=sign_data(email=email), request_meta=REQUEST_META
        )

    return run_concurrently(*[signer(email) for email in emails])


def test_two_concurrent_posts_of_one_address_leave_one_live_row():
    petition = PetitionFactory()

    results = _sign_concurrently(petition, ["grace@gmail.com", "G.race+x@googlemail.com"])

    assert Signature.objects.filter(petition=petition).count() == 1
    assert sorted(r.created for r in results) == [False, True]
    assert len({r.signature.pk for r in results}) == 1


def test_many_concurrent_posts_of_one_address_leave_one_live_row():
    petition = PetitionFactory()

    results = _sign_concurrently(petition, ["grace@example.org"] * 6)

    assert Signature.objects.filter(petition=petition).count() == 1
    assert [r.created for r in results].count(True) == 1
