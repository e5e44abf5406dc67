"""Nothing in Chorus leaves state on a PostgreSQL session, which PgBouncer in transaction
mode would hand to someone else: the SQL in the code is read for the kinds that do."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SKIPPED = {".venv", ".tmp", "tests", "migrations", "node_modules", "var", "staticfiles"}
SESSION_STATE = {
    "a session-level advisory lock": r"pg_(try_)?advisory_lock(_shared)?\s*\(",
    "LISTEN or NOTIFY": r"[\"']\s*(LISTEN|NOTIFY|UNLISTEN)\s|pg_notify\s*\(",
    "a temporary table": r"CREATE\s+(GLOBAL\s+|LOCAL\s+)?TEMP(ORARY)?\s+TABLE",
    "a session SET": r"[\"']\s*SET\s+(?!LOCAL\b|CONSTRAINTS\b|TRANSACTION\b)(SESSION\s+)?\w",
    "set_config for the session": r"set_config\s*\([^)]*,\s*false\s*\)",
    "a prepared statement by name": r"[\"']\s*(PREPARE|DEALLOCATE)\s",
    "a cursor held across transactions": r"[\"'][^\"']*WITH\s+HOLD",
}


def _sources() -> list[Path]:
    return [path for path in ROOT.rglob("*.py") if not SKIPPED & set(path.relative_to(ROOT).parts)]


@pytest.mark.parametrize("kind", SESSION_STATE)
def test_no_code_leaves_this_on_a_session(kind):
    pattern = re.compile(SESSION_STATE[kind])  # SQL is written in capitals here

    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _sources()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]

    assert found == [], f"{kind} would not survive PgBouncer in transaction mode"


def test_the_reader_finds_what_it_looks_for():
    samples = {
        "a session-level advisory lock": "cursor.execute('SELECT pg_advisory_lock(%s)', [1])",
        "a session SET": 'cursor.execute("SET statement_timeout = 5")',
        "LISTEN or NOTIFY": 'cursor.execute("LISTEN jobs")',
        "set_config for the session": "SELECT set_config('x', 'y', false)",
        "a cursor held across transactions": 'cursor.execute("DECLARE c CURSOR WITH HOLD FOR")',
    }
    allowed = [
        'cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")',
        "SELECT pg_advisory_xact_lock(%s)",
        "SELECT set_config('synchronous_commit', 'off', true)",
        'f"UPDATE {table} SET state = %s"',
        'raise Refused(_("Set at most 12 milestones."))',
    ]

    for kind, line in samples.items():
        assert re.search(SESSION_STATE[kind], line), kind
    for line in allowed:
        assert not any(re.search(p, line) for p in SESSION_STATE.values()), line
