"""The cluster and its drill (issue 13 items 1 and 3). Start it through bench/cluster.sh.

Every node is a network namespace on one bridge (chorus-br0), with its own address from
the benchmarking range 198.18.0.0/15 and no route out: haproxy in front of two granian
web nodes, two chorus_worker nodes, pgbouncer (transaction mode) in front of a
PostgreSQL 15 primary, a streaming replica made with pg_basebackup -R, Redis, an SMTP
sink, and a load node. bench/cluster.sh makes the network and deletes it; this module
runs inside the load node (`conduct`) and starts every other node's processes with
`ip netns exec`. The pure parts (addresses, configuration files, the drill's checks)
are functions with tests in tests/bench/test_cluster.py.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

SUBNET = "198.18.0"
PREFIX = 24
BRIDGE = "chorus-br0"
# name: the last octet of its address
NODES = {
    "lb": 10,
    "web1": 11,
    "web2": 12,
    "work1": 21,
    "work2": 22,
    "pg1": 31,
    "pg2": 32,
    "bouncer": 33,
    "redis": 41,
    "smtp": 51,
    "load": 100,
}
# Service ports inside a node; on loopback each node gets its own from 57400 instead.
PORTS = {"lb": 80, "web": 8000, "pg": 5432, "bouncer": 6432, "redis": 6379, "smtp": 2525}
LOOPBACK_PORTS = {
    "lb": 57400,
    "web1": 57401,
    "web2": 57402,
    "pg1": 57411,
    "pg2": 57412,
    "bouncer": 57413,
    "redis": 57421,
    "smtp": 57431,
}
DATABASE = "chorus_cluster"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
INSTANT_SLUG = "cluster-counts-at-once"
PG_SETTINGS = [
    "fsync = on",
    "synchronous_commit = on",
    "max_connections = 200",
    "shared_buffers = '256MB'",
    "wal_buffers = '16MB'",
    "max_wal_size = '2GB'",
    "work_mem = '8MB'",
    # Django sets the time zone on every new connection when the server's differs; behind
    # a transaction-mode pooler that SET would land on whichever server connection is free.
    "timezone = 'UTC'",
    "logging_collector = off",
]


# ---- Addresses and configuration (pure) --------------------------------------------------


@dataclass(frozen=True)
class Node:
    name: str
    address: str
    port: int = 0  # its service port (0: none)
    namespace: str = ""  # "" on loopback

    def run(self, command: list[str]) -> list[str]:
        """The command, run inside this node."""
        if not self.namespace:
            return command
        return ["ip", "netns", "exec", self.namespace, *command]


def topology(mode: str = "netns") -> dict[str, Node]:
    """Every node with its address and service port: namespaces, or loopback ports."""
    nodes = {}
    for name, octet in NODES.items():
        if mode == "netns":
            service = {"pg1": "pg", "pg2": "pg", "web1": "web", "web2": "web"}.get(name, name)
            nodes[name] = Node(name, f"{SUBNET}.{octet}", PORTS.get(service, 0), f"chorus-{name}")
        else:
            nodes[name] = Node(name, "127.0.0.1", LOOPBACK_PORTS.get(name, 0))
    return nodes


def haproxy_config(
    *, lb: Node, webs: list[Node], stats_socket: Path, check_ms: int = 300, timeout_ms: int = 600
) -> str:
    """haproxy in front of the web nodes: a dead node is out after two failed checks.

    A node killed outright refuses the check at once and is out within two intervals; one
    that hangs, within two intervals and two check timeouts (1.8 s). The timeout is not
    shorter because /healthz asks the database, and on a busy machine two slow answers in
    a row would take a healthy node out (a first run at 250 ms saw one fail). A
    connection refused by a dead node is retried on the other one (redispatch), never a
    request already sent: a signature is not idempotent.
    """
    servers = "\n".join(f"    server {web.name} {web.address}:{web.port} check" for web in webs)
    return f"""global
    maxconn 4096
    stats socket {stats_socket} mode 600 level admin

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout check {timeout_ms}ms
    retries 2
    option redispatch
    option forwardfor

