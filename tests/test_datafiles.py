"""Secrets and the files holding signers' data are out of other users' reach.

The data folder, the SQLite database with its -wal and -shm files, and uploaded
media are created owner-only, and Chorus warns at start when it finds them open;
IP_HASH_KEY must be set, and differ from SECRET_KEY, outside tests.
"""

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from chorus.datafiles import data_files_warn

ROOT = Path(__file__).resolve().parent.parent


def _python(script: str, tmp_path, **env) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "CHORUS_TESTING", "IP_HASH_KEY", "SECRET_KEY")
        and not k.startswith("PYTEST_")
    }
    environment.update(
        {"DJANGO_SETTINGS_MODULE": "chorus.settings", "DATA_DIR": str(tmp_path / "var"), **env}
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        # What a fresh shell gives: files open to everyone unless Chorus says otherwise.
        preexec_fn=lambda: os.umask(0o022),
    )


SETTINGS = "import django; django.setup(); print('started')"
A_SECRET_KEY = "a-long-random-secret-key-for-this-test-only-0123456789"


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param({}, id="IP_HASH_KEY missing"),
        pytest.param({"IP_HASH_KEY": ""}, id="IP_HASH_KEY empty"),
        pytest.param({"IP_HASH_KEY": A_SECRET_KEY}, id="IP_HASH_KEY equal to SECRET_KEY"),
        pytest.param({"DEBUG": "true"}, id="IP_HASH_KEY missing with DEBUG on"),
    ],
)
def test_chorus_refuses_to_start_without_an_ip_hash_key_of_its_own(tmp_path, keys):
    done = _python(SETTINGS, tmp_path, SECRET_KEY=A_SECRET_KEY, CHORUS_TESTING="false", **keys)

    assert done.returncode != 0
    assert "ImproperlyConfigured: IP_HASH_KEY must be set, and differ from SECRET_KEY" in (
        done.stderr
    )


def test_chorus_starts_with_an_ip_hash_key_of_its_own(tmp_path):
    done = _python(
        SETTINGS,
        tmp_path,
        SECRET_KEY=A_SECRET_KEY,
        IP_HASH_KEY="another-long-random-key-for-ip-hashes",
        CHORUS_TESTING="false",
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "started"


def test_tests_run_without_an_ip_hash_key(tmp_path):
    done = _python(SETTINGS, tmp_path, CHORUS_TESTING="true")

    assert done.returncode == 0, done.stderr


def test_a_new_sqlite_database_its_wal_and_shm_and_the_data_folder_are_owner_only(tmp_path):
    script = (
        "import django, os, stat, json; django.setup()\n"
        "from django.conf import settings; from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('CREATE TABLE t (x)'); c.execute('INSERT INTO t VALUES (1)')\n"
        "name = connection.settings_dict['NAME']\n"
        "paths = [str(settings.DATA_DIR), name, name + '-wal', name + '-shm']\n"
        "print(json.dumps({p: oct(stat.S_IMODE(os.stat(p).st_mode)) for p in paths}))\n"
    )

    done = _python(script, tmp_path, CHORUS_TESTING="true")

    assert done.returncode == 0, done.stderr
    database = tmp_path / "var" / "chorus.sqlite3"
    assert done.stdout.strip().splitlines()[-1] == (
        f'{{"{tmp_path / "var"}": "0o700", "{database}": "0o600", '
        f'"{database}-wal": "0o600", "{database}-shm": "0o600"}}'
    )


def test_chorus_warns_at_start_about_each_data_file_open_to_others(tmp_path):
    data = tmp_path / "var"
    media = data / "media"
    media.mkdir(parents=True)
    database = data / "chorus.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").write_bytes(b"")
    for path, mode in [
        (data, 0o755),
        (media, 0o750),
        (database, 0o644),
        (Path(f"{database}-wal"), 0o640),
        (Path(f"{database}-shm"), 0o604),
    ]:
        path.chmod(mode)

    done = _python(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check'])",
        tmp_path,
        CHORUS_TESTING="true",
    )

    warned = sorted(
        line.split(" is open to other users")[0].split("(chorus.W001) ", 1)[1]
        for line in done.stderr.splitlines()
        if "(chorus.W001)" in line
    )
    assert warned == sorted(
        str(p) for p in (data, media, database, f"{database}-wal", f"{database}-shm")
    )


def test_chorus_is_quiet_when_every_data_file_is_owner_only(tmp_path):
    data = tmp_path / "var"
    (data / "media").mkdir(parents=True, mode=0o700)
    data.chmod(0o700)
    (data / "chorus.sqlite3").write_bytes(b"")
    (data / "chorus.sqlite3").chmod(0o600)

    done = _python(
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check'])",
        tmp_path,
        CHORUS_TESTING="true",
    )

    assert done.returncode == 0, done.stderr
    assert "chorus.W001" not in done.stderr
    assert "System check identified no issues" in done.stdout


def test_web_processes_log_the_same_warning_at_start(tmp_path, settings, caplog):
    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    tmp_path.chmod(0o755)

    with caplog.at_level(logging.WARNING, logger="chorus.files"):
        data_files_warn()

    assert [r.getMessage() for r in caplog.records] == [
        f"{tmp_path} is open to other users (mode 755); it holds signers' data. "
        f"(chmod 700 {tmp_path})"
    ]


def test_uploaded_files_and_their_folders_are_owner_only(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    old_umask = os.umask(0o022)
    try:
        name = default_storage.save("petitions/photo.png", ContentFile(b"\x89PNG"))
    finally:
        os.umask(old_umask)

    saved = tmp_path / "media" / name
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(saved.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "media").stat().st_mode) == 0o700
