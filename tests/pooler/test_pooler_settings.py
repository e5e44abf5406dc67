"""DATABASE_POOLER in settings: what it turns off, and the contradictions it refuses."""

import pytest

from tests.django_process import django_process
from tests.test_settings import _database_settings

POSTGRES = "postgres://chorus@127.0.0.1:5/chorus"


def _refusal(tmp_path, **env) -> str:
    done = django_process(tmp_path, "import chorus.settings", dropping=("DATABASE_",), **env)
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
