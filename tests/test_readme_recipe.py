"""The README's PostgreSQL recipe works as written in a fresh clone that never ran `make run`.

Its commands are read from the README and run in a fresh copy of the checkout, except for
three lines the test stands in for: `make setup` (the shared virtual environment is linked
in), starting the test services (the test run's PostgreSQL and Redis, with a database of
its own), and the long-running server and worker at the end (tests/test_run_script.py
starts and stops those). Any other line added to the recipe is run as written.
"""

import os
import re
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.checkout import PROJECT, checkout_copy, newcomer_env

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the recipe is for PostgreSQL; runs when DATABASE_URL is set",
    ),
]

STOOD_IN_FOR = ("make setup", "scripts/services.sh start", "make serve")


def recipe_lines() -> list[str]:
    readme = (PROJECT / "README.md").read_text()
    section = readme.split("## PostgreSQL and Redis", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return [line for line in block.splitlines() if line.strip()]


@pytest.fixture
def fresh_database():
    """A database of its own on the test run's PostgreSQL server, dropped afterwards."""
    url = os.environ["DATABASE_URL"]
    name = f"chorus_recipe_{uuid.uuid4().hex[:8]}"
    server = url.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"{server}/{name}"
        finally:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_the_recipe_names_the_lines_this_test_stands_in_for():
    lines = recipe_lines()

    for start in STOOD_IN_FOR:
        assert any(line.startswith(start) for line in lines), start
    assert lines[-1].startswith("make serve")


def test_the_postgresql_recipe_migrates_and_loads_the_demo_in_a_fresh_clone(
    tmp_path, fresh_database
):
    checkout = checkout_copy(tmp_path / "chorus")
    commands = [line for line in recipe_lines() if not line.startswith(STOOD_IN_FOR)]
    env = newcomer_env(DATABASE_URL=fresh_database, REDIS_URL=os.environ.get("REDIS_URL", ""))

    ran = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join(commands)],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "Demo petition: http://127.0.0.1:8000/p/" in ran.stdout
    assert Path(checkout / ".env").stat().st_mode & 0o077 == 0
