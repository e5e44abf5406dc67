"""Settings read from the environment: what each database gets."""

import json

import pytest

from tests.django_process import django_process


def _database_settings(tmp_path, **env) -> dict:
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "d = settings.DATABASES['default']; "
        "print(json.dumps({k: d.get(k) for k in ('ENGINE', 'CONN_MAX_AGE', 'OPTIONS')}, "
        "default=str))"
    )
    done = django_process(tmp_path, script, **env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("value", "expected"), [(None, 5), ("none", None), ("0", 0)])
def test_postgresql_prepares_statements_unless_told_not_to(tmp_path, value, expected):
    env = {"DATABASE_URL": "postgres://chorus@127.0.0.1:5/chorus"}
    if value is not None:
        env["DATABASE_PREPARE_THRESHOLD"] = value

    database = _database_settings(tmp_path, **env)

    assert database["OPTIONS"]["prepare_threshold"] == expected


def test_sqlite_keeps_each_threads_connection_across_requests_in_wal_mode(tmp_path):
    # What the settings are for, seen from a process with the default database: the
    # connection outlives the end of a request (opening one runs the pragmas, closing the
    # last checkpoints the WAL), and readers run beside the writer (WAL).
    script = (
        "import django; django.setup(); "
        "from django.db import close_old_connections, connection; "
        "connection.ensure_connection(); first = connection.connection; "
        "close_old_connections(); connection.ensure_connection(); "
        "cursor = connection.cursor(); cursor.execute('PRAGMA journal_mode'); "
        "print(connection.vendor, connection.connection is first, cursor.fetchone()[0])"
    )
    done = django_process(tmp_path, script)

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["sqlite", "True", "wal"]


def test_the_ledgers_lease_is_a_setting_of_two_seconds_or_more(tmp_path):
    script = "import django; django.setup(); from jobs import services; print(services.LEASE)"

    assert django_process(tmp_path, script).stdout.split() == ["0:01:00"]
    assert django_process(tmp_path, script, JOBS_LEASE_SECONDS="7").stdout.split() == ["0:00:07"]
    refused = django_process(tmp_path, script, JOBS_LEASE_SECONDS="1")
    assert refused.returncode != 0
    assert "JOBS_LEASE_SECONDS must be 2 or more" in refused.stderr
