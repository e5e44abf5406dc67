# Sourced by bench/run.sh and bench/drill.sh: a throwaway PostgreSQL 15 and Redis for one
# run, tuned for this box but durable (fsync and synchronous_commit on), then deleted.
# Uses scripts/services.sh when it exists; otherwise starts them itself.
# Needs CHORUS_SERVICES_DIR, PG_PORT and REDIS_PORT; exports BENCH_PG_ADMIN_URL, BENCH_REDIS_URL.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

bench_as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bench_pg_data() {
    local dir="$CHORUS_SERVICES_DIR/postgres"
    [ -L "$dir" ] && dir=$(readlink -f "$dir")
    echo "$dir/data"
}

# Sized for 2 cores and a few GB to spare; every commit still reaches the disk.
BENCH_PG_SETTINGS=(
    "fsync = on" "synchronous_commit = on" "full_page_writes = on"
    "max_connections = 300" "shared_buffers = '512MB'" "effective_cache_size = '2GB'"
    "wal_buffers = '16MB'" "max_wal_size = '4GB'" "checkpoint_timeout = '15min'"
    "work_mem = '8MB'" "maintenance_work_mem = '128MB'"
)

bench_services_start() {
    rm -rf "$CHORUS_SERVICES_DIR"
    mkdir -p "$CHORUS_SERVICES_DIR"
    if [ -x scripts/services.sh ] || [ -f scripts/services.sh ]; then
        bash scripts/services.sh start
        local data
        data=$(bench_pg_data)
        printf '%s\n' "${BENCH_PG_SETTINGS[@]}" | bench_as_postgres tee -a "$data/postgresql.conf" >/dev/null
        bash scripts/services.sh stop >/dev/null 2>&1 || true
        bash scripts/services.sh start
    else
        bench_own_services_start
    fi
    export BENCH_PG_ADMIN_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    export BENCH_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
    echo "services: PostgreSQL on 127.0.0.1:$PG_PORT ($(bench_pg_data)), Redis on 127.0.0.1:$REDIS_PORT" >&2
}

bench_own_services_start() {
    local pg_dir
    pg_dir=$(mktemp -d /tmp/chorus-bench-pg.XXXXXX)
    chown postgres:postgres "$pg_dir" 2>/dev/null || true
    ln -s "$pg_dir" "$CHORUS_SERVICES_DIR/postgres"
    bench_as_postgres "$PG_BIN/initdb" -D "$pg_dir/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log"
    printf '%s\n' "${BENCH_PG_SETTINGS[@]}" "logging_collector = off" |
        bench_as_postgres tee -a "$pg_dir/data/postgresql.conf" >/dev/null
    bench_pg_ctl start
    mkdir -p "$CHORUS_SERVICES_DIR/redis"
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save "" \
        --appendonly no --pidfile "$(pwd)/$CHORUS_SERVICES_DIR/redis/redis.pid" \
        --logfile "$(pwd)/$CHORUS_SERVICES_DIR/redis/redis.log"
    for _ in $(seq 50); do
        redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return
        sleep 0.1
    done
}

# pg_ctl on the bench cluster: start | stop (fast) | kill (immediate, for the drill)
bench_pg_ctl() {
    local data
    data=$(bench_pg_data)
    case "$1" in
    start)
        bench_as_postgres "$PG_BIN/pg_ctl" -D "$data" -l "$data/../postgres.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=/tmp" \
            start >/dev/null ;;
    stop) bench_as_postgres "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null ;;
    kill) bench_as_postgres "$PG_BIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null ;;
    esac
}

bench_services_stop() {
    [ -d "$CHORUS_SERVICES_DIR" ] || return 0
    local data pg_real
    data=$(bench_pg_data)
    pg_real=$(dirname "$data")
    if [ -f scripts/services.sh ]; then
        bash scripts/services.sh stop >/dev/null 2>&1 || true
    fi
    if [ -f "$data/postmaster.pid" ]; then
        bench_as_postgres "$PG_BIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    local pidfile="$CHORUS_SERVICES_DIR/redis/redis.pid" pid
    if [ -f "$pidfile" ] && pid=$(cat "$pidfile") && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    case "$pg_real" in /tmp/chorus-*) rm -rf "$pg_real" ;; esac
    rm -rf "$CHORUS_SERVICES_DIR"
    echo "services: stopped and deleted" >&2
}
