"""The files that hold signers' data stay readable by Chorus's own user only.

The data folder, the SQLite database with its -wal and -shm files, and uploaded
media: Chorus creates them owner-only (settings: DATA_DIR with mode 0700, media
through the storage's permission modes; the SQLite files here, as each connection
opens), and says so at start when it finds any of them open to others, as a
system check (`manage.py check`, migrate, the worker) and in the web server's log.
"""

import logging
import stat
from pathlib import Path

from django.conf import settings
from django.core import checks

logger = logging.getLogger("chorus.files")

SQLITE_SUFFIXES = ("", "-wal", "-shm", "-writelock", "-signers")


def sqlite_database_path() -> Path | None:
    database = settings.DATABASES["default"]
    name = str(database.get("NAME") or "")
    if database["ENGINE"] != "chorus.db.sqlite3" or not name.startswith("/"):
        return None  # PostgreSQL, or an in-memory test database
    return Path(name)


def data_paths() -> list[Path]:
    """Every path that must be owner-only, whether or not it exists yet."""
    paths = [Path(settings.DATA_DIR), Path(settings.MEDIA_ROOT)]
    database = sqlite_database_path()
    if database is not None:
        paths += [Path(f"{database}{suffix}") for suffix in SQLITE_SUFFIXES]
    return paths


def open_to_others(paths: list[Path]) -> list[tuple[Path, int]]:
    """The paths among these that exist and grant their group or others any access."""
    found = []
    for path in paths:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            found.append((path, mode))
    return found


def data_files_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    return [
        checks.Warning(
            f"{path} is open to other users (mode {mode:o}); it holds signers' data.",
            hint=f"chmod {'700' if path.is_dir() else '600'} {path}",
            id="chorus.W001",
        )
        for path, mode in open_to_others(data_paths())
    ]


def data_files_warn() -> None:
    """The same warnings, logged: web processes start without running system checks."""
    for warning in data_files_check():
        logger.warning("%s (%s)", warning.msg, warning.hint)


def sqlite_files_restrict(sender, connection, **kwargs) -> None:
    """Make the SQLite database, -wal and -shm owner-only once a connection has opened them.

    SQLite creates a new database with the process's umask (usually 0644) and gives
    -wal and -shm the database file's mode, so tightening the database settles all
    three from then on. On each new connection (kept for minutes per thread) this
    costs three stat calls.
    """
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name.startswith("/"):
        return
    for path, mode in open_to_others([Path(f"{name}{suffix}") for suffix in SQLITE_SUFFIXES]):
        path.chmod(mode & 0o700)
