"""With DATABASE_REPLICA_URL unset (the default) the router says nothing: Django routes every
query to the one database as it always has, marked reads included."""

import pytest
from django.db import connections

from chorus.db.router import ReplicaRouter
from lib.replica import REPLICA, reads_may_lag
from petitions.models import Petition

pytestmark = pytest.mark.django_db


def test_no_replica_alias_exists_and_the_router_answers_nothing(petition):
    router = ReplicaRouter()

    with reads_may_lag():
        read, write = router.db_for_read(Petition), router.db_for_write(Petition)
        used = Petition.objects.all().db

    assert REPLICA not in connections.settings
    assert (read, write, used) == (None, None, "default")


def test_a_marked_page_answers_from_the_one_database(client, petition):
    response = client.get(f"/api/v1/petitions/{petition.slug}/")

    assert response.status_code == 200
    assert response.json()["slug"] == petition.slug
