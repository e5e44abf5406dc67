"""Chorus's settings read in a fresh Python process, for the tests of what the environment
sets: each test gives its own variables, over this one's minus what would choose its
databases (and any other prefixes it names)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def django_process(
    tmp_path, script: str, *, dropping: tuple[str, ...] = ("DATABASE_URL", "REDIS_URL"), **env
) -> subprocess.CompletedProcess:
    """Run `script` with chorus.settings, DATA_DIR in `tmp_path` and the test defaults
    (no .env on a fresh clone), leaving out the variables whose names start with `dropping`."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(dropping)}
    environment.update(
        DJANGO_SETTINGS_MODULE="chorus.settings", DATA_DIR=str(tmp_path), CHORUS_TESTING="1", **env
    )
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )
