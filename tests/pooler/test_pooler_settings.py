"""DATABASE_POOLER in settings: what it turns off, and the contradictions it refuses."""

import os
import subprocess
import sys

import pytest

from tests.test_settings import ROOT, _database_settings

POSTGRES = "postgres://chorus@127.0.0.1:5/chorus"


def _refusal(tmp_path, **env) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    environment.update(DATA_DIR=str(tmp_path), CHORUS_TESTING="1", **env)
    done = subprocess.run(
        [sys.executable, "-c", "import chorus.settings"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    return done.stderr.strip().splitlines()[-1]


def test_behind_pgbouncer_nothing_is_kept_on_a_server_connection(tmp_path):
    database = _database_settings(
        tmp_path, DATABASE_URL=POSTGRES, DATABASE_POOLER="pgbouncer-transaction"
    )

    assert "pool" not in database["OPTIONS"]
    assert database["OPTIONS"]["server_side_binding"] is False
    assert database["OPTIONS"]["prepare_threshold"] is None
    assert database["CONN_MAX_AGE"] == 60


def test_without_a_pooler_the_connection_is_as_before(tmp_path):
    database = _database_settings(tmp_path, DATABASE_URL=POSTGRES)

    assert database["OPTIONS"]["pool"]["max_size"] == 20
    assert database["OPTIONS"]["server_side_binding"] is True


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_POOLER": "pgpool"}, "the one pooler Chorus knows is pgbouncer-transaction"),
        ({"DATABASE_PREPARE_THRESHOLD": "5"}, "cannot keep server-side binding"),
        ({"DATABASE_SERVER_SIDE_BINDING": "true"}, "cannot keep server-side binding"),
        ({"DATABASE_POOL": "true"}, "the pooler pools"),
    ],
)
def test_a_setting_the_pooler_cannot_honour_stops_the_start(tmp_path, env, message):
    env = {"DATABASE_URL": POSTGRES, "DATABASE_POOLER": "pgbouncer-transaction", **env}

    assert message in _refusal(tmp_path, **env)


def test_the_pooler_on_sqlite_stops_the_start(tmp_path):
    refusal = _refusal(
        tmp_path, DATABASE_URL="sqlite:///x.db", DATABASE_POOLER="pgbouncer-transaction"
    )

    assert "DATABASE_POOLER is for PostgreSQL" in refusal
