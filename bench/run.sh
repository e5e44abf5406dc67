#!/usr/bin/env bash
# The load benchmark (`make bench`): throwaway PostgreSQL + Redis on loopback, Chorus
# served the production way (DEBUG off, granian on 127.0.0.1) with its workers and the
# count fold running, wrk as the load, the ceiling project beside it. See docs/benchmarks.md.
#
#   bash bench/run.sh                 # full run, about 8-10 minutes
#   bash bench/run.sh --quick         # smoke run, 2-4 minutes
#   bash bench/run.sh --servers       # compare gunicorn sync/gthread and granian (short runs)
#   bash bench/run.sh --clients 32 --sign-seconds 30 --server granian --workers 2 --threads 8
#   bash bench/run.sh --only mail     # the mailing benchmark alone (bench/mail.py), ~8 minutes:
#                                     # then a 50,000-confirmation backlog the same workers drain
#   bash bench/run.sh --only mail --members 50000 --also 0 --profile
#   bash bench/run.sh --only capacity # CPU, WAL and connections per unit of work (bench/capacity.py)
#
# Everything it starts (database cluster, Redis, servers, workers, SMTP sink) is stopped
# and the cluster deleted on exit, failure and Ctrl-C included.
set -euo pipefail
cd "$(dirname "$0")/.."

export CHORUS_SERVICES_DIR=${CHORUS_SERVICES_DIR:-.tmp/bench-services}
export PG_PORT=${PG_PORT:-55462}
export REDIS_PORT=${REDIS_PORT:-56409}
PY=${PY:-.venv/bin/python}
command="bash bench/run.sh $*"

args=()
only_args=()
only=""
previous=""
for arg in "$@"; do
    if [ "$previous" = "--only" ] && { [ "$arg" = "mail" ] || [ "$arg" = "capacity" ]; }; then
        only=$arg
        unset 'args[${#args[@]}-1]'
        previous=""
        continue
    fi
    previous="$arg"
    if [ -n "$only" ]; then
        only_args+=("$arg")
        continue
    fi
    case "$arg" in
    --quick) args+=(--sign-seconds 10 --read-seconds 5 --warmup 1 --drain-seconds 20 --converge-seconds 20) ;;
    --servers) args+=(--compare-servers --sign-seconds 10 --read-seconds 8 --warmup 2 --drain-seconds 0 --converge-seconds 0) ;;
    *) args+=("$arg") ;;
    esac
done

[ "$only" = mail ] || command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
. bench/services.sh

bench_pid=""
cleanup() {
    status=$?
    trap - EXIT INT TERM
    if [ -n "$bench_pid" ] && kill -0 "$bench_pid" 2>/dev/null; then
        kill -TERM "$bench_pid" 2>/dev/null || true
        wait "$bench_pid" 2>/dev/null || true
    fi
    bench_services_stop
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_services_start
if [ "$only" = capacity ]; then
    "$PY" bench/capacity.py --pg-admin-url "$BENCH_PG_ADMIN_URL" --redis-url "$BENCH_REDIS_URL" \
        --command "$command" "${only_args[@]}" &
    bench_pid=$!
    wait "$bench_pid"
    exit 0
fi
if [ -z "$only" ]; then
    "$PY" bench/bench.py --pg-admin-url "$BENCH_PG_ADMIN_URL" --redis-url "$BENCH_REDIS_URL" \
        --command "$command" "${args[@]}" &
    bench_pid=$!
    wait "$bench_pid"
fi
# The mailing benchmark: alone with --only mail, after the rest in a full run.
case " ${args[*]} " in
*" --only "* | *" --compare-servers "* | *" --sign-seconds 10 "*) [ "$only" = mail ] || exit 0 ;;
esac
"$PY" bench/mail.py --pg-admin-url "$BENCH_PG_ADMIN_URL" --redis-url "$BENCH_REDIS_URL" \
    --command "$command" "${only_args[@]}" &
bench_pid=$!
wait "$bench_pid"
