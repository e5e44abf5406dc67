"""The cluster drill (issue 13 item 3): `bash bench/cluster.sh --drill`.

Under a sign load through haproxy (wrk from the load node, every answer logged with the
signer's address) and a mailing being sent to the SMTP sink, at fixed moments of the load:

    10 s  kill -9 web node 1 (haproxy must take it out within 2 s); restarted at 20 s
    25 s  kill -9 worker node 1 mid-mailing (the other takes over its leases when they
          run out: MAILING_LEASE_SECONDS is 5 here); restarted at 40 s
    45 s  worker node 2 cut off PostgreSQL for 10 s: blackhole routes, in its namespace,
          to pgbouncer and both database servers (on loopback: SIGSTOP for 10 s)
    62 s  Redis restarted (stopped, started empty)
    72 s  the replica stopped (pg_ctl -m fast); started again at 82 s

Then, once the mailing is sent and the counts folded, the checks (bench/cluster.py):
no accepted signature lost or doubled, no recipient skipped, repeats no more than one
message per thread of each worker killed or cut off, the count equal to a recount; for
each fault the error rate while it lasted and the time to recover.
"""

import json
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import harness as h
from cluster import (
    INSTANT_SLUG,
    Fault,
    checks,
    last_line,
    mail_outcome,
    recovery,
    repeats_allowed,
)
from harness import say

SCHEDULE = {
    "web_kill": 10,
    "web_back": 20,
    "worker_kill": 25,
    "worker_back": 40,
    "worker_cut": 45,
    "cut_seconds": 10,
    "redis_restart": 62,
    "replica_stop": 72,
    "replica_back": 82,
}
MIN_LOAD_SECONDS = 95


