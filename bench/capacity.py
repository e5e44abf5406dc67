"""The capacity benchmark: `bash bench/run.sh --only capacity` (issue 13, the capacity model).

On the throwaway PostgreSQL and Redis that bench/run.sh starts, it runs Chorus the way the
load benchmark does (granian, DEBUG off, a `chorus_worker --only loops` for the count fold)
and measures what each unit of work costs, from /proc/<pid>/stat (user + system time of
every process of a tier, its reaped children included) sampled before and after a phase:

  page      the cached public petition page under wrk: web CPU per view
  sign      a sign load of fixed length, then the fold catching up: web, PostgreSQL and
            fold CPU per signature, WAL bytes per signature
  confirm   the confirmation emails of those signatures, held back until two job workers
            are up, then sent to the SMTP sink: worker and PostgreSQL CPU, WAL per email
  mailing   one personalised mailing to N seeded members, sent by two chorus_worker
            processes to the sink (as bench/mail.py does): worker and PostgreSQL CPU and
            WAL per email

Throughout, a sampler counts each web and worker process's connections to PostgreSQL
(open, and busy in pg_stat_activity). It prints a table, how to reproduce it, and last:

    capacity: web <s> ms CPU/signature, pg <s> ms CPU/signature, worker <s> ms CPU/email,
    page <s> ms CPU/view, wal <n> bytes/signature

`python bench/capacity.py model [results.json]` turns a run's figures into the sizing table
of docs/deploy.md ("Capacity model"): cores and connections for a signature rate and for a
mailing. The arithmetic lives in plain functions (tests/bench/test_capacity.py).
"""

import argparse
import json
import math
import os
import signal
import sys
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent

CHORUS_PORT = 18481
SMTP_PORT = 18483
TCP_LISTEN = "0A"
TCP_ESTABLISHED = "01"


# ---- /proc arithmetic (pure, tested) ------------------------------------------------------


def stat_fields(stat_text: str) -> tuple[int, int, int]:
    """(parent pid, own ticks, reaped children's ticks) from a /proc/<pid>/stat line.

    The command name may hold spaces and parentheses, so split after its last ")".
    """
    fields = stat_text.rsplit(")", 1)[1].split()
    # After the name: state ppid ... utime(11) stime(12) cutime(13) cstime(14)
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def tree_ticks(table: dict[int, tuple[int, int, int]], root: int) -> int:
    """CPU ticks of a process and every descendant, live or already exited.

    An exited child's time moves into its parent's reaped ticks when the parent waits for
    it, so the sum only grows: PostgreSQL backends that come and go during a phase are
    counted whole.
    """
    kids = defaultdict(list)
    for pid, (ppid, _, _) in table.items():
        kids[ppid].append(pid)
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen or pid not in table:
            continue
        seen.add(pid)
        _, own, reaped = table[pid]
        total += own + reaped
        stack.extend(kids[pid])
    return total


