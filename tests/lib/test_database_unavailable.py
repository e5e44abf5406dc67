"""When the database is unreachable, people get "please try again" (503), never a 500."""

import pytest
from django.db import OperationalError

from petitions.models import Signature
from tests.conftest import sign_data

pytestmark = pytest.mark.django_db


def _fail(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def test_signing_answers_503_and_never_thanks_when_the_database_is_down(
    public_client, petition, monkeypatch
):
    monkeypatch.setattr("petitions.services._insert_with_job", _fail)

    response = public_client.post(f"/p/{petition.slug}/sign/", sign_data())

    assert response.status_code == 503
    assert response["Retry-After"]
    assert "try again" in response.content.decode()
    assert "thanks" not in response.get("Location", "")
    assert not Signature.objects.exists()


def test_the_petition_page_answers_503_when_the_database_is_down(
    public_client, petition, monkeypatch
):
    monkeypatch.setattr("petitions.pages._load_public_petition", _fail)

    response = public_client.get(f"/p/{petition.slug}/")

    assert response.status_code == 503
    assert response["Cache-Control"] == "no-store"


def test_after_an_outage_is_seen_the_process_answers_503_at_once_for_a_moment(
    public_client, petition, monkeypatch
):
    from chorus.middleware import DatabaseUnavailableMiddleware
    from petitions import services

    clock = [500.0]
    monkeypatch.setattr("chorus.middleware.time.monotonic", lambda: clock[0])
    monkeypatch.setattr(DatabaseUnavailableMiddleware, "_unavailable_until", 0.0)
    real_insert, database_up, attempts = services._insert_with_job, [False], []

    def insert(*args, **kwargs):
        attempts.append(1)
        return real_insert(*args, **kwargs) if database_up[0] else _fail()

    monkeypatch.setattr(services, "_insert_with_job", insert)
    first = public_client.post(f"/p/{petition.slug}/sign/", sign_data())
    during = public_client.post(f"/p/{petition.slug}/sign/", sign_data(email="b@example.org"))
    database_up[0] = True
    clock[0] += DatabaseUnavailableMiddleware.BREAKER_SECONDS + 0.1
    after = public_client.post(f"/p/{petition.slug}/sign/", sign_data(email="c@example.org"))

    assert first.status_code == 503 and during.status_code == 503
    assert len(attempts) == 2  # the first and the one after; "during" was answered at once
    assert after.status_code == 302
    assert list(Signature.objects.values_list("email", flat=True)) == ["c@example.org"]


def test_sqlite_busy_writers_do_not_trip_the_breaker(public_client, petition, monkeypatch):
    from chorus.middleware import DatabaseUnavailableMiddleware

    monkeypatch.setattr(DatabaseUnavailableMiddleware, "_unavailable_until", 0.0)

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("petitions.services._insert_with_job", locked)
    assert public_client.post(f"/p/{petition.slug}/sign/", sign_data()).status_code == 503

    assert DatabaseUnavailableMiddleware._unavailable_until == 0.0