frontend chorus
    bind {lb.address}:{lb.port}
    default_backend web

backend web
    balance roundrobin
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host {lb.address}
    http-check expect status 200
    default-server inter {check_ms}ms fastinter {check_ms}ms downinter {check_ms}ms fall 2 rise 2
{servers}
"""


def pgbouncer_config(
    *, bouncer: Node, primary: Node, auth_file: Path, pid_file: Path, pool_size: int = 40
) -> str:
    """pgbouncer in transaction mode in front of the primary (no prepared statements:
    Debian's 1.18 cannot keep them, so the nodes set DATABASE_PREPARE_THRESHOLD=none)."""
    return f"""[databases]
{DATABASE} = host={primary.address} port={primary.port} dbname={DATABASE}

[pgbouncer]
listen_addr = {bouncer.address}
listen_port = {bouncer.port}
unix_socket_dir =
auth_type = trust
auth_file = {auth_file}
pidfile = {pid_file}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits,options
server_reset_query =
log_connections = 0
log_disconnections = 0
"""


def node_env(
    base: dict, nodes: dict[str, Node], *, lease_seconds: int, batch: int, mark_every: int = 10
) -> dict:
    """What every web and worker node gets: the same environment, as docs/deploy.md says."""
    lb, bouncer, pg2 = nodes["lb"], nodes["bouncer"], nodes["pg2"]
    smtp, redis = nodes["smtp"], nodes["redis"]
    env = dict(base)
    env.update(
        DATABASE_URL=f"postgres://postgres@{bouncer.address}:{bouncer.port}/{DATABASE}",
        DATABASE_POOLER="pgbouncer-transaction",
        DATABASE_PREPARE_THRESHOLD="none",
        DATABASE_REPLICA_URL=f"postgres://postgres@{pg2.address}:{pg2.port}/{DATABASE}",
        REDIS_URL=f"redis://{redis.address}:{redis.port}/0",
        EMAIL_URL=f"smtp://{smtp.address}:{smtp.port}",
        BASE_URL=f"http://{lb.address}:{lb.port}",
        ALLOWED_HOSTS=f"{lb.address},{lb.address}:{lb.port}",
        TRUSTED_PROXIES="1",
        MAILING_LEASE_SECONDS=str(lease_seconds),
        MAILING_BATCH=str(batch),
        # Sent recipients marked done this many at a time (where the sending code groups
        # its marks): each one is in flight until its group is marked.
        MAILING_MARK_EVERY=str(mark_every),
        MAILING_RATE_PER_SECOND="0",
    )
    return env


# ---- The drill's measures and checks (pure) -------------------------------------------


@dataclass
class Fault:
    name: str
    started: float  # epoch seconds
    ended: float  # when the fault itself was over (the node back, the link up)
    victim_threads: int = 0  # worker threads that may each repeat their messages in flight


def recovery(
    series: list[tuple[float, bool]], fault: Fault, *, horizon: float, settle: float = 2.0
) -> dict:
    """Error rate while a fault lasted and the time to recover, from (time, ok) events.

    The baseline is the rate of good events in the five seconds before the fault.
    Recovered: the first second, once the fault itself is over, that starts `settle`
    seconds with no failure and at least half the baseline rate. The fault lasted from
    its start to that moment; its error rate is the share of failures in that window.
    """
    before = [ok for t, ok in series if fault.started - 5 <= t < fault.started]
    baseline = sum(before) / 5
    step = 0.5
    moment = max(fault.started, fault.ended)
    recovered = None
    while moment + settle <= horizon:
        window = [ok for t, ok in series if moment <= t < moment + settle]
        if all(window) and sum(window) >= 0.5 * baseline * settle:
            recovered = moment
            break
        moment += step
    end = recovered if recovered is not None else horizon
    during = [ok for t, ok in series if fault.started <= t < max(end, fault.started + 0.001)]
    failed = sum(1 for ok in during if not ok)
    return {
        "baseline_per_s": round(baseline, 1),
        "events": len(during),
        "failed": failed,
        "error_rate": round(failed / len(during), 4) if during else 0.0,
        "recovered_after_s": round(recovered - fault.started, 1)
        if recovered is not None
        else None,
    }


def mail_outcome(ledger: dict[str, str], received: Counter) -> dict:
    """Skipped and repeated recipients of a mailing, from its ledger and the sink.

    `ledger` maps each recipient's address to its ledger state; `received` counts the
    messages the SMTP sink got per address. Skipped: in the ledger, never received
    (whatever the ledger says). Repeats: messages beyond the first per address.
    """
    skipped = [address for address in ledger if received[address] == 0]
    repeats = sum(received[address] - 1 for address in ledger if received[address] > 1)
    return {
        "recipients": len(ledger),
        "done": sum(1 for state in ledger.values() if state == "done"),
        "skipped": len(skipped),
        "skipped_examples": sorted(skipped)[:5],
        "repeats": repeats,
        "strangers": sum(n for address, n in received.items() if address not in ledger),
    }


def repeats_allowed(faults: list[Fault], in_flight_per_thread: int = 1) -> int:
    """At most the messages in flight (sent, not yet marked done) per thread of each
    worker killed or cut off mid-send."""
    return sum(fault.victim_threads for fault in faults) * in_flight_per_thread


def last_line(*, lost: int, doubled: int, skipped: int, repeats: int, counts_equal: bool) -> str:
    counts = "equal" if counts_equal else "differ"
    return (
        f"drill: lost {lost}, doubled {doubled}, skipped {skipped}, repeats {repeats}, "
        f"counts {counts}"
    )


def checks(
    *, sign: dict, mail: dict, allowed_repeats: int, counted: int, recounted: int,
    web_out_after: float | None, mailing_sending: dict[str, bool],
) -> list[tuple[str, bool]]:  # fmt: skip
    """The drill's pass/fail list: every one must hold."""
    found = [
        (f"no accepted signature lost ({sign['lost']})", sign["lost"] == 0),
        (f"none doubled ({sign['doubled']})", sign["doubled"] == 0),
        (f"no mailing recipient skipped ({mail['skipped']})", mail["skipped"] == 0),
        (
            f"repeats {mail['repeats']} <= messages in flight at the kills ({allowed_repeats})",
            mail["repeats"] <= allowed_repeats,
        ),
        (f"counts equal to a recount ({counted} = {recounted})", counted == recounted),
        (
            f"haproxy took the killed web node out within 2 s ({web_out_after} s)",
            web_out_after is not None and web_out_after <= 2.0,
        ),
    ]
    for fault, sending in mailing_sending.items():
        found.append((f"the mailing was mid-send (recipients on lease) when {fault}", sending))
    return found


# ---- The cluster (runs inside the load node) -----------------------------------------------


def as_postgres(command: list[str]) -> list[str]:
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", *command]


class Cluster:
    def __init__(self, args, procs):
        import harness as h

        self.h = h
        self.args = args
        self.procs = procs
        self.nodes = topology(args.mode)
        self.work = Path(args.work)  # temporary: the databases (bench/cluster.sh deletes it)
        self.logs = procs.log_dir
        self.mail_log = self.work / "mail.log"
        n = self.nodes
        self.admin_url = f"postgres://postgres@{n['pg1'].address}:{n['pg1'].port}/postgres"
        self.primary_url = f"postgres://postgres@{n['pg1'].address}:{n['pg1'].port}/{DATABASE}"
        self.replica_url = f"postgres://postgres@{n['pg2'].address}:{n['pg2'].port}/{DATABASE}"
        self.base = f"http://{n['lb'].address}:{n['lb'].port}"
        self.stats_socket = self.work / "haproxy.sock"
        self.env = node_env(
            h.chorus_env(data_dir=self.work / "data", smtp_port=0),
            self.nodes,
            lease_seconds=args.lease_seconds,
            batch=args.batch,
            mark_every=args.mark_every,
        )

    # -- the parts, one by one

    def start(self) -> None:
        h = self.h
        self.work.chmod(0o755)
        h.say("PostgreSQL primary: initdb and start")
        self.primary_start()
        h.postgres_database_create(self.admin_url, DATABASE)
        h.say("PostgreSQL replica: pg_basebackup -R from the primary, then start")
        self.replica_make()
        self.replica_start()
        self.bouncer_start()
        self.redis_start()
        self.smtp_start()
        h.say("migrate, the demo petition and one that counts at once")
        direct = dict(self.env, DATABASE_URL=self.primary_url)
        h.manage(direct, "migrate", "--noinput")
        h.manage(direct, "chorus_demo")
        h.manage(direct, "collectstatic", "--noinput")
        h.chorus_ops(direct, "petition", "--slug", INSTANT_SLUG, "--no-confirmation")
        for name in ("web1", "web2"):
            self.web_start(name)
        for name in ("work1", "work2"):
            self.worker_start(name)
        self.haproxy_start()
        h.wait_http(f"{self.base}/p/{h.DEMO_SLUG}/count.json", timeout=90)
        self.replica_wait()

    def pg_data(self, name: str) -> Path:
        return self.work / name / "data"

    def pg_start(self, name: str) -> None:
        node = self.nodes[name]
        data = self.pg_data(name)
        command = as_postgres([
            str(PG_BIN / "postgres"), "-D", str(data),
            "-c", f"listen_addresses={node.address}", "-c", f"port={node.port}",
            "-c", f"unix_socket_directories={data.parent}",
        ])  # fmt: skip
        self.procs.start(name, node.run(command), dict(os.environ))
        self.wait_postgres(f"postgres://postgres@{node.address}:{node.port}/postgres")

    def wait_postgres(self, url: str, timeout: float = 60) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(url, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def primary_start(self) -> None:
        data = self.pg_data("pg1")
        data.parent.mkdir(parents=True)
        subprocess.run(["chown", "-R", "postgres:postgres", str(data.parent)], check=True)
        subprocess.run(
            as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres",
                         "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"]),
            check=True, capture_output=True,
        )  # fmt: skip
        with (data / "postgresql.conf").open("a") as conf:
            conf.write("\n".join(PG_SETTINGS) + "\n")
        # Only the bridge's own range; the nodes have no route anywhere else.
        network = f"{SUBNET}.0/{PREFIX}" if self.args.mode == "netns" else "127.0.0.1/32"
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {network} trust\nhost replication all {network} trust\n")
        self.pg_start("pg1")

    def replica_make(self) -> None:
        pg1, pg2 = self.nodes["pg1"], self.nodes["pg2"]
        data = self.pg_data("pg2")
        data.parent.mkdir(parents=True)
        subprocess.run(["chown", "-R", "postgres:postgres", str(data.parent)], check=True)
        subprocess.run(
            pg2.run(as_postgres([
                str(PG_BIN / "pg_basebackup"), "-h", pg1.address, "-p", str(pg1.port),
                "-U", "postgres", "-D", str(data), "-R", "-X", "stream", "-c", "fast",
            ])),
            check=True, capture_output=True,
        )  # fmt: skip

    def replica_start(self) -> None:
        self.pg_start("pg2")

    def replica_stop(self) -> None:
        """pg_ctl stop -m fast: the replica's clients are cut off at once."""
        subprocess.run(
            as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.pg_data("pg2")), "-m", "fast",
                         "-w", "-t", "30", "stop"]),
            check=True, capture_output=True,
        )  # fmt: skip
        self.procs.running.pop("pg2", None)

    def replica_lag_bytes(self) -> int | None:
        """WAL bytes the replica has still to replay (None: not streaming)."""
        rows = self.h.Db(self.admin_url).query(
            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn) FROM pg_stat_replication"
        )
        return int(rows[0][0]) if rows and rows[0][0] is not None else None

    def replica_wait(self, timeout: float = 60) -> float:
        """Seconds until the replica streams and has replayed everything but 1 MB."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            lag = self.replica_lag_bytes()
            if lag is not None and lag < 1024 * 1024:
                return time.monotonic() - started
            time.sleep(0.25)
        raise RuntimeError("the replica did not catch up")

    def bouncer_start(self) -> None:
        node = self.nodes["bouncer"]
        folder = self.work / "bouncer"
        folder.mkdir()
        auth = folder / "userlist.txt"
        auth.write_text('"postgres" ""\n')
        ini = folder / "pgbouncer.ini"
        ini.write_text(
            pgbouncer_config(
                bouncer=node, primary=self.nodes["pg1"], auth_file=auth,
                pid_file=folder / "pgbouncer.pid",
            )
        )  # fmt: skip
        subprocess.run(["chown", "-R", "postgres:postgres", str(folder)], check=True)
        self.procs.start(
            "bouncer", node.run(as_postgres(["pgbouncer", str(ini)])), dict(os.environ)
        )
        self.wait_postgres(f"postgres://postgres@{node.address}:{node.port}/{DATABASE}")

    def redis_start(self) -> None:
        node = self.nodes["redis"]
        command = ["redis-server", "--bind", node.address, "--port", str(node.port),
                   "--save", "", "--appendonly", "no", "--protected-mode", "no"]  # fmt: skip
        self.procs.start("redis", node.run(command), dict(os.environ))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((node.address, node.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("Redis did not start")

    def smtp_start(self) -> None:
        node = self.nodes["smtp"]
        sink = [self.h.PY, str(BENCH / "smtp_sink.py"), "--host", node.address,
                "--port", str(node.port), "--log", str(self.mail_log)]  # fmt: skip
        self.procs.start("smtp", node.run(sink), dict(os.environ))

    def web_start(self, name: str) -> None:
        node = self.nodes[name]
        server = self.h.Server("granian", self.args.web_workers, self.args.web_threads)
        command, cwd = server.command("chorus", node.port)
        command[command.index("--host") + 1] = node.address
        self.procs.start(name, node.run(command), self.env, cwd)

    def worker_start(self, name: str) -> None:
        command = [self.h.PY, "manage.py", "chorus_worker", "--threads", str(self.args.threads),
                   "--nice", "0"]  # fmt: skip
        self.procs.start(name, self.nodes[name].run(command), self.env)

    def haproxy_start(self) -> None:
        node = self.nodes["lb"]
        config = self.work / "haproxy.cfg"
        webs = [self.nodes["web1"], self.nodes["web2"]]
        config.write_text(haproxy_config(lb=node, webs=webs, stats_socket=self.stats_socket))
        self.procs.start("lb", node.run(["haproxy", "-db", "-f", str(config)]), dict(os.environ))

    def haproxy_states(self) -> dict[str, str]:
        """Each web server's state in haproxy (UP, DOWN, ...), from its stats socket."""
        with socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(2)
            conn.connect(str(self.stats_socket))
            conn.sendall(b"show stat\n")
            text = b""
            while chunk := conn.recv(65536):
                text += chunk
        states = {}
        for line in text.decode().splitlines():
            fields = line.split(",")
            if len(fields) > 17 and fields[0] == "web" and fields[1].startswith("web"):
                states[fields[1]] = fields[17]
        return states

    def kill(self, name: str) -> int:
        """kill -9 a node's whole process group; its pid."""
        process = self.procs.running.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        return process.pid

    def where(self) -> str:
        n = self.nodes
        lines = [
            f"  load balancer  {self.base}/  (haproxy; stats: echo 'show stat' | "
            f"socat - {self.stats_socket})",
            *(f"  web node       {n[w].namespace or '-'} {n[w].address}:{n[w].port}  granian"
              for w in ("web1", "web2")),
            *(f"  worker node    {n[w].namespace or '-'} {n[w].address}  chorus_worker"
              for w in ("work1", "work2")),
            f"  pgbouncer      {n['bouncer'].address}:{n['bouncer'].port}  (transaction mode)",
            f"  primary        {self.primary_url}",
            f"  replica        {self.replica_url}  (streaming, pg_basebackup -R)",
            f"  redis          redis://{n['redis'].address}:{n['redis'].port}/0",
            f"  smtp sink      {n['smtp'].address}:{n['smtp'].port}  (log {self.mail_log})",
            f"  load           {n['load'].namespace or '-'} {n['load'].address}",
            f"  logs           {self.logs}",
        ]  # fmt: skip
        if n["lb"].namespace:
            lines.append(f"  a shell on a node: ip netns exec {n['load'].namespace} bash")
        return "\n".join(lines)


