#!/usr/bin/env bash
# `make run` and `make serve`.
#
#   scripts/run.sh         the laptop demo: prepare (.env, static files, migrations, demo
#                          petition and login), then run the background worker and the
#                          application server until Ctrl-C or TERM, which stop both
#   scripts/run.sh serve   the application server only (granian, as in production); it
#                          migrates nothing and loads no demo data (docs/deploy.md)
#
# Both run with DEBUG off and bind 127.0.0.1:${PORT:-8000}, and refuse to start when that
# port is taken. Settings come from the environment first, then from .env (.env.example).
set -euo pipefail
cd "$(dirname "$0")/.."

python=.venv/bin/python
export PORT=${PORT:-8000}
export DEBUG=false
# Seconds the worker and the server get to finish after Ctrl-C or TERM before they are
# killed.
stop_grace=${STOP_GRACE:-5}

say() { echo "run: $*"; }

# A second server on a taken port would not fail: granian binds with SO_REUSEPORT, so two
# servers (one running stale code) would share the port. A bind without it fails while
# anything listens there (SO_REUSEADDR: closed connections of a server just stopped do not
# count).
port_free_or_exit() {
    if ! "$python" - "$PORT" <<'PY'; then
import socket, sys
with socket.socket() as probe:
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", int(sys.argv[1])))
    except OSError:
        sys.exit(1)
PY
        echo "run: port $PORT on 127.0.0.1 is in use (another \`make run\` or \`make serve\`?)." >&2
        echo "run: stop whatever holds it, or pick another port: PORT=$((PORT + 1)) make run" >&2
        exit 1
    fi
}

# Links in emails are built from BASE_URL; follow PORT unless BASE_URL is set somewhere.
base_url_default() {
    if [ -z "${BASE_URL:-}" ] && ! grep -q '^BASE_URL=' .env 2>/dev/null; then
        export BASE_URL=http://127.0.0.1:$PORT
    fi
}

# granian, WSGI: one process per core with a pool of threads each, the way bench/ measured
# best on 2 cores (docs/benchmarks.md); a killed worker process is started again. exec, so
# that the pid run.sh signals is granian's own, not a subshell's.
app_server() {
    exec .venv/bin/granian --interface wsgi --host 127.0.0.1 --port "$PORT" \
        --workers "${WEB_CONCURRENCY:-$(nproc)}" --blocking-threads "${WEB_THREADS:-8}" \
        --no-ws --respawn-failed-workers --respawn-interval 1 \
        --workers-kill-timeout "$stop_grace" \
        --log-level "${SERVER_LOG_LEVEL:-error}" chorus.wsgi:application
}

port_free_or_exit
scripts/env.sh | sed 's/^env:/run:/'
base_url_default
scripts/messages.sh
"$python" manage.py collectstatic --noinput --verbosity 0

if [ "${1:-}" = serve ]; then
    app_server
fi

say "migrating the database"
"$python" manage.py migrate --noinput --verbosity 0
# The demo prints its URLs and where its login is kept (an owner-only file, never the
# password itself); shown once the server answers, so the URL works when it appears.
demo_banner=$("$python" manage.py chorus_demo)
mail_banner=$("$python" manage.py shell --no-imports -c 'from chorus.consolemail import mail_banner; print(mail_banner())')

# Each child in its own process group (job control), so that Ctrl-C reaches only this
# script, which then stops each group once: the terminal's SIGINT and a TERM from here
# arriving together is what left granian waiting forever on a worker. Everything a child
# started (granian's worker processes, the task runner) is in the child's group.
set -m
groups=()
stop_all() {
    trap - INT TERM HUP EXIT
    [ ${#groups[@]} -gt 0 ] || return 0
    local group waited=0
    for group in "${groups[@]}"; do kill -TERM -- "-$group" 2>/dev/null || true; done
    while [ "$waited" -lt $((stop_grace * 10)) ]; do
        local alive=0
        for group in "${groups[@]}"; do kill -0 -- "-$group" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
        waited=$((waited + 1))
    done
    for group in "${groups[@]}"; do kill -KILL -- "-$group" 2>/dev/null || true; done
    wait 2>/dev/null || true
    say "stopped the worker and the server"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Two worker processes: the periodic loops (the count fold), and the job threads, which
# send mail on idle CPU only so a spike's signers come first (docs/architecture.md).
"$python" manage.py chorus_worker --only loops &
groups+=($!)
"$python" manage.py chorus_worker --only jobs --idle-cpu &
groups+=($!)
app_server &
server=$!
groups+=("$server")

# granian takes several seconds to load Django in each process; the URL is printed only
# once a request gets an answer.
until "$python" - "$PORT" <<'PY' 2>/dev/null; do
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=2)
except urllib.error.HTTPError:
    pass
PY
    if ! kill -0 "$server" 2>/dev/null; then
        say "the server stopped before it answered (see above)" >&2
        exit 1
    fi
    sleep 0.2
done
echo
echo "$demo_banner"
echo "$mail_banner"
echo
say "serving on http://127.0.0.1:$PORT/ with the worker (Ctrl-C stops both)"

# Whichever stops first (a crash, say) stops the other too.
status=0
wait -n || status=$?
exit "$status"
