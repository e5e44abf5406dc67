"""DATABASE_REPLICA_URL in settings: the replica's entry, and what is refused."""

import json
import os
import subprocess
import sys

from tests.pooler.test_pooler_settings import POSTGRES, _refusal
from tests.test_settings import ROOT

REPLICA_URL = "postgres://reader@127.0.0.1:6/chorus"


def _databases(tmp_path, **env) -> dict:
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps({'aliases': list(settings.DATABASES), "
        "'replica': settings.DATABASES.get('replica'), "
        "'routers': settings.DATABASE_ROUTERS}, default=str))"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    environment.update(
        DJANGO_SETTINGS_MODULE="chorus.settings", DATA_DIR=str(tmp_path), CHORUS_TESTING="1", **env
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )
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