# ---- Entry ---------------------------------------------------------------------------------


def conduct(args) -> int:
    import harness as h

    logs = h.ROOT / ".tmp/cluster/logs"
    logs.mkdir(parents=True, exist_ok=True)
    for old in logs.glob("*.log"):
        old.unlink()
    procs = h.Processes(logs)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        cluster = Cluster(args, procs)
        cluster.start()
        h.say(f"the cluster is up:\n{cluster.where()}")
        if args.drill:
            import cluster_drill

            return cluster_drill.run(cluster, args, stop)
        h.say(f"running for {args.seconds:g} s" if args.seconds else "running until Ctrl-C")
        stop.wait(args.seconds or None)
        return 0
    finally:
        h.say("stopping every node")
        # The way in first, the databases last: no node sees its database vanish first.
        for name in reversed(list(procs.running)):
            procs.stop(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["conduct", "nodes"])
    parser.add_argument("--mode", choices=["netns", "loopback"], default="netns")
    parser.add_argument("--work", help="a temporary directory for the databases")
    parser.add_argument("--seconds", type=float, default=0, help="0: until Ctrl-C")
    parser.add_argument("--drill", action="store_true")
    parser.add_argument("--web-workers", type=int, default=1, help="granian processes per node")
    parser.add_argument("--web-threads", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4, help="job threads per worker node")
    parser.add_argument("--lease-seconds", type=int, default=5, help="MAILING_LEASE_SECONDS")
    parser.add_argument("--batch", type=int, default=20, help="MAILING_BATCH")
    parser.add_argument("--mark-every", type=int, default=10, help="MAILING_MARK_EVERY")
    parser.add_argument("--clients", type=int, default=8, help="drill: wrk connections")
    # Slow enough that the workers keep up with the signatures' own jobs and send the
    # mailing beside them: job threads take ledger jobs first, so under a flat-out load
    # the mailing waits for the spike to pass (0: flat out).
    parser.add_argument("--sign-rate", type=float, default=60, help="drill: signatures/s")
    parser.add_argument("--members", type=int, default=40_000, help="drill: mailing size")
    parser.add_argument("--load-seconds", type=float, default=100, help="drill: the sign load")
    parser.add_argument("--drain-seconds", type=float, default=240)
    parser.add_argument("--command-line", default="bash bench/cluster.sh")
    args = parser.parse_args()
    if args.command == "nodes":
        # For bench/cluster.sh: one "namespace address" line per node.
        for node in topology("netns").values():
            print(node.namespace, f"{node.address}/{PREFIX}")
        return
    sys.exit(conduct(args))


if __name__ == "__main__":
    main()
