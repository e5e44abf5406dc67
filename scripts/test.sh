#!/usr/bin/env bash
# The pytest half of `make test` (the Makefile runs ruff first):
#   1. the suite without browser tests and process tests (tests/test_run_script.py and
#      the README recipe's) on the embedded SQLite default;
#   2. the whole suite, browser and process tests included, on a throwaway PostgreSQL 15
#      cluster and
#      Redis server on loopback (scripts/services.sh), stopped afterwards even on failure.
# Extra arguments go to both pytest runs, e.g. scripts/test.sh -k signing -x
set -euo pipefail
cd "$(dirname "$0")/.."

pytest=(.venv/bin/python -m pytest)
export CHORUS_SERVICES_DIR=${CHORUS_SERVICES_DIR:-$PWD/.tmp/services}
export PG_PORT=${PG_PORT:-55432}
export REDIS_PORT=${REDIS_PORT:-56379}
# WhiteNoise warns at start-up when STATIC_ROOT does not exist yet.
mkdir -p .tmp staticfiles
scripts/messages.sh

banner() { printf '\n=== %s ===\n' "$*"; }

# The environment wins over .env, so these pin each run to its databases whatever a
# developer's .env says.
banner "pytest on SQLite (browser and process tests run on PostgreSQL below)"
DATABASE_URL="sqlite:///$PWD/.tmp/test-sqlite.sqlite3" REDIS_URL="" \
    "${pytest[@]}" -m "not browser and not processes" "$@"

banner "services: PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT"
trap 'scripts/services.sh stop' EXIT
scripts/services.sh start
eval "$(scripts/services.sh env)"

banner "pytest on PostgreSQL and Redis, browser tests included"
"${pytest[@]}" "$@"
