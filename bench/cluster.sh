#!/usr/bin/env bash
# The cluster (issue 13): every node a network namespace on one bridge (chorus-br0) with
# an address from 198.18.0.0/24 and no route out. haproxy, two granian web nodes, two
# chorus_worker nodes, pgbouncer (transaction mode), a PostgreSQL 15 primary and its
# streaming replica, Redis, an SMTP sink and a load node. See bench/cluster.py.
#
#   bash bench/cluster.sh                 # start, print where everything is, wait for Ctrl-C
#   bash bench/cluster.sh --seconds 60    # ... or for a minute
#   bash bench/cluster.sh --drill         # the fault drill, about 6 minutes (docs/benchmarks.md)
#   bash bench/cluster.sh --drill --clients 8 --members 10000 --load-seconds 90
#
# Everything it starts, it stops, and it deletes the namespaces, the bridge and its
# temporary directory, on success, failure and Ctrl-C. Takes /tmp/chorus-bench.lock so
# benchmarks never overlap. Where namespaces cannot be made (no root), each node is a
# process group on its own loopback port (57400-57499) instead; CHORUS_CLUSTER_LOOPBACK=1
# asks for that.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${CHORUS_BENCH_LOCKED:-}" ]; then
    CHORUS_BENCH_LOCKED=1 exec flock /tmp/chorus-bench.lock bash "$0" "$@"
fi
PY=${PY:-.venv/bin/python}
command_line="${CHORUS_CLUSTER_LOOPBACK:+CHORUS_CLUSTER_LOOPBACK=1 }bash bench/cluster.sh $*"
for tool in haproxy pgbouncer wrk; do
    command -v "$tool" >/dev/null || apt-get install -y "$tool" >/dev/null
done

# A hard bound on the whole run: the drill's own steps have deadlines; this catches the rest.
limit=0
previous=""
for arg in "$@"; do
    [ "$arg" = "--drill" ] && limit=900
    [ "$previous" = "--seconds" ] && limit=$((${arg%.*} + 300))
    previous="$arg"
done

work=$(mktemp -d /tmp/chorus-cluster.XXXXXX)
conductor=""
made=()

network_down() {
    local ns
    for ns in "${made[@]}"; do
        # Whatever still runs in a node dies with it: only this script's processes are there.
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    ip link del "$BRIDGE" 2>/dev/null || true
    made=()
}

cleanup() {
    status=$?
    # A second Ctrl-C (or timeout's signal to its whole group) must not cut the cleanup short.
    trap - EXIT
    trap '' INT TERM
    if [ -n "$conductor" ] && kill -0 "$conductor" 2>/dev/null; then
        kill -TERM "$conductor" 2>/dev/null || true
        wait "$conductor" 2>/dev/null || true
    fi
    [ -n "${BRIDGE:-}" ] && network_down
    local verdict=""
    [ -f "$work/last-line" ] && verdict=$(cat "$work/last-line")
    rm -rf "$work"
    echo "cluster: stopped; namespaces, bridge and $work deleted" >&2
    # The drill's verdict is the last line, after everything it started has stopped.
    [ -z "$verdict" ] || echo "$verdict"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

BRIDGE=chorus-br0
network_up() {
    # A previous run killed outright (kill -9, power) may have left ours behind.
    ip link del "$BRIDGE" 2>/dev/null || true
    ip link add "$BRIDGE" type bridge || return 1
    ip link set "$BRIDGE" up || return 1
    local ns address name
    while read -r ns address; do
        ip netns del "$ns" 2>/dev/null || true
        ip netns add "$ns" || return 1
        made+=("$ns")
        name=cb-${ns#chorus-}
        ip link add "$name" type veth peer name eth0 netns "$ns" || return 1
        ip link set "$name" master "$BRIDGE" up || return 1
        ip -n "$ns" addr add "$address" dev eth0 || return 1
        ip -n "$ns" link set lo up || return 1
        ip -n "$ns" link set eth0 up || return 1
    done < <("$PY" bench/cluster.py nodes)
}

timeout_command=(timeout --signal=TERM --kill-after=60 "$limit")
if [ -z "${CHORUS_CLUSTER_LOOPBACK:-}" ] && network_up; then
    echo "cluster: ${#made[@]} namespaces on $BRIDGE, work directory $work" >&2
    ip netns exec chorus-load "${timeout_command[@]}" "$PY" bench/cluster.py conduct \
        --mode netns --work "$work" --command-line "$command_line" "$@" &
else
    echo "cluster: network namespaces cannot be made here; nodes on loopback ports 57400-57499" >&2
    network_down
    "${timeout_command[@]}" "$PY" bench/cluster.py conduct \
        --mode loopback --work "$work" --command-line "$command_line" "$@" &
fi
conductor=$!
wait "$conductor"