def tree_pids(table: dict[int, tuple[int, int, int]], root: int) -> list[int]:
    kids = defaultdict(list)
    for pid, (ppid, _, _) in table.items():
        kids[ppid].append(pid)
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        if pid in table and pid not in found:
            found.append(pid)
            stack.extend(kids[pid])
    return sorted(found)


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds each tier used between two samples (a tier new in `after` from zero)."""
    return {tier: round(after[tier] - before.get(tier, 0.0), 3) for tier in after}


def ms_per_unit(seconds: float, units: int) -> float | None:
    return round(1000 * seconds / units, 4) if units else None


def tcp_sockets(proc_net_tcp: str) -> list[tuple[int, int, str, int]]:
    """(local port, remote port, state, inode) for each line of /proc/net/tcp."""
    sockets = []
    for line in proc_net_tcp.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        remote_port = int(fields[2].rsplit(":", 1)[1], 16)
        sockets.append((local_port, remote_port, fields[3], int(fields[9])))
    return sockets


def client_ports_by_pid(
    sockets: list[tuple[int, int, str, int]], inodes_by_pid: dict[int, set[int]], server_port: int
) -> dict[int, set[int]]:
    """For each process, the local ports of its established connections to `server_port`."""
    port_by_inode = {
        inode: local
        for local, remote, state, inode in sockets
        if remote == server_port and state == TCP_ESTABLISHED
    }
    return {
        pid: {port_by_inode[i] for i in inodes if i in port_by_inode}
        for pid, inodes in inodes_by_pid.items()
    }


# ---- The sizing model (pure, tested) -------------------------------------------------------


@dataclass(frozen=True)
class Costs:
    """Measured cost of one unit of work, CPU in milliseconds (one core for 1 ms = 1)."""

    web_ms_per_signature: float
    pg_ms_per_signature: float  # the sign statement and the fold's share
    fold_ms_per_signature: float  # the loops worker
    page_ms_per_view: float
    wal_bytes_per_signature: float
    confirm_worker_ms: float  # one confirmation email
    confirm_pg_ms: float
    confirm_wal_bytes: float
    mail_worker_ms: float  # one mailing email
    mail_pg_ms: float
    mail_wal_bytes: float
    busy_seconds_per_signature: float  # a connection held busy (Little's law)
    busy_seconds_per_confirmation: float
    busy_seconds_per_email: float
    connections_per_web_process: int  # peak open, measured
    connections_per_worker_process: int


def cores(rate: float, ms_each: float, utilisation: float) -> float:
    """Cores to do `rate` units a second at `ms_each` of CPU each, kept at `utilisation`."""
    if not 0 < utilisation <= 1:
        raise ValueError("utilisation is a share of a core: above 0, at most 1")
    return rate * ms_each / 1000 / utilisation


def signature_sizing(
    costs: Costs, rate: float, *, page_views: float, utilisation: float, confirm: bool = True
) -> dict:
    """Cores, connections and WAL for `rate` signatures a second.

    Each signature comes with `page_views` views of the cached page served by the web tier
    (none behind a CDN) and, when `confirm`, one confirmation email sent at the same rate.
    One web process per web core, as `make serve` runs granian.
    """
    web_ms = costs.web_ms_per_signature + page_views * costs.page_ms_per_view
    pg_ms = costs.pg_ms_per_signature + (costs.confirm_pg_ms if confirm else 0)
    worker_ms = costs.fold_ms_per_signature + (costs.confirm_worker_ms if confirm else 0)
    wal = costs.wal_bytes_per_signature + (costs.confirm_wal_bytes if confirm else 0)
    web_cores = cores(rate, web_ms, utilisation)
    worker_cores = cores(rate, worker_ms, utilisation)
    web_processes = math.ceil(web_cores)
    worker_processes = max(2, math.ceil(worker_cores))  # two for redundancy
    busy = rate * (
        costs.busy_seconds_per_signature + (costs.busy_seconds_per_confirmation if confirm else 0)
    )
    return {
        "rate": rate,
        "web_cores": round(web_cores, 1),
        "pg_cores": round(cores(rate, pg_ms, utilisation), 1),
        "worker_cores": round(worker_cores, 1),
        "fold_share_of_a_core": round(rate * costs.fold_ms_per_signature / 1000, 2),
        "wal_mb_per_s": round(rate * wal / 1e6, 1),
        "web_processes": web_processes,
        "worker_processes": worker_processes,
        "client_connections": web_processes * costs.connections_per_web_process
        + worker_processes * costs.connections_per_worker_process,
        "busy_connections": math.ceil(busy / utilisation),
    }


def mailing_sizing(costs: Costs, members: int, seconds: float, *, utilisation: float) -> dict:
    """Cores, connections and WAL to send one email to each of `members` in `seconds`."""
    rate = members / seconds
    worker_cores = cores(rate, costs.mail_worker_ms, utilisation)
    worker_processes = max(2, math.ceil(worker_cores))
    return {
        "rate": round(rate),
        "worker_cores": round(worker_cores, 1),
        "pg_cores": round(cores(rate, costs.mail_pg_ms, utilisation), 1),
        "wal_mb_per_s": round(rate * costs.mail_wal_bytes / 1e6, 1),
        "worker_processes": worker_processes,
        "client_connections": worker_processes * costs.connections_per_worker_process,
        "busy_connections": math.ceil(rate * costs.busy_seconds_per_email / utilisation),
    }


def costs_from(results: dict) -> Costs:
    """The per-unit costs out of one run's results (bench/results/*-capacity.json)."""
    sign, confirm, mail, page = (results[k] for k in ("sign", "confirm", "mailing", "page"))
    return Costs(
        web_ms_per_signature=sign["ms_per_unit"]["web"],
        pg_ms_per_signature=sign["ms_per_unit"]["postgresql"],
        fold_ms_per_signature=sign["ms_per_unit"]["workers"],
        page_ms_per_view=page["ms_per_unit"]["web"],
        wal_bytes_per_signature=sign["wal_bytes_per_unit"],
        confirm_worker_ms=confirm["ms_per_unit"]["workers"],
        confirm_pg_ms=confirm["ms_per_unit"]["postgresql"],
        confirm_wal_bytes=confirm["wal_bytes_per_unit"],
        mail_worker_ms=mail["ms_per_unit"]["workers"],
        mail_pg_ms=mail["ms_per_unit"]["postgresql"],
        mail_wal_bytes=mail["wal_bytes_per_unit"],
        busy_seconds_per_signature=sign["busy_seconds_per_unit"],
        busy_seconds_per_confirmation=confirm["busy_seconds_per_unit"],
        busy_seconds_per_email=mail["busy_seconds_per_unit"],
        connections_per_web_process=max(1, sign["connections"]["web"]["peak_open_per_process"]),
        connections_per_worker_process=max(
            1,
            confirm["connections"]["workers"]["peak_open_per_process"],
            mail["connections"]["workers"]["peak_open_per_process"],
        ),
    )


