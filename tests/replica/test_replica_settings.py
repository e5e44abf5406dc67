"""DATABASE_REPLICA_URL in settings: the replica's entry, and what is refused."""

import json

from tests.django_process import django_process
from tests.pooler.test_pooler_settings import POSTGRES, _refusal

REPLICA_URL = "postgres://reader@127.0.0.1:6/chorus"


def _databases(tmp_path, **env) -> dict:
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({'aliases': list(settings.DATABASES), "
        "'replica': settings.DATABASES.get('replica'), "
        "'routers': settings.DATABASE_ROUTERS}, default=str))"
    )
    done = django_process(tmp_path, script, dropping=("DATABASE_",), **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_without_a_replica_url_there_is_one_database(tmp_path):
    databases = _databases(tmp_path, DATABASE_URL=POSTGRES)

    assert databases["aliases"] == ["default"]
    assert databases["routers"] == ["chorus.db.router.ReplicaRouter"]


def test_the_replica_gets_the_primarys_options_a_short_timeout_and_no_pool(tmp_path):
    databases = _databases(
        tmp_path,
        DATABASE_URL=POSTGRES,
        DATABASE_REPLICA_URL=REPLICA_URL,
        DATABASE_POOLER="pgbouncer-transaction",
    )
    replica = databases["replica"]

    assert databases["aliases"] == ["default", "replica"]
    assert (replica["USER"], replica["PORT"]) == ("reader", 6)
    assert "pool" not in replica["OPTIONS"]
    assert replica["OPTIONS"]["connect_timeout"] == 2
    assert replica["OPTIONS"]["prepare_threshold"] is None
    assert replica["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert replica["TEST"]["MIRROR"] == "default"


def test_a_replica_of_sqlite_stops_the_start(tmp_path):
    refusal = _refusal(tmp_path, DATABASE_URL="sqlite:///x.db", DATABASE_REPLICA_URL=REPLICA_URL)

    assert "both must be PostgreSQL" in refusal
