#!/usr/bin/env bash
# The fault drill: kill -9 a web worker and a chorus_worker and stop PostgreSQL abruptly
# during a signing load, then check nothing accepted was lost, counts and emails are
# right, and clients saw 503 "please try again" while the database was down.
#
#   bash bench/drill.sh                    # about 3-4 minutes (waits out the job lease)
#   bash bench/drill.sh --seconds 30 --clients 16
#
# Uses its own throwaway PostgreSQL and Redis (ports 55463/56410), deleted on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

export CHORUS_SERVICES_DIR=${CHORUS_SERVICES_DIR:-.tmp/drill-services}
export PG_PORT=${PG_PORT:-55463}
export REDIS_PORT=${REDIS_PORT:-56410}
PY=${PY:-.venv/bin/python}
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
. bench/services.sh

drill_pid=""
cleanup() {
    status=$?
    trap - EXIT INT TERM
    if [ -n "$drill_pid" ] && kill -0 "$drill_pid" 2>/dev/null; then
        kill -TERM "$drill_pid" 2>/dev/null || true
        wait "$drill_pid" 2>/dev/null || true
    fi
    bench_services_stop
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_services_start
"$PY" bench/drill.py --pg-admin-url "$BENCH_PG_ADMIN_URL" --redis-url "$BENCH_REDIS_URL" \
    --command "bash bench/drill.sh $*" "$@" &
drill_pid=$!
wait "$drill_pid"