def costs_highest(runs: list[Costs]) -> Costs:
    """Each cost at its highest over several runs: on a shared machine the figures move
    with the load, and a model for sizing should err on the large side."""
    fields = asdict(runs[0])
    return Costs(**{name: max(getattr(run, name) for run in runs) for name in fields})


# ---- Reading /proc ------------------------------------------------------------------------


def process_table() -> dict[int, tuple[int, int, int]]:
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            table[int(stat.parent.name)] = stat_fields(stat.read_text())
        except (OSError, ValueError, IndexError):
            continue  # exited while we looked
    return table


def socket_inodes(pid: int) -> set[int]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    except OSError:
        pass
    return inodes


def listening_pid(port: int) -> int:
    """The process that listens on a TCP port on this machine (PostgreSQL's postmaster)."""
    listening = {
        inode
        for local, _, state, inode in tcp_sockets(Path("/proc/net/tcp").read_text())
        if local == port and state == TCP_LISTEN
    }
    for proc in Path("/proc").glob("[0-9]*"):
        if socket_inodes(int(proc.name)) & listening:
            return int(proc.name)
    raise RuntimeError(f"nothing listens on port {port}")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Tiers:
    """Named groups of process trees, sampled for CPU seconds."""

    def __init__(self):
        self.roots: dict[str, list[int]] = defaultdict(list)

    def add(self, tier: str, pid: int) -> None:
        self.roots[tier].append(pid)

    def remove(self, tier: str, pid: int) -> None:
        if pid in self.roots[tier]:
            self.roots[tier].remove(pid)

    def sample(self) -> dict[str, float]:
        table = process_table()
        ticks = os.sysconf("SC_CLK_TCK")
        return {
            tier: sum(tree_ticks(table, root) for root in roots) / ticks
            for tier, roots in self.roots.items()
        }

    def processes(self, tier: str) -> list[int]:
        """The processes that do the tier's work: for granian its workers, not the parent."""
        table = process_table()
        pids = []
        for root in self.roots[tier]:
            tree = tree_pids(table, root)
            pids.extend(p for p in tree if p != root or len(tree) == 1)
        return pids


