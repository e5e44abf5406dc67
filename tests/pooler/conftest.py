"""A real PgBouncer in transaction mode in front of the test database, and the default
connection sent through it with the settings DATABASE_POOLER=pgbouncer-transaction makes.

The PgBouncer is started here by scripts/services.sh (as production would run one), on a
free port, for this directory's tests only, and stopped after them, so the test database
can be dropped at the end of the run with no server connection left open on it.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.db import connection, connections

ROOT = Path(__file__).resolve().parent.parent.parent
SERVICES = ROOT / "scripts" / "services.sh"
# What the pooler setting changes in a DATABASES entry.
POOLED_KEYS = ("ENGINE", "HOST", "PORT", "OPTIONS", "CONN_MAX_AGE", "DISABLE_SERVER_SIDE_CURSORS")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _services(directory: Path, port: int, *args: str) -> None:
    environment = {
        **os.environ,
        "CHORUS_SERVICES_DIR": str(directory),
        "PG_PORT": str(connection.settings_dict["PORT"]),
        "PGBOUNCER_PORT": str(port),
    }
    subprocess.run(["bash", str(SERVICES), *args], env=environment, check=True, timeout=60)


def _pooled_settings(url: str, tmp_path: Path) -> dict:
    """The default database as chorus.settings makes it from these variables."""
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default'], default=str))"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    environment.update(
        DJANGO_SETTINGS_MODULE="chorus.settings",
        DATA_DIR=str(tmp_path),
        CHORUS_TESTING="1",
        DATABASE_URL=url,
        DATABASE_POOLER="pgbouncer-transaction",
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    database = json.loads(done.stdout.strip().splitlines()[-1])
    return {key: database.get(key) for key in POOLED_KEYS}


@pytest.fixture(scope="session")
def pgbouncer(django_db_setup):
    if connection.vendor != "postgresql":
        pytest.skip("PgBouncer pools PostgreSQL; runs when DATABASE_URL names PostgreSQL")
    if shutil.which("pgbouncer") is None:
        pytest.fail("no pgbouncer: `make setup` installs it (the Makefile's SYSTEM_PACKAGES)")
    # Open to the postgres user (PgBouncer runs as it when the tests run as root), unlike
    # pytest's own temporary directories.
    directory = Path(tempfile.mkdtemp(prefix="chorus-pgbouncer."))
    directory.chmod(0o755)
    port = _free_port()
    try:
        _services(directory, port, "pgbouncer", "start")
        url = f"postgres://postgres@127.0.0.1:{port}/{connection.settings_dict['NAME']}"
        yield {"port": port, "settings": _pooled_settings(url, directory)}
    finally:
        _services(directory, port, "pgbouncer", "stop")
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def through_pgbouncer(transactional_db, pgbouncer):
    """The default connection, for this test, goes through PgBouncer as configured."""
    wrapper = connections["default"]
    direct = wrapper.settings_dict
    wrapper.close()
    wrapper.settings_dict = {**direct, **pgbouncer["settings"]}
    yield pgbouncer
    wrapper.close()
    wrapper.settings_dict = direct


def pgbouncer_show(port: int, what: str) -> list[dict]:
    """A SHOW command on PgBouncer's admin console (psql: it speaks the simple protocol)."""
    done = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", "pgbouncer"]
        + ["-A", "-F", "\t", "-c", f"SHOW {what}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    header, *rows = done.stdout.strip().splitlines()[:-1]  # the last line counts the rows
    names = header.split("\t")
    return [dict(zip(names, row.split("\t"), strict=True)) for row in rows]
