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
