#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster and Redis server on loopback, for tests and benchmarks.
#
#   scripts/services.sh start   # initialise if needed, start both (safe to run again)
#   scripts/services.sh stop    # stop both (PostgreSQL with a fast shutdown)
#   scripts/services.sh env     # print export lines for DATABASE_URL and REDIS_URL
#   scripts/services.sh status
#   scripts/services.sh pgbouncer start|stop   # only the PgBouncer (see PGBOUNCER_PORT)
#
# Settings, from the environment:
#   CHORUS_SERVICES_DIR  where data, sockets, pid files and logs live (default .tmp/services)
#   PG_PORT              PostgreSQL port on 127.0.0.1 (default 55432)
#   REDIS_PORT           Redis port on 127.0.0.1 (default 56379)
#   PG_BIN               PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
#   PGBOUNCER_PORT       when set, `start` also starts a PgBouncer in transaction mode on
#                        this port in front of the PostgreSQL on PG_PORT, and `env` prints
#                        its address as PGBOUNCER_URL (for DATABASE_POOLER, docs/deploy.md)
#
# initdb refuses to run as root, so as root the cluster belongs to the `postgres`
# user and its commands run through runuser; as anyone else they run as that user.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
services_dir=${CHORUS_SERVICES_DIR:-.tmp/services}
mkdir -p "$services_dir"
services_dir=$(cd "$services_dir" && pwd)
pg_dir=$services_dir/postgres
redis_dir=$services_dir/redis
pgbouncer_dir=$services_dir/pgbouncer
if [ -L "$pg_dir" ]; then
    pg_dir=$(readlink -f "$pg_dir")
fi

say() { echo "services: $*" >&2; }