class Watch:
    """haproxy's view of the web servers, sampled every 100 ms: (time, server, state)."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.changes: list[tuple[float, str, str]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        last: dict[str, str] = {}
        while not self.stop.is_set():
            try:
                states = self.cluster.haproxy_states()
            except OSError:
                states = {}
            for server, state in states.items():
                if last.get(server) != state:
                    self.changes.append((time.time(), server, state))
                    last[server] = state
            time.sleep(0.1)

    def first(self, server: str, state: str, after: float) -> float | None:
        for stamp, name, seen in self.changes:
            if name == server and seen == state and stamp >= after:
                return stamp
        return None


class Reader:
    """A reader of lag-tolerant pages (the public API's list and count, which read from the
    replica while it answers) through haproxy, five a second: (time, answered 200)."""

    def __init__(self, base: str):
        self.urls = [f"{base}/api/v1/petitions/", f"{base}/api/v1/petitions/{INSTANT_SLUG}/count/"]
        self.answers: list[tuple[float, bool]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        n = 0
        while not self.stop.wait(0.2):
            n += 1
            try:
                # A fresh query string each time: past any cache, to the database.
                url = f"{self.urls[n % 2]}?page=1&probe={n}"
                with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                    ok = response.status == 200
            except (urllib.error.URLError, OSError):
                ok = False
            self.answers.append((time.time(), ok))


class Drill:
    def __init__(self, cluster, args, stop: threading.Event):
        self.cluster = cluster
        self.args = args
        self.stop = stop
        self.db = h.Db(cluster.primary_url)
        self.faults: dict[str, Fault] = {}
        self.leased_at: dict[str, list[int]] = {}
        self.sending_at: dict[str, bool] = {}
        self.notes: dict[str, str] = {}
        self.mailing = 0
        self.run_id = time.strftime("c%H%M%S")

    # -- the mailing

    def mailing_seed(self) -> None:
        env = dict(self.cluster.env, DATABASE_URL=self.cluster.primary_url)
        result = subprocess.run(
            [h.PY, str(h.BENCH / "mail.py"), "seed", "--members", str(self.args.members)],
            env=env, cwd=h.ROOT, capture_output=True, text=True, check=True,
        )  # fmt: skip
        self.mailing = json.loads(result.stdout.strip().splitlines()[-1])["mailing"]
        say(f"seeded {self.args.members} members and a mailing to all of them")

    def mailing_go(self) -> None:
        import psycopg

        with psycopg.connect(self.cluster.primary_url, autocommit=True) as conn:
            sql = "UPDATE mailings_mailing SET scheduled_at = now() WHERE id = %s"
            conn.execute(sql, (self.mailing,))

    def mailing_state(self) -> str:
        return self.db.scalar("SELECT state FROM mailings_mailing WHERE id = %s", (self.mailing,))

    def leased_now(self) -> list[int]:
        rows = self.db.query(
            "SELECT id FROM mailings_recipient WHERE mailing_id = %s AND state = 'due' "
            "AND leased_until > now()",
            (self.mailing,),
        )
        return [pk for (pk,) in rows]

    # -- the faults

    def at(self, started: float, offset: float) -> None:
        delay = started + offset - time.time()
        if delay > 0 and self.stop.wait(delay):
            raise KeyboardInterrupt

    def worker_fault_begins(self, name: str) -> None:
        """Wait (up to 3 s) for recipients out on lease, so the fault strikes mid-send.

        Mid-mailing means recipients on lease right now, not just the state: the job
        threads take the signatures' own jobs first, and between two batches there can be
        a moment with nothing on lease.
        """
        deadline = time.monotonic() + 3
        while not (leased := self.leased_now()) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.leased_at[name] = leased
        self.sending_at[name] = bool(leased)

    def cut(self, name: str, on: bool) -> None:
        node = self.cluster.nodes[name]
        if not node.namespace:  # loopback: no routes of its own; freeze it instead
            pid = self.cluster.procs.running[name].pid
            subprocess.run(["kill", "-STOP" if on else "-CONT", f"-{pid}"], check=True)
            return
        for target in ("bouncer", "pg1", "pg2"):
            address = self.cluster.nodes[target].address
            verb = "add" if on else "del"
            subprocess.run(
                node.run(["ip", "route", verb, "blackhole", f"{address}/32"]), check=True
            )

    def faults_run(self, started: float) -> None:
        c, s = self.cluster, SCHEDULE
        self.at(started, s["web_kill"])
        t0 = time.time()
        pid = c.kill("web1")
        say(f"kill -9 web node 1 (granian {pid} and its workers)")
        self.faults["web node killed"] = Fault("web node killed", t0, t0)
        self.at(started, s["web_back"])
        c.web_start("web1")
        self.notes["web_back"] = time.time()
        say("web node 1 started again")

        self.at(started, s["worker_kill"])
        self.worker_fault_begins("worker node killed")
        t0 = time.time()
        pid = c.kill("work1")
        say(f"kill -9 worker node 1 ({pid}) with {len(self.leased_at['worker node killed'])} "
            "recipients leased")  # fmt: skip
        self.faults["worker node killed"] = Fault(
            "worker node killed", t0, t0, victim_threads=self.args.threads
        )
        self.at(started, s["worker_back"])
        c.worker_start("work1")
        say("worker node 1 started again")

        self.at(started, s["worker_cut"])
        self.worker_fault_begins("worker node cut off")
        t0 = time.time()
        self.cut("work2", True)
        say(f"worker node 2 cut off PostgreSQL for {s['cut_seconds']} s")
        self.at(started, s["worker_cut"] + s["cut_seconds"])
        self.cut("work2", False)
        self.faults["worker node cut off"] = Fault(
            "worker node cut off", t0, time.time(), victim_threads=self.args.threads
        )
        say("worker node 2 reaches PostgreSQL again")

        self.at(started, s["redis_restart"])
        t0 = time.time()
        c.procs.stop("redis")
        c.redis_start()
        self.faults["Redis restarted"] = Fault("Redis restarted", t0, time.time())
        say(f"Redis restarted in {time.time() - t0:.1f} s (its cache empty)")

        self.at(started, s["replica_stop"])
        t0 = time.time()
        c.replica_stop()
        say("replica stopped")
        self.at(started, s["replica_back"])
        c.replica_start()
        caught_up = c.replica_wait()
        self.faults["replica stopped"] = Fault("replica stopped", t0, time.time())
        say(f"replica started again, streaming and caught up {caught_up:.1f} s later")

    # -- the run

    def run(self) -> int:
        args = self.args
        if args.load_seconds < MIN_LOAD_SECONDS:
            raise SystemExit(f"--load-seconds must be at least {MIN_LOAD_SECONDS}")
        self.mailing_seed()
        base = self.cluster.base
        csrf = h.fetch_csrf(f"{base}/p/{INSTANT_SLUG}/me.json")
        watch = Watch(self.cluster)
        watch.thread.start()
        reader = Reader(base)
        reader.thread.start()
        result: dict = {}

        def load():
            result["run"] = h.wrk_sign(
                base=base, path=f"/p/{INSTANT_SLUG}/sign/", csrf=csrf, form=h.CHORUS_FORM,
                prefix=self.run_id, clients=args.clients, seconds=args.load_seconds,
                log_dir=h.ROOT / ".tmp/cluster/wrk", timeout=10,
                delay_ms=round(1000 * args.clients / args.sign_rate) if args.sign_rate else 0,
            )  # fmt: skip

        pace = f"at most {args.sign_rate:g} signatures/s" if args.sign_rate else "flat out"
        say(f"sign load: wrk, {args.clients} connections, {pace}, for {args.load_seconds:g} s "
            f"through haproxy; the mailing starts now")  # fmt: skip
        # A daemon: on Ctrl-C nothing waits for wrk, which dies with the load node.
        loader = threading.Thread(target=load, daemon=True)
        started = time.time()
        loader.start()
        self.mailing_go()
        self.faults_run(started)
        loader.join()
        load_end = time.time()
        say("load finished; waiting for the mailing to be sent and the counts to fold")
        reader.stop.set()
        drained = self.drain()
        watch.stop.set()
        return self.verdict(result["run"], watch, reader, started, load_end, drained)

    def drain(self) -> bool:
        deadline = time.monotonic() + self.args.drain_seconds
        while time.monotonic() < deadline:
            dirty = self.db.scalar("SELECT count(*) FROM petitions_signature WHERE count_dirty")
            if self.mailing_state() == "sent" and h.jobs_due(self.db) == 0 and dirty == 0:
                time.sleep(1.0)  # the sink's last lines
                return True
            if self.stop.wait(2):
                raise KeyboardInterrupt
        return False

    # -- the verdict

    def verdict(
        self, run, watch: Watch, reader: Reader, started: float, load_end: float, drained: bool
    ) -> int:
        stored = h.chorus_stored(self.db, INSTANT_SLUG, self.run_id)
        sign = h.compare(run.accepted, run.answered, stored)
        sign_series = [(stamp, status in h.ACCEPTED) for stamp, status, _ in run.responses]
        received: Counter = Counter()
        mail_series = []
        if self.cluster.mail_log.exists():
            for line in self.cluster.mail_log.read_text().splitlines():
                stamp, address = line.split(" ", 1)
                received[address] += 1
                mail_series.append((float(stamp), True))
        ledger = dict(
            self.db.query(
                "SELECT m.email, r.state FROM mailings_recipient r JOIN members_member m "
                "ON m.id = r.member_id WHERE r.mailing_id = %s",
                (self.mailing,),
            )
        )
        mail = mail_outcome(ledger, received)
        counted = h.count_total(self.db, INSTANT_SLUG)
        recounted = h.confirmed_rows(self.db, INSTANT_SLUG)
        kill = self.faults["web node killed"]
        out = watch.first("web1", "DOWN", kill.started)
        web_out_after = round(out - kill.started, 2) if out else None
        back = watch.first("web1", "UP", self.notes["web_back"])
        rows = []
        for name, fault in self.faults.items():
            row = {
                "fault": name,
                "at_s": round(fault.started - started, 1),
                "lasted_s": round(fault.ended - fault.started, 1),
                "sign": recovery(sign_series, fault, horizon=load_end),
                "mail": recovery(mail_series, fault, horizon=load_end),
                "reads": recovery(reader.answers, fault, horizon=load_end),
            }
            if name in self.leased_at:
                row["leased_at_fault"] = len(self.leased_at[name])
                row["leases_taken_over_after_s"] = self.takeover(name, fault)
            rows.append(row)
        allowed = repeats_allowed(list(self.faults.values()), self.args.mark_every)
        found = checks(
            sign=sign, mail=mail, allowed_repeats=allowed, counted=counted,
            recounted=recounted, web_out_after=web_out_after, mailing_sending=self.sending_at,
        )  # fmt: skip
        found.append(("the mailing was sent and the counts folded in time", drained))
        report = {
            "command": self.args.command_line,
            "statuses": dict(run.statuses),
            "reads": {
                "answers": len(reader.answers),
                "failed": sum(1 for _, ok in reader.answers if not ok),
            },  # fmt: skip
            "sign": sign,
            "sign_summary": run.summary,
            "mail": mail,
            "repeats_allowed": allowed,
            "counted": counted,
            "recounted": recounted,
            "web_out_after_s": web_out_after,
            "web_back_in_after_s": round(back - self.notes["web_back"], 2) if back else None,
            "haproxy_changes": [(round(t - started, 2), s, st) for t, s, st in watch.changes],
            "faults": rows,
            "checks": found,
        }
        self.print_report(report, run)
        out_dir = h.BENCH / "results"
        out_dir.mkdir(exist_ok=True)
        path = out_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-cluster-drill.json"
        path.write_text(json.dumps(report, indent=2, default=str))
        print(f"\nReproduce: {self.args.command_line}  (details in {path.relative_to(h.ROOT)})")
        line = last_line(
            lost=sign["lost"], doubled=sign["doubled"], skipped=mail["skipped"],
            repeats=mail["repeats"], counts_equal=counted == recounted,
        )  # fmt: skip
        print(line)
        # bench/cluster.sh prints it again once everything is stopped, as the very last line.
        (self.cluster.work / "last-line").write_text(line + "\n")
        return 0 if all(ok for _, ok in found) else 1

    def takeover(self, name: str, fault: Fault) -> float | None:
        """Seconds from the fault until the last recipient leased at that moment was sent."""
        ids = self.leased_at[name]
        if not ids:
            return None
        latest = self.db.scalar(
            "SELECT max(sent_at) FROM mailings_recipient WHERE id = ANY(%s)", (ids,)
        )
        return round(latest.timestamp() - fault.started, 1) if latest else None

    def print_report(self, report: dict, run) -> None:
        sign, mail = report["sign"], report["mail"]
        print("\n=== Cluster drill ===")
        print(
            f"sign load: {run.sent} requests, statuses {report['statuses']}; accepted "
            f"{sign['accepted']}, stored {sign['stored']}, lost {sign['lost']}, doubled "
            f"{sign['doubled']}, stored without an answer {sign['stored_without_answer']}, "
            f"stored but answered with an error {sign['stored_but_answered_error']}"
        )
        print(f"API reads (replica pages): {report['reads']}")
        print(
            f"mailing: {mail['recipients']} recipients, {mail['done']} done, skipped "
            f"{mail['skipped']}, repeats {mail['repeats']} (allowed {report['repeats_allowed']})"
        )
        print(
            f"haproxy took web node 1 out {report['web_out_after_s']} s after the kill, back in "
            f"{report['web_back_in_after_s']} s after its restart"
        )
        print(
            "| fault | at (s) | lasted (s) | sign answers | sign errors | error rate | "
            "recovered after (s) | API reads failed | mail msgs/s before | "
            "mail recovered after (s) | leases taken over after (s) |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for row in report["faults"]:
            s, m, r = row["sign"], row["mail"], row["reads"]
            print(
                f"| {row['fault']} | {row['at_s']} | {row['lasted_s']} | {s['events']} | "
                f"{s['failed']} | {s['error_rate']:.2%} | {s['recovered_after_s']} | "
                f"{r['failed']} of {r['events']} | {m['baseline_per_s']} | "
                f"{m['recovered_after_s']} | {row.get('leases_taken_over_after_s', '')} |"
            )
        print()
        for label, ok in report["checks"]:
            print(f"  [{'ok' if ok else 'FAILED'}] {label}")


def run(cluster, args, stop: threading.Event) -> int:
    return Drill(cluster, args, stop).run()