class ConnectionSampler(threading.Thread):
    """Twice a second: each web and worker process's connections to PostgreSQL, open and
    busy (not idle in pg_stat_activity). Keeps the peaks and the mean of busy ones."""

    def __init__(self, tiers: Tiers, admin_url: str, pg_port: int, database: str):
        super().__init__(daemon=True)
        self.tiers = tiers
        self.admin_url = admin_url
        self.pg_port = pg_port
        self.database = database
        self.stopping = threading.Event()
        self.reset()

    def reset(self) -> None:
        self.peak_open: dict[str, int] = defaultdict(int)
        self.peak_busy: dict[str, int] = defaultdict(int)
        self.busy_total: dict[str, int] = defaultdict(int)
        self.samples = 0

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            while not self.stopping.wait(0.5):
                busy_ports = {
                    port
                    for (port,) in conn.execute(
                        "SELECT client_port FROM pg_stat_activity WHERE datname = %s "
                        "AND state <> 'idle' AND pid <> pg_backend_pid()",
                        (self.database,),
                    ).fetchall()
                }
                sockets = tcp_sockets(Path("/proc/net/tcp").read_text())
                self.samples += 1
                for tier in ("web", "workers"):
                    pids = self.tiers.processes(tier)
                    ports = client_ports_by_pid(
                        sockets, {pid: socket_inodes(pid) for pid in pids}, self.pg_port
                    )
                    for own in ports.values():
                        self.peak_open[tier] = max(self.peak_open[tier], len(own))
                        self.peak_busy[tier] = max(self.peak_busy[tier], len(own & busy_ports))
                    self.busy_total[tier] += sum(len(own & busy_ports) for own in ports.values())

    def figures(self) -> dict:
        return {
            tier: {
                "peak_open_per_process": self.peak_open[tier],
                "peak_busy_per_process": self.peak_busy[tier],
                "mean_busy": round(self.busy_total[tier] / max(1, self.samples), 2),
            }
            for tier in ("web", "workers")
        }


# ---- The phases ---------------------------------------------------------------------------