as_postgres() {
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# The cluster's directory must be reachable by the postgres user. A checkout under a
# private home directory (/root is mode 700) is not, so then the cluster lives in a
# directory under /tmp, $pg_dir is a symbolic link to it, and the commands are given the
# real path.
pg_dir_prepare() {
    pg_dir=$(postgres_dir_prepare "$pg_dir")
}

# Makes the directory $1 for the postgres user (as root) and prints its real path.
postgres_dir_prepare() {
    local dir=$1
    if [ -e "$dir" ]; then
        readlink -f "$dir"
        return
    fi
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown postgres:postgres "$dir"
        chmod 700 "$dir"
        if ! runuser -u postgres -- test -w "$dir"; then
            rmdir "$dir"
            local outside
            outside=$(mktemp -d /tmp/chorus-postgres.XXXXXX)
            chown postgres:postgres "$outside"
            chmod 700 "$outside"
            ln -s "$outside" "$dir"
            dir=$outside
            say "the postgres user cannot reach $services_dir; $(basename "$1") kept in $outside"
        fi
    fi
    echo "$dir"
}

pg_running() {
    [ -f "$pg_dir/data/PG_VERSION" ] && as_postgres "$PG_BIN/pg_ctl" -D "$pg_dir/data" status >/dev/null 2>&1
}

pg_start() {
    if [ ! -x "$PG_BIN/initdb" ]; then
        say "no PostgreSQL in $PG_BIN (run: make setup)"
        exit 1
    fi
    # A freshly made root file system (a chroot or container built in a private temporary
    # directory) can leave / at mode 700, which shuts every other user out of the whole
    # system. A normal / is 755; as root, restore that rather than fail.
    if [ "$(id -u)" = 0 ] && [ $((0$(stat -c %a /) & 5)) -ne 5 ]; then
        say "/ is mode $(stat -c %a /), closed to other users; setting it to the usual 755"
        chmod 755 /
    fi
    if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$PG_BIN/initdb" 2>/dev/null; then
        say "the postgres user cannot run $PG_BIN/initdb; is / or /usr closed to other users?"
        say "(/ is mode $(stat -c %a /); a normal root directory is 755)"
        exit 1
    fi
    pg_dir_prepare
    if [ ! -f "$pg_dir/data/PG_VERSION" ]; then
        say "initialising PostgreSQL cluster in $pg_dir/data"
        as_postgres "$PG_BIN/initdb" -D "$pg_dir/data" -U postgres --auth=trust \
            --encoding=UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 || {
            cat "$pg_dir/initdb.log" >&2
            exit 1
        }
        # Tuned for a test and benchmark machine, not for safety of data: the cluster is
        # thrown away. fsync stays on so benchmarks measure durable commits.
        cat >>"$pg_dir/data/postgresql.conf" <<'EOF'

# Added by scripts/services.sh
fsync = on
synchronous_commit = on
max_connections = 300
shared_buffers = 256MB
logging_collector = off
EOF
        as_postgres mkdir -p "$pg_dir/run"
    fi
    if pg_running; then
        say "PostgreSQL already running ($pg_dir/data)"
    else
        say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
        as_postgres "$PG_BIN/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$pg_dir/run" \
            start >/dev/null || {
            tail -n 30 "$pg_dir/postgres.log" >&2
            exit 1
        }
    fi
    local psql=("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atq)
    if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = 'chorus'")" != 1 ]; then
        "${psql[@]}" -c "CREATE DATABASE chorus"
    fi
}

pg_stop() {
    if pg_running; then
        say "stopping PostgreSQL"
        as_postgres "$PG_BIN/pg_ctl" -D "$pg_dir/data" -m fast -w -t 60 stop >/dev/null
    fi
}

redis_pid() {
    local pid
    pid=$(cat "$redis_dir/redis.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

redis_start() {
    mkdir -p "$redis_dir"
    if redis_pid >/dev/null; then
        say "Redis already running ($redis_dir)"
        return
    fi
    say "starting Redis on 127.0.0.1:$REDIS_PORT"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
        --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log" --dir "$redis_dir" \
        --save "" --appendonly no
    for _ in $(seq 100); do
        if redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
            return
        fi
        sleep 0.1
    done
    say "Redis did not answer on port $REDIS_PORT"
    tail -n 20 "$redis_dir/redis.log" >&2
    exit 1
}

# Ask a server to stop (TERM), give it ten seconds, then kill it.
pid_stop() {
    local pid=$1 label=$2
    say "stopping $label"
    kill "$pid"
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}

redis_stop() {
    local pid
    if pid=$(redis_pid); then
        pid_stop "$pid" Redis
    fi
}

# PgBouncer in transaction mode, as production runs it in front of the primary: every
# database name goes to the PostgreSQL on PG_PORT (the test database too), users are
# trusted as that cluster trusts them, and server connections are set to UTC so Django
# never needs its own SET TIME ZONE. Like PostgreSQL it refuses to run as root.
pgbouncer_pid() {
    local pid
    pid=$(cat "$pgbouncer_dir/pgbouncer.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

pgbouncer_start() {
    if ! command -v pgbouncer >/dev/null; then
        say "no pgbouncer (run: make setup)"
        exit 1
    fi
    pgbouncer_dir=$(postgres_dir_prepare "$pgbouncer_dir")
    if pgbouncer_pid >/dev/null; then
        say "PgBouncer already running ($pgbouncer_dir)"
        return
    fi
    as_postgres tee "$pgbouncer_dir/pgbouncer.ini" >/dev/null <<EOF
[databases]
* = host=127.0.0.1 port=$PG_PORT timezone=UTC

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $pgbouncer_dir/users.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
server_reset_query =
ignore_startup_parameters = extra_float_digits
admin_users = postgres
logfile = $pgbouncer_dir/pgbouncer.log
pidfile = $pgbouncer_dir/pgbouncer.pid
EOF
    echo '"postgres" ""' | as_postgres tee "$pgbouncer_dir/users.txt" >/dev/null
    say "starting PgBouncer (transaction mode) on 127.0.0.1:$PGBOUNCER_PORT"
    as_postgres pgbouncer -d -q "$pgbouncer_dir/pgbouncer.ini" || {
        tail -n 20 "$pgbouncer_dir/pgbouncer.log" >&2
        exit 1
    }
    for _ in $(seq 100); do
        if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PGBOUNCER_PORT"; then
            return
        fi
        sleep 0.1
    done
    say "PgBouncer did not answer on port $PGBOUNCER_PORT"
    tail -n 20 "$pgbouncer_dir/pgbouncer.log" >&2
    exit 1
}

pgbouncer_stop() {
    local pid
    if pid=$(pgbouncer_pid); then
        pid_stop "$pid" PgBouncer
    fi
}

print_env() {
    echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/chorus"
    echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
    if [ -n "${PGBOUNCER_PORT:-}" ]; then
        echo "export PGBOUNCER_URL=postgres://postgres@127.0.0.1:$PGBOUNCER_PORT/chorus"
    fi
}

case "${1:-}" in
start)
    pg_start
    redis_start
    if [ -n "${PGBOUNCER_PORT:-}" ]; then
        pgbouncer_start
    fi
    ;;
stop)
    pgbouncer_stop
    pg_stop
    redis_stop
    ;;
env) print_env ;;
status)
    pg_running && echo "postgres: running on 127.0.0.1:$PG_PORT" || echo "postgres: stopped"
    redis_pid >/dev/null && echo "redis: running on 127.0.0.1:$REDIS_PORT" || echo "redis: stopped"
    pgbouncer_pid >/dev/null && echo "pgbouncer: running" || echo "pgbouncer: stopped"
    ;;
pgbouncer)
    case "${2:-}" in
    start)
        if [ -z "${PGBOUNCER_PORT:-}" ]; then
            say "set PGBOUNCER_PORT"
            exit 2
        fi
        pgbouncer_start
        ;;
    stop) pgbouncer_stop ;;
    *)
        echo "usage: $0 pgbouncer start|stop" >&2
        exit 2
        ;;
    esac
    ;;
*)
    echo "usage: $0 start|stop|env|status|pgbouncer start|stop" >&2
    exit 2
    ;;
esac
