"""Two people (or one double-click) posting the same address at the same instant."""

import threading

import pytest
from django.db import connection

from petitions.models import Signature
from petitions.services import signature_create
from tests.conftest import REQUEST_META, postgres_only, sign_data
from tests.factories import PetitionFactory

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]


def _sign_concurrently(petition, emails):
    barrier = threading.Barrier(len(emails))
    results, errors = [], []

    def sign(email):
        try:
            barrier.wait(timeout=10)
            results.append(
                signature_create(
                    petition=petition, data=sign_data(email=email), request_meta=REQUEST_META
                )
            )
        except Exception as exc:  # reported below, with the thread's own error
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=[email]) for email in emails]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def test_two_concurrent_posts_of_one_address_leave_one_live_row():
    petition = PetitionFactory()

    results = _sign_concurrently(petition, ["grace@example.org", "Grace+x@example.org"])

    assert Signature.objects.filter(petition=petition).count() == 1
    assert sorted(r.created for r in results) == [False, True]
    assert len({r.signature.pk for r in results}) == 1


def test_many_concurrent_posts_of_one_address_leave_one_live_row():
    petition = PetitionFactory()

    results = _sign_concurrently(petition, ["grace@example.org"] * 6)

    assert Signature.objects.filter(petition=petition).count() == 1
    assert [r.created for r in results].count(True) == 1
