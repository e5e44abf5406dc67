"""A fresh copy of this checkout for tests of the scripts a newcomer runs.

It holds what `git clone` of the working tree would (tracked files, and new files that are
not ignored, as they stand now), so no .env, var/ or staticfiles/ of the developer's; the
shared virtual environment is linked in, since installing one is not what is tested.
"""

import os
import shutil
import socket
import subprocess
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
# Settings a developer's shell or the test run may hold, which a newcomer's shell does not.
NEWCOMER_UNSET = (
    "BASE_URL",
    "CHORUS_TESTING",
    "DATABASE_URL",
    "DATA_DIR",
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "EMAIL_URL",
    "IP_HASH_KEY",
    "PORT",
    "REDIS_URL",
    "SECRET_KEY",
)


def checkout_copy(target: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = PROJECT / name
        if source.is_file():  # a tracked file deleted in the working tree is not copied
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / ".venv").symlink_to((PROJECT / ".venv").resolve())
    return target


def newcomer_env(**settings: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in NEWCOMER_UNSET}
    return env | settings


def port_is_free(port: int) -> bool:
    """Whether a server could listen on the port (connections closing there do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A free port among the 8100s, which test servers use (8000 is a developer's)."""
    start = 8100 + os.getpid() % 100
    for offset in range(100):
        port = 8100 + (start - 8100 + offset) % 100
        if port_is_free(port):
            return port
    raise RuntimeError("no free port between 8100 and 8199")
