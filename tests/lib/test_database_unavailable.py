"""When the database is unreachable, people get "please try again" (503), never a 500.

The database is taken "down" through Django's public query hook (connection.execute_wrapper):
every query fails as it does when the server refuses connections, whichever module runs it.
"""

import contextlib

import pytest
from django.db import OperationalError, connection

from chorus.middleware import DatabaseUnavailableMiddleware
from petitions.models import Signature
from tests.conftest import sign_data

pytestmark = pytest.mark.django_db

REFUSED = "connection to server at 127.0.0.1 failed: Connection refused"


class Database:
    """The database as the application sees it: up, down, or locked, and how often asked."""

    def __init__(self, error: str | None = REFUSED):
        self.error = error
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        if self.error:
            raise OperationalError(self.error)
        return execute(sql, params, many, context)


@contextlib.contextmanager
def database_as(database: Database):
    with connection.execute_wrapper(database):
        yield database


def test_signing_answers_503_and_never_thanks_when_the_database_is_down(public_client, petition):
    with database_as(Database()):
        response = public_client.post(f"/p/{petition.slug}/sign/", sign_data())

    assert response.status_code == 503
    assert response["Retry-After"]
    assert "try again" in response.content.decode()
    assert "thanks" not in response.get("Location", "")
    assert not Signature.objects.exists()


def test_the_petition_page_answers_503_when_the_database_is_down(public_client, petition):
    with database_as(Database()):
        response = public_client.get(f"/p/{petition.slug}/")

    assert response.status_code == 503
    assert response["Cache-Control"] == "no-store"


def test_after_an_outage_is_seen_the_process_answers_503_at_once_for_a_moment(
    public_client, petition, monkeypatch
):
    clock = [500.0]
    monkeypatch.setattr("chorus.middleware.time.monotonic", lambda: clock[0])

    with database_as(Database()) as database:
        first = public_client.post(f"/p/{petition.slug}/sign/", sign_data())
        asked_first = database.queries
        during = public_client.post(f"/p/{petition.slug}/sign/", sign_data(email="b@example.org"))
        asked_during = database.queries - asked_first
        database.error = None
        clock[0] += DatabaseUnavailableMiddleware.BREAKER_SECONDS + 0.1
        after = public_client.post(f"/p/{petition.slug}/sign/", sign_data(email="c@example.org"))

    assert first.status_code == 503 and during.status_code == 503
    assert asked_first > 0
    assert asked_during == 0  # answered at once, without trying the database
    assert after.status_code == 302
    assert list(Signature.objects.values_list("email", flat=True)) == ["c@example.org"]


def test_sqlite_busy_writers_do_not_trip_the_breaker(public_client, petition):
    with database_as(Database("database is locked")):
        busy = public_client.post(f"/p/{petition.slug}/sign/", sign_data())

    after = public_client.post(f"/p/{petition.slug}/sign/", sign_data(email="b@example.org"))

    assert busy.status_code == 503
    assert after.status_code == 302
    assert Signature.objects.filter(email="b@example.org").exists()