class CapacityBench:
    def __init__(self, args):
        import harness as h

        self.h = h
        self.args = args
        self.work = h.ROOT / ".tmp/bench-capacity"
        self.work.mkdir(parents=True, exist_ok=True)
        self.logs = self.work / "logs"
        self.logs.mkdir(exist_ok=True)
        self.procs = h.Processes(self.logs)
        self.admin_url = args.pg_admin_url
        self.database = "chorus_capacity"
        self.pg_url = self.admin_url.rsplit("/", 1)[0] + f"/{self.database}"
        self.pg_port = int(self.admin_url.rsplit(":", 1)[1].split("/")[0])
        self.mail_log = self.work / "mail.log"
        self.run_id = time.strftime("c%H%M%S")
        self.tiers = Tiers()
        self.sampler: ConnectionSampler | None = None
        self.results: dict = {"machine": "", "phases": []}

    def env(self) -> dict:
        env = self.h.chorus_env(
            database_url=self.pg_url,
            redis_url=self.args.redis_url,
            data_dir=self.work / "data",
            smtp_port=SMTP_PORT,
        )
        env.update(MAILING_RATE_PER_SECOND="0")
        return env

    def db(self):
        return self.h.Db(self.pg_url)

    def wal_lsn(self) -> str:
        return self.db().scalar("SELECT pg_current_wal_lsn()::text")

    def wal_since(self, lsn: str) -> int:
        return int(self.db().scalar("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", (lsn,)))

    def sink_messages(self) -> int:
        if not self.mail_log.exists():
            return 0
        with self.mail_log.open() as lines:
            return sum(1 for _ in lines)

    # Set-up -------------------------------------------------------------------------------

    def prepare(self) -> None:
        h = self.h
        h.say("capacity: a fresh database, the demo petition, static files, the SMTP sink")
        h.postgres_database_create(self.admin_url, self.database)
        h.manage(self.env(), "migrate", "--noinput")
        h.manage(self.env(), "chorus_demo")
        h.manage(self.env(), "collectstatic", "--noinput")
        self.mail_log.unlink(missing_ok=True)
        sink = self.procs.start(
            "smtp-sink",
            [h.PY, str(BENCH / "smtp_sink.py"), "--port", str(SMTP_PORT), "--log",
             str(self.mail_log)],
            env=dict(os.environ),
        )  # fmt: skip
        self.tiers.add("sink", sink.pid)
        self.tiers.add("postgresql", listening_pid(self.pg_port))
        if self.args.redis_url:
            redis_port = int(self.args.redis_url.rsplit(":", 1)[1].split("/")[0])
            self.tiers.add("redis", listening_pid(redis_port))
        self.sampler = ConnectionSampler(self.tiers, self.admin_url, self.pg_port, self.database)
        self.sampler.start()

    def start_worker(self, name: str, *options: str) -> None:
        process = self.procs.start(
            name, [self.h.PY, "manage.py", "chorus_worker", *options], self.env(), self.h.ROOT
        )
        self.tiers.add("workers", process.pid)

    def stop(self, name: str, tier: str) -> None:
        process = self.procs.running.get(name)
        if process is not None:
            self.procs.stop(name)
            self.tiers.remove(tier, process.pid)

    def web_up(self) -> str:
        h = self.h
        server = h.Server("granian", self.args.web_workers, self.args.threads)
        command, cwd = server.command("chorus", CHORUS_PORT)
        self.tiers.add("web", self.procs.start("web", command, self.env(), cwd).pid)
        self.start_worker("loops", "--only", "loops")
        base = f"http://127.0.0.1:{CHORUS_PORT}"
        h.wait_http(f"{base}/p/{h.DEMO_SLUG}/count.json")
        h.wait_settled(("chorus_worker",))
        self.results["server"] = server.label()
        return base

    # Measuring one phase ------------------------------------------------------------------

    def measure_start(self) -> dict:
        self.sampler.reset()
        return {
            "cpu": self.tiers.sample(),
            "lsn": self.wal_lsn(),
            "clock": time.monotonic(),
            "load_before": load_average(),
        }

    def measure_end(
        self, name: str, start: dict, units: int, unit: str, *, load=None, **extra
    ) -> dict:
        """The phase's figures; `load` = (seconds, connections) when the load itself was
        shorter than the phase (the sign run, before the fold caught up)."""
        seconds = time.monotonic() - start["clock"]
        used = cpu_delta(start["cpu"], self.tiers.sample())
        wal = self.wal_since(start["lsn"])
        load_seconds, connections = load or (seconds, self.sampler.figures())
        busy = sum(c["mean_busy"] for c in connections.values())
        rate = units / load_seconds if load_seconds else 0
        phase = {
            "phase": name,
            "unit": unit,
            "units": units,
            "seconds": round(seconds, 2),
            "load_seconds": round(load_seconds, 2),
            "per_second": round(rate, 1),
            "cpu_seconds": used,
            "cores_used": {tier: round(s / seconds, 3) for tier, s in used.items()},
            "ms_per_unit": {tier: ms_per_unit(s, units) for tier, s in used.items()},
            "wal_bytes": wal,
            "wal_bytes_per_unit": round(wal / units) if units else None,
            "connections": connections,
            # Little's law: busy connections = arrival rate x time each unit holds one.
            "busy_seconds_per_unit": round(busy / rate, 6) if rate else None,
            "load_before": start["load_before"],
            "load_after": load_average(),
            **extra,
        }
        self.results[name] = phase
        self.results["phases"].append(name)
        cpu = ", ".join(f"{t} {phase['ms_per_unit'][t]} ms" for t in used)
        self.h.say(
            f"{name}: {units} {unit} in {phase['load_seconds']} s ({phase['per_second']}/s); "
            f"CPU per {unit.rstrip('s')}: {cpu}; WAL {phase['wal_bytes_per_unit']} bytes each; "
            f"load {phase['load_before']} -> {phase['load_after']}"
        )
        return phase

    # Phases -------------------------------------------------------------------------------

    def phase_page(self, base: str) -> None:
        h = self.h
        url = f"{base}/p/{h.DEMO_SLUG}/"
        h.wrk_read(url=url, clients=8, seconds=2, log_dir=self.work)
        start = self.measure_start()
        run = h.wrk_read(url=url, clients=32, seconds=self.args.page_seconds, log_dir=self.work)
        self.measure_end(
            "page", start, run["requests"], "views", errors=run["errors"], p99_ms=run["p99_ms"]
        )

    def phase_sign(self, base: str) -> None:
        h = self.h
        db = self.db()
        csrf = h.fetch_csrf(f"{base}/p/{h.DEMO_SLUG}/me.json")
        sign = dict(base=base, path=f"/p/{h.DEMO_SLUG}/sign/", csrf=csrf, form=h.CHORUS_FORM)
        h.wrk_sign(
            **sign, prefix=f"{self.run_id}w", clients=8, seconds=2, log_dir=self.work / "warm"
        )
        self.fold_caught_up(db)
        start = self.measure_start()
        run = h.wrk_sign(
            **sign, prefix=f"{self.run_id}s", clients=self.args.clients,
            seconds=self.args.sign_seconds, log_dir=self.work / "sign",
        )  # fmt: skip
        # Connections while wrk ran; the rate over wrk's run, not the fold's wait as well.
        load = (run.seconds, self.sampler.figures())
        # The fold's work for these signatures belongs to them: wait for it, bounded.
        fold_wait = self.fold_caught_up(db)
        stored = len(set(h.chorus_stored(db, h.DEMO_SLUG, f"{self.run_id}s")))
        self.measure_end(
            "sign", start, stored, "signatures", load=load, errors=run.errors,
            p99_ms=run.summary["p99_ms"], fold_wait_seconds=fold_wait,
        )  # fmt: skip

    def fold_caught_up(self, db) -> float:
        started = time.monotonic()
        while time.monotonic() - started < 60:
            if not db.scalar("SELECT count(*) FROM petitions_signature WHERE count_dirty"):
                break
            time.sleep(0.2)
        return round(time.monotonic() - started, 1)

    def phase_confirm(self) -> None:
        """The sign run's confirmation emails, sent once two job workers have settled."""
        h = self.h
        db = self.db()
        hold = "UPDATE jobs_job SET run_after = now() + interval '1 day' WHERE state = 'due'"
        db.query(hold + " RETURNING 1")  # Db.query fetches: an UPDATE needs RETURNING
        for n in range(self.args.workers):
            self.start_worker(f"jobs{n}", "--only", "jobs", "--nice", "0")
        h.wait_settled(("chorus_worker",))
        before = self.sink_messages()
        start = self.measure_start()
        db.query("UPDATE jobs_job SET run_after = now() WHERE state = 'due' RETURNING 1")
        deadline = time.monotonic() + self.args.drain_seconds
        while db.scalar("SELECT count(*) FROM jobs_job WHERE state = 'due'"):
            if time.monotonic() > deadline:
                h.say("confirm: the backlog did not drain in time; measuring what was sent")
                break
            time.sleep(0.5)
        time.sleep(1.0)  # the sink's last lines
        self.measure_end("confirm", start, self.sink_messages() - before, "emails")
        for n in range(self.args.workers):
            self.stop(f"jobs{n}", "workers")

    def phase_mailing(self) -> None:
        h = self.h
        db = self.db()
        self.stop("web", "web")
        self.stop("loops", "workers")
        started = time.monotonic()
        seeded = self.seed(self.args.members)
        h.say(f"mailing: seeded {seeded['members']} members in {time.monotonic() - started:.1f} s")
        for n in range(self.args.workers):
            self.start_worker(
                f"mailer{n}", "--threads", str(self.args.mail_threads), "--idle-sleep", "0.1",
                "--nice", "0",
            )  # fmt: skip
        time.sleep(1.0)
        h.wait_settled(("chorus_worker",))
        before = self.sink_messages()
        start = self.measure_start()
        go = "UPDATE mailings_mailing SET scheduled_at = now() WHERE id = %s RETURNING 1"
        db.query(go, (seeded["mailing"],))
        deadline = time.monotonic() + self.args.mail_timeout
        state = ""
        while time.monotonic() < deadline:
            state = db.scalar(
                "SELECT state FROM mailings_mailing WHERE id = %s", (seeded["mailing"],)
            )
            if state == "sent":
                break
            time.sleep(0.5)
        time.sleep(1.0)
        done = db.scalar(
            "SELECT count(*) FROM mailings_recipient WHERE mailing_id = %s AND state = 'done'",
            (seeded["mailing"],),
        )
        self.measure_end(
            "mailing", start, done, "emails", state=state, members=seeded["members"],
            received=self.sink_messages() - before,
        )  # fmt: skip
        for n in range(self.args.workers):
            self.stop(f"mailer{n}", "workers")

    def seed(self, members: int) -> dict:
        """Members and a scheduled mailing, as the mailing benchmark seeds them."""
        result = self.h.subprocess.run(
            [self.h.PY, str(BENCH / "mail.py"), "seed", "--members", str(members)],
            env=self.env(),
            cwd=self.h.ROOT,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"mail.py seed failed:\n{result.stderr[-3000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def run(self) -> None:
        self.results["machine"] = machine()
        self.prepare()
        base = self.web_up()
        self.phase_page(base)
        self.phase_sign(base)
        self.phase_confirm()
        self.phase_mailing()

    def close(self) -> None:
        if self.sampler is not None:
            self.sampler.stopping.set()
            self.sampler.join(timeout=5)
        self.procs.stop_all()


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores, {model}"


# ---- Reports ------------------------------------------------------------------------------


def report(results: dict, command: str, path: Path) -> None:
    print("\n=== Chorus capacity: CPU, WAL and connections per unit of work ===")
    print(f"machine: {results['machine']}; server: {results.get('server', '')}")
    tiers = ("web", "postgresql", "workers", "redis", "sink")
    header = f"{'phase':9} {'units':>20} {'per s':>8} " + " ".join(
        f"{t + ' ms':>13}" for t in tiers
    )
    print(f"\nCPU milliseconds per unit (user + system, children included)\n{header}"
          f" {'WAL B':>7}  load")  # fmt: skip
    for name in results["phases"]:
        p = results[name]
        cells = " ".join(
            f"{'' if p['ms_per_unit'].get(t) is None else p['ms_per_unit'][t]:>13}" for t in tiers
        )
        print(
            f"{name:9} {p['units']:>9} {p['unit']:10} {p['per_second']:8.0f} {cells} "
            f"{p['wal_bytes_per_unit'] or 0:>7}  {p['load_before']} -> {p['load_after']}"
        )
    print("\nConnections to PostgreSQL per process (peak open / peak busy; mean busy in all)")
    for name in results["phases"]:
        c = results[name]["connections"]
        print(
            f"{name:9} "
            + "; ".join(
                f"{tier}: {c[tier]['peak_open_per_process']} / {c[tier]['peak_busy_per_process']}"
                f" ({c[tier]['mean_busy']})"
                for tier in ("web", "workers")
            )
        )
    sign, page, mail = results["sign"], results["page"], results["mailing"]
    print(
        f"\nChecks: page errors {page['errors']}, sign errors {sign['errors']} "
        f"(p99 {sign['p99_ms']:.0f} ms), fold caught up {sign['fold_wait_seconds']} s after "
        f"the load; mailing {mail['state']}, {mail['received']} of {mail['members']} received"
    )
    print(f"\nReproduce: {command}  (results in {path.relative_to(BENCH.parent)})")
    print(f"Sizing: .venv/bin/python bench/capacity.py model {path.relative_to(BENCH.parent)}")
    print(
        f"capacity: web {sign['ms_per_unit']['web']:.3f} ms CPU/signature, "
        f"pg {sign['ms_per_unit']['postgresql']:.3f} ms CPU/signature, "
        f"worker {mail['ms_per_unit']['workers']:.3f} ms CPU/email, "
        f"page {page['ms_per_unit']['web']:.4f} ms CPU/view, "
        f"wal {sign['wal_bytes_per_unit']} bytes/signature"
    )


def model_report(runs: list[dict], *, utilisation: float, page_views: float) -> None:
    costs = costs_highest([costs_from(results) for results in runs])
    print(f"Per-unit costs, the highest of {len(runs)} run(s) ({runs[0]['machine']}):")
    for key, value in asdict(costs).items():
        print(f"  {key}: {value}")
    print(
        f"\nSignatures a second, {page_views:g} page views each on the web tier, one "
        f"confirmation email each, cores kept at {utilisation:.0%}:"
    )
    columns = ("web_cores", "pg_cores", "worker_cores", "fold_share_of_a_core", "wal_mb_per_s",
               "web_processes", "client_connections", "busy_connections")  # fmt: skip
    print(f"{'rate':>8} " + " ".join(f"{c:>20}" for c in columns))
    for rate in (1_000, 10_000, 50_000):
        row = signature_sizing(costs, rate, page_views=page_views, utilisation=utilisation)
        print(f"{rate:>8} " + " ".join(f"{row[c]:>20}" for c in columns))
    mail = mailing_sizing(costs, 10_000_000, 3600, utilisation=utilisation)
    print("\nA mailing to 10,000,000 members in one hour:")
    for key, value in mail.items():
        print(f"  {key}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode")
    model = sub.add_parser("model", help="the sizing table from a run's results")
    model.add_argument(
        "results", nargs="*", help="one or more *-capacity.json (default: the newest)"
    )
    model.add_argument("--utilisation", type=float, default=0.65)
    model.add_argument("--page-views", type=float, default=5)
    parser.add_argument("--pg-admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", ""))
    parser.add_argument("--page-seconds", type=float, default=10)
    parser.add_argument("--sign-seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--web-workers", type=int, default=2, help="granian processes")
    parser.add_argument("--threads", type=int, default=8, help="granian threads each")
    parser.add_argument("--workers", type=int, default=2, help="chorus_worker processes")
    parser.add_argument("--mail-threads", type=int, default=4)
    parser.add_argument("--members", type=int, default=30_000)
    parser.add_argument("--drain-seconds", type=float, default=180)
    parser.add_argument("--mail-timeout", type=float, default=240)
    parser.add_argument("--command", default="bash bench/run.sh --only capacity")
    args = parser.parse_args()
    if args.mode == "model":
        files = sorted((BENCH / "results").glob("*-capacity.json"))
        paths = [Path(p) for p in args.results] or files[-1:]
        if not paths:
            parser.error("no results: run bash bench/run.sh --only capacity first")
        runs = [json.loads(path.read_text()) for path in paths]
        return model_report(runs, utilisation=args.utilisation, page_views=args.page_views)
    if not args.pg_admin_url:
        parser.error("no PostgreSQL: run through bash bench/run.sh --only capacity")
    sys.path.insert(0, str(BENCH))  # harness, as the other benchmarks import it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench = CapacityBench(args)
    try:
        bench.run()
    finally:
        bench.close()
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{time.strftime('%Y%m%d-%H%M%S')}-capacity.json"
    path.write_text(json.dumps(bench.results, indent=2, default=str))
    report(bench.results, args.command, path)
    r = bench.results
    if r["page"]["errors"] or r["sign"]["errors"] or r["mailing"]["state"] != "sent":
        sys.exit(1)  # figures from a run that failed requests are not to be sized from


if __name__ == "__main__":
    main()
