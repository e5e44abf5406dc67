#!/usr/bin/env bash
# `make run` and `make serve`.
#
#   scripts/run.sh         the laptop demo: prepare (.env, static files, migrations, demo
#                          petition and login), then run the background worker and the
#                          application server until Ctrl-C
#   scripts/run.sh serve   the application server only (granian, as in production); it
#                          migrates nothing and loads no demo data (docs/deploy.md)
#
# Both run with DEBUG off and bind 127.0.0.1:${PORT:-8000}. Settings come from the
# environment first, then from .env (see .env.example).
set -euo pipefail
cd "$(dirname "$0")/.."

python=.venv/bin/python
export PORT=${PORT:-8000}
export DEBUG=false

# A git-ignored .env with secrets generated once; an existing one is never touched.
env_file_ensure() {
    [ -e .env ] && return
    local secret_key ip_hash_key
    secret_key=$("$python" -c 'import secrets; print(secrets.token_urlsafe(50))')
    ip_hash_key=$("$python" -c 'import secrets; print(secrets.token_urlsafe(32))')
    (
        umask 077
        cat >.env <<EOF
# Written once by \`make run\` on $(date -u +%Y-%m-%d). Never commit this file.
# Every setting Chorus reads is listed in .env.example; the environment wins over this file.
SECRET_KEY=$secret_key
IP_HASH_KEY=$ip_hash_key
EOF
    )
    echo "run: wrote .env with a new SECRET_KEY and IP_HASH_KEY"
}

# Links in emails are built from BASE_URL; follow PORT unless BASE_URL is set somewhere.
base_url_default() {
    if [ -z "${BASE_URL:-}" ] && ! grep -q '^BASE_URL=' .env 2>/dev/null; then
        export BASE_URL=http://127.0.0.1:$PORT
    fi
}

# granian, WSGI: one process per core with a pool of threads each, the way bench/ measured
# best on 2 cores (docs/benchmarks.md); a killed worker process is started again.
app_server() {
    .venv/bin/granian --interface wsgi --host 127.0.0.1 --port "$PORT" \
        --workers "${WEB_CONCURRENCY:-$(nproc)}" --blocking-threads "${WEB_THREADS:-8}" \
        --no-ws --respawn-failed-workers --respawn-interval 1 \
        --log-level "${SERVER_LOG_LEVEL:-error}" chorus.wsgi:application
}

serve() {
    app_server
    exit
}

env_file_ensure
base_url_default
"$python" manage.py collectstatic --noinput --verbosity 0

if [ "${1:-}" = serve ]; then
    serve
fi

echo "run: migrating the database"
"$python" manage.py migrate --noinput --verbosity 0
echo
# The demo prints where its login is kept (an owner-only file), never the password itself.
"$python" manage.py chorus_demo
echo

pids=()
stop_all() {
    trap - INT TERM EXIT
    if [ ${#pids[@]} -gt 0 ]; then
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
    fi
}
trap stop_all EXIT
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM

"$python" manage.py chorus_worker &
pids+=($!)
app_server &
pids+=($!)
echo "run: worker and server started; serving on http://127.0.0.1:$PORT/ (Ctrl-C stops both)"

# Whichever stops first (a crash, say) stops the other too.
status=0
wait -n || status=$?
exit "$status"
