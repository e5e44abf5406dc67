"""The load benchmark behind `make bench`. Start it through bench/run.sh, which starts
and stops the throwaway PostgreSQL and Redis and passes their URLs in the environment
(BENCH_PG_ADMIN_URL, BENCH_REDIS_URL).

Phases, each against the same server kind and worker count:
  ceiling bare view, Chorus petition page (read, C clients),
  ceiling sign view on PostgreSQL, Chorus sign on PostgreSQL (+ mail backlog drain,
  bulk confirmation and count convergence), Chorus sign on SQLite, ceiling sign on SQLite.
With --compare-servers it instead runs the Chorus page and sign path on each server kind.
"""

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

import harness as h
from harness import Db, Processes, Server, say

CHORUS_PORT = 18461
CEILING_PORT = 18462
SMTP_PORT = 18463

TARGETS = {
    "sign_pg_per_s": 1000,
    "sign_pg_share": 0.60,
    "sign_p99_ms": 250,
    "page_per_s": 3000,
    "page_share": 0.50,
    "sign_sqlite_per_s": 500,
}


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = h.ROOT / ".tmp/bench"
        self.work.mkdir(parents=True, exist_ok=True)
        self.logs = self.work / "logs"
        self.logs.mkdir(exist_ok=True)
        self.procs = Processes(self.logs)
        self.admin_url = args.pg_admin_url
        self.pg_url = self.admin_url.rsplit("/", 1)[0] + "/chorus_bench"
        self.ceiling_pg_url = self.admin_url.rsplit("/", 1)[0] + "/ceiling_bench"
        self.redis_url = args.redis_url
        self.mail_log = self.work / "mail.log"
        self.run_id = time.strftime("r%H%M%S")
        self.server = Server(args.server, args.workers, args.threads)
        self.results: dict = {"server": self.server.label(), "clients": args.clients}

    # Set-up ---------------------------------------------------------------------------

    def env_pg(self) -> dict:
        return h.chorus_env(
            database_url=self.pg_url,
            redis_url=self.redis_url,
            data_dir=self.work / "data-pg",
            smtp_port=SMTP_PORT,
        )

    def env_sqlite(self) -> dict:
        return h.chorus_env(data_dir=self.work / "data-sqlite", smtp_port=SMTP_PORT)

    def prepare(self) -> None:
        say("preparing fresh databases (PostgreSQL and SQLite), demo data, static files")
        h.postgres_database_create(self.admin_url, "chorus_bench")
        h.postgres_database_create(self.admin_url, "ceiling_bench")
        for name in ("data-sqlite", "data-pg"):
            for old in (self.work / name).glob("*.sqlite3*"):
                old.unlink()
        for old in self.work.glob("ceiling.sqlite3*"):
            old.unlink()
        for env in (self.env_pg(), self.env_sqlite()):
            h.manage(env, "migrate", "--noinput")
            h.manage(env, "chorus_demo")
        h.manage(self.env_pg(), "collectstatic", "--noinput")
        for env in (
            h.ceiling_env(database_url=self.ceiling_pg_url),
            h.ceiling_env(sqlite_path=self.work / "ceiling.sqlite3"),
        ):
            h.subprocess.run(
                [h.PY, "-m", "django", "migrate", "--noinput"],
                env=env,
                cwd=h.BENCH,
                check=True,
                capture_output=True,
            )
        self.mail_log.unlink(missing_ok=True)
        self.procs.start(
            "smtp-sink",
            [h.PY, str(h.BENCH / "smtp_sink.py"), "--port", str(SMTP_PORT), "--log",
             str(self.mail_log)],
            env=dict(h.os.environ),
        )  # fmt: skip

    # Servers --------------------------------------------------------------------------

    def chorus_up(self, env: dict, name: str, server: Server | None = None) -> str:
        command, cwd = (server or self.server).command("chorus", CHORUS_PORT)
        self.procs.start(name, command, env, cwd)
        # Each worker as deploy.md runs it: a loops process and a jobs process on idle CPU.
        for n in range(self.args.bench_workers):
            for part, options in (("loops", []), ("jobs", ["--idle-cpu"])):
                self.procs.start(
                    f"{name}-worker{n}-{part}",
                    [h.PY, "manage.py", "chorus_worker", "--only", part, *options],
                    env,
                    h.ROOT,
                )
        base = f"http://127.0.0.1:{CHORUS_PORT}"
        h.wait_http(f"{base}/p/{h.DEMO_SLUG}/count.json")
        h.wait_settled(("chorus_worker", "rqworker", "db_worker"))
        return base

    def chorus_down(self, name: str) -> None:
        for n in range(self.args.bench_workers):
            for part in ("loops", "jobs"):
                self.procs.stop(f"{name}-worker{n}-{part}")
        self.procs.stop(name)

    def ceiling_up(self, env: dict, name: str) -> str:
        command, cwd = self.server.command("ceiling", CEILING_PORT)
        self.procs.start(name, command, env, cwd)
        base = f"http://127.0.0.1:{CEILING_PORT}"
        h.wait_http(f"{base}/bare/")
        return base

    # Measurements ---------------------------------------------------------------------

    def read(self, url: str, label: str) -> dict:
        h.wrk_read(url=url, clients=8, seconds=self.args.warmup, log_dir=self.work)
        result = h.wrk_read(
            url=url, clients=self.args.clients, seconds=self.args.read_seconds, log_dir=self.work
        )
        say(
            f"{label}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, "
            f"p99 {result['p99_ms']:.1f} ms, errors {result['errors']}; "
            f"wrk used {result['loadgen_cpu_share']:.0%} of the cores"
        )
        return result

    def sign(self, *, base, path, csrf_url, form, label, server_name="", db=None) -> h.SignRun:
        csrf = h.fetch_csrf(csrf_url)
        h.wrk_sign(
            base=base, path=path, csrf=csrf, form=form, prefix=f"{self.run_id}w{label}",
            clients=min(8, self.args.clients), seconds=self.args.warmup,
            log_dir=self.work / "wrk" / f"{label}-warm",
        )  # fmt: skip
        if self.args.profile and server_name:
            self.profile_start(server_name, label)
        wal = "SELECT pg_current_wal_lsn()::text"
        sessions = "SELECT sum(sessions) FROM pg_stat_database"
        wal_before = db.scalar(wal) if db is not None and db.postgres else None
        sessions_before = db.scalar(sessions) if wal_before is not None else 0
        run = h.wrk_sign(
            base=base, path=path, csrf=csrf, form=form, prefix=f"{self.run_id}{label}",
            clients=self.args.clients, seconds=self.args.sign_seconds,
            log_dir=self.work / "wrk" / label,
        )  # fmt: skip
        if wal_before is not None:
            written = db.scalar("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", (wal_before,))
            run.summary["wal_bytes"] = int(written)
            run.summary["db_sessions"] = int(db.scalar(sessions) - sessions_before)
        return run

    def profile_start(self, server_name: str, label: str) -> None:
        """py-spy every process of the server (and the workers) for the measured run.

        Raw collapsed stacks go to bench/results/profile-<label>-<pid>.txt; summarise them
        with `python bench/profile_top.py bench/results/profile-<label>-*.txt`.
        """
        pids = []
        for name, process in self.procs.running.items():
            if name == server_name or name.startswith(f"{server_name}-worker"):
                pids.append(process.pid)
                pids.extend(h.children(process.pid))
        for pid in pids:
            out = h.BENCH / "results" / f"profile-{label}-{pid}.txt"
            self.procs.start(
                f"py-spy-{pid}",
                [
                    str(Path(h.PY).parent / "py-spy"), "record", "--pid", str(pid),
                    "--duration", str(int(self.args.sign_seconds)), "--rate", "50",
                    "--format", "raw", "--nonblocking", "--gil", "--output", str(out),
                ],
                os.environ.copy(),
            )  # fmt: skip
        say(f"profiling {len(pids)} processes with py-spy (50 Hz, non-blocking, GIL holders)")

    def sign_figures(self, run: h.SignRun, stored: list[str], label: str) -> dict:
        check = h.compare(run.accepted, run.answered, stored)
        figures = {
            "stored_per_s": len(set(stored)) / run.seconds,
            "accepted_per_s": len(run.accepted) / run.seconds,
            "p50_ms": run.summary["p50_ms"],
            "p95_ms": run.summary["p95_ms"],
            "p99_ms": run.summary["p99_ms"],
            "max_ms": run.summary["max_ms"],
            "errors": run.errors,
            "statuses": dict(run.statuses),
            "socket_errors": {
                k: run.summary[k]
                for k in ("connect_errors", "read_errors", "write_errors", "timeouts")
            },
            "seconds": run.seconds,
            "loadgen_cpu_share": run.summary["loadgen_cpu_share"],
            "cpu_cores": run.summary["cpu_cores"],
            **check,
        }
        if "wal_bytes" in run.summary:  # the whole server's WAL, over the requests answered
            figures["wal_bytes_per_request"] = round(run.summary["wal_bytes"] / max(1, run.sent))
            figures["db_sessions_opened"] = run.summary["db_sessions"]
        say(
            f"{label}: {figures['stored_per_s']:.0f} stored/s, p50 {figures['p50_ms']:.1f} ms, "
            f"p95 {figures['p95_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
            f"errors {figures['errors']} {dict(run.statuses)}; accepted {check['accepted']}, "
            f"stored {check['stored']}, lost {check['lost']}, doubled {check['doubled']}, "
            f"stored without an answer {check['stored_without_answer']}"
        )
        split = ", ".join(f"{name} {cores:.2f}" for name, cores in figures["cpu_cores"].items())
        say(f"{label}: cores used during the run: {split}")
        if "wal_bytes_per_request" in figures:
            say(
                f"{label}: {figures['wal_bytes_per_request']} bytes of WAL per request; "
                f"{figures['db_sessions_opened']} database sessions opened during the run"
            )
        return figures

    def drain_and_converge(self, db: Db, env: dict, base: str, run: h.SignRun, key: str) -> None:
        """After the load: the mail backlog drains, then a bulk confirmation is counted."""
        figures = self.results[key]
        prefix = f"{self.run_id}{key}"
        started = time.monotonic()
        backlog = [(0.0, h.jobs_due(db))]
        while backlog[-1][1] and time.monotonic() - started < self.args.drain_seconds:
            time.sleep(1)
            backlog.append((round(time.monotonic() - started, 1), h.jobs_due(db)))
        drained = backlog[-1][1] == 0
        mails = h.mail_counts(self.mail_log, prefix)
        unmailed = len(run.accepted - set(mails))
        figures.update(
            backlog_at_end=backlog[0][1],
            backlog_drained=drained,
            backlog_drain_s=backlog[-1][0] if drained else None,
            backlog_left=backlog[-1][1],
            backlog_samples=backlog[:: max(1, len(backlog) // 20)],
            mails=sum(mails.values()),
            mailed_addresses=len(mails),
            accepted_without_mail=unmailed,
            mail_repeats=sum(n - 1 for n in mails.values() if n > 1),
        )
        # The confirmation drain rate: jobs (one email each) cleared per second after the load.
        cleared = backlog[0][1] - backlog[-1][1]
        figures["drain_per_s"] = (
            round(cleared / backlog[-1][0], 1) if backlog[-1][0] and cleared else None
        )
        drain = (
            f"drained in {backlog[-1][0]:.0f} s"
            if drained
            else f"NOT drained after {backlog[-1][0]:.0f} s ({backlog[-1][1]} left)"
        )
        if figures["drain_per_s"]:
            drain += f" ({figures['drain_per_s']} confirmation emails/s)"
        say(
            f"{key}: mail backlog {backlog[0][1]} jobs at the end of the load, {drain}; "
            f"{figures['mails']} messages to {len(mails)} addresses, "
            f"{unmailed} accepted without mail (yet), {figures['mail_repeats']} repeats"
        )
        confirmed_now = h.chorus_ops(env, "confirm-all", "--slug", h.DEMO_SLUG)["confirmed_now"]
        expected = h.confirmed_rows(db, h.DEMO_SLUG)
        started = time.monotonic()
        shown = None
        while time.monotonic() - started < self.args.converge_seconds:
            shown = h.get_json(f"{base}/p/{h.DEMO_SLUG}/count.json")["count"]
            if shown == expected:
                break
            time.sleep(0.5)
        converged = shown == expected
        figures.update(
            bulk_confirmed=confirmed_now,
            confirmed_total=expected,
            count_shown=shown,
            count_table_total=h.count_total(db, h.DEMO_SLUG),
            count_converged=converged,
            count_converge_s=round(time.monotonic() - started, 1),
        )
        say(
            f"{key}: confirmed {confirmed_now} at once; count.json shows {shown} of "
            f"{expected} confirmed after {figures['count_converge_s']} s"
            + ("" if converged else " (NOT converged)")
        )

    # Phases ---------------------------------------------------------------------------

    def phase_reads(self) -> None:
        base = self.ceiling_up(h.ceiling_env(database_url=self.ceiling_pg_url), "ceiling-pg")
        try:
            self.results["bare"] = self.read(f"{base}/bare/", "ceiling bare view")
        finally:
            self.procs.stop("ceiling-pg")

    def phase_ceiling_sign(self, env: dict, db: Db, key: str, label: str) -> None:
        base = self.ceiling_up(env, key)
        try:
            run = self.sign(
                base=base, path="/sign/", csrf_url=f"{base}/csrf.json", form=h.CEILING_FORM,
                label=key, db=db,
            )  # fmt: skip
            stored = [
                email
                for (email,) in db.query(
                    "SELECT email FROM ceiling_signature WHERE email LIKE %s",
                    (f"{self.run_id}{key}-%",),
                )
            ]
            self.results[key] = self.sign_figures(run, stored, label)
        finally:
            self.procs.stop(key)

    def phase_chorus(self, env: dict, db: Db, key: str, label: str, with_page: bool) -> None:
        base = self.chorus_up(env, key)
        try:
            if with_page:
                self.results["page"] = self.read(
                    f"{base}/p/{h.DEMO_SLUG}/", "Chorus petition page"
                )
            run = self.sign(
                base=base, path=f"/p/{h.DEMO_SLUG}/sign/",
                csrf_url=f"{base}/p/{h.DEMO_SLUG}/me.json", form=h.CHORUS_FORM, label=key,
                server_name=key, db=db,
            )  # fmt: skip
            stored = h.chorus_stored(db, h.DEMO_SLUG, f"{self.run_id}{key}")
            self.results[key] = self.sign_figures(run, stored, label)
            self.drain_and_converge(db, env, base, run, key)
        finally:
            self.chorus_down(key)
        locked = h.log_mentions(
            self.logs,
            "database is locked",
            [key] + [f"{key}-worker{n}-{part}" for n in range(9) for part in ("loops", "jobs")],
        )
        self.results[key]["database_is_locked_in_logs"] = locked

    def run(self) -> None:
        self.prepare()
        ceiling_pg = Db(self.ceiling_pg_url)
        ceiling_sqlite = Db(str(self.work / "ceiling.sqlite3"))
        chorus_pg = Db(self.pg_url)
        chorus_sqlite = Db(str(self.work / "data-sqlite/chorus.sqlite3"))
        if self.args.only == "pg":
            self.phase_chorus(self.env_pg(), chorus_pg, "signpg", "Chorus sign, PostgreSQL", False)
            return
        if self.args.only == "sqlite":
            self.phase_chorus(
                self.env_sqlite(), chorus_sqlite, "signsqlite", "Chorus sign, SQLite", False
            )
            return
        self.phase_reads()
        self.phase_ceiling_sign(
            h.ceiling_env(database_url=self.ceiling_pg_url), ceiling_pg, "ceilpg",
            "ceiling sign, PostgreSQL",
        )  # fmt: skip
        self.phase_chorus(self.env_pg(), chorus_pg, "signpg", "Chorus sign, PostgreSQL", True)
        if not self.args.skip_sqlite:
            self.phase_chorus(
                self.env_sqlite(), chorus_sqlite, "signsqlite", "Chorus sign, SQLite", False
            )
            self.phase_ceiling_sign(
                h.ceiling_env(sqlite_path=self.work / "ceiling.sqlite3"), ceiling_sqlite,
                "ceilsqlite", "ceiling sign, SQLite",
            )  # fmt: skip

    def compare_servers(self) -> None:
        """Chorus page and sign path on each server kind, short runs, PostgreSQL."""
        self.prepare()
        db = Db(self.pg_url)
        rows = []
        for kind, workers, threads in self.args.candidates:
            server = Server(kind, workers, threads)
            name = f"srv-{kind}-{workers}-{threads}"
            base = self.chorus_up(self.env_pg(), name, server)
            try:
                page = self.read(f"{base}/p/{h.DEMO_SLUG}/", f"{server.label()}: page")
                run = self.sign(
                    base=base, path=f"/p/{h.DEMO_SLUG}/sign/",
                    csrf_url=f"{base}/p/{h.DEMO_SLUG}/me.json", form=h.CHORUS_FORM,
                    label=name.replace("-", ""),
                )  # fmt: skip
                stored = h.chorus_stored(db, h.DEMO_SLUG, f"{self.run_id}{name.replace('-', '')}")
                sign = self.sign_figures(run, stored, f"{server.label()}: sign")
            finally:
                self.chorus_down(name)
            rows.append((server.label(), page, sign))
            time.sleep(2)
        self.results["servers"] = [
            {"server": label, "page_rps": p["rps"], "page_p99_ms": p["p99_ms"],
             "sign_per_s": s["stored_per_s"], "sign_p99_ms": s["p99_ms"],
             "sign_errors": s["errors"], "lost": s["lost"]}
            for label, p, s in rows
        ]  # fmt: skip
        print("\nserver                                  page/s  page p99   sign/s  sign p99  err")
        for row in self.results["servers"]:
            print(
                f"{row['server']:<38} {row['page_rps']:7.0f} {row['page_p99_ms']:8.1f}ms "
                f"{row['sign_per_s']:7.0f} {row['sign_p99_ms']:8.1f}ms {row['sign_errors']:4d}"
            )


def report(results: dict, command: str) -> None:
    r = results
    print("\n=== Chorus load benchmark ===")
    print(f"server: {r['server']}; clients: {r['clients']}; machine: {machine()}")

    def share(a, b):
        return a / b if b else 0.0

    rows = []
    if "page" in r and "bare" in r:
        ratio = share(r["page"]["rps"], r["bare"]["rps"])
        rows.append(("ceiling bare view (req/s)", r["bare"]["rps"], r["bare"], None))
        rows.append(("Chorus petition page (req/s)", r["page"]["rps"], r["page"], ratio))
    for chorus, ceiling, name in (("signpg", "ceilpg", "PostgreSQL"),
                                  ("signsqlite", "ceilsqlite", "SQLite")):  # fmt: skip
        if ceiling in r:
            rows.append((f"ceiling sign, {name} (stored/s)", r[ceiling]["stored_per_s"],
                         r[ceiling], None))  # fmt: skip
        if chorus in r:
            ratio = share(r[chorus]["stored_per_s"], r.get(ceiling, {}).get("stored_per_s", 0))
            rows.append((f"Chorus sign, {name} (stored/s)", r[chorus]["stored_per_s"],
                         r[chorus], ratio))  # fmt: skip
    print(f"\n{'':34} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} "
          f"{'share':>6} {'wrk cpu':>8}")  # fmt: skip
    for label, rate, f, ratio in rows:
        print(
            f"{label:34} {rate:8.0f} {f['p50_ms']:8.1f} {f['p95_ms']:8.1f} {f['p99_ms']:8.1f} "
            f"{f['errors']:7d} {'' if ratio is None else f'{ratio:6.0%}':>6} "
            f"{f['loadgen_cpu_share']:8.0%}"
        )
    for key in ("signpg", "signsqlite"):
        if key in r:
            f = r[key]
            print(
                f"\n{key}: accepted {f['accepted']}, stored {f['stored']}, lost {f['lost']}, "
                f"doubled {f['doubled']}, stored without an answer {f['stored_without_answer']}"
                f"\n  mail backlog {f['backlog_at_end']} at the end of the load, "
                + (
                    f"drained in {f['backlog_drain_s']} s"
                    if f["backlog_drained"]
                    else f"{f['backlog_left']} left after {f['backlog_samples'][-1][0]} s"
                )
                + f"; {f['mails']} mails, {f['accepted_without_mail']} accepted without mail, "
                f"{f['mail_repeats']} repeats"
                f"\n  count.json {f['count_shown']} vs {f['confirmed_total']} confirmed: "
                + ("converged" if f["count_converged"] else "NOT converged")
                + f" {f['count_converge_s']} s after confirming {f['bulk_confirmed']}"
                f"\n  'database is locked' in logs: {f['database_is_locked_in_logs']}"
            )
    print("\nTargets (issue 3 item 8):")
    checks = []
    if "signpg" in r:
        s = r["signpg"]
        checks += [
            ("sign >= 1,000 stored/s on PostgreSQL", s["stored_per_s"] >= 1000),
            ("sign p99 <= 250 ms", s["p99_ms"] <= TARGETS["sign_p99_ms"]),
            ("sign: zero errors, zero lost", s["errors"] == 0 and s["lost"] == 0),
        ]
        if "ceilpg" in r:
            sign_share = share(s["stored_per_s"], r["ceilpg"]["stored_per_s"])
            checks.append(("sign >= 60% of the minimal sign view", sign_share >= 0.6))
    if "page" in r:
        checks.append(("page >= 3,000 req/s", r["page"]["rps"] >= TARGETS["page_per_s"]))
        if "bare" in r:
            checks.append(("page >= 50% of the bare view",
                           share(r["page"]["rps"], r["bare"]["rps"]) >= 0.5))  # fmt: skip
    if "signsqlite" in r:
        s = r["signsqlite"]
        checks.append(("SQLite sign >= 500/s", s["stored_per_s"] >= TARGETS["sign_sqlite_per_s"]))
        checks.append(("SQLite: no 'database is locked'", s["database_is_locked_in_logs"] == 0))
    for label, ok in checks:
        print(f"  [{'met' if ok else 'MISSED'}] {label}")
    print(f"\nReproduce: {command}")


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    load = Path("/proc/loadavg").read_text().split()[:3]
    return f"{h.os.cpu_count()} cores, {model}, load average {' '.join(load)}"


def candidates(text: str) -> list[tuple[str, int, int]]:
    """ "gunicorn-sync:5:1,granian:2:8" -> [(kind, workers, threads), ...]"""
    out = []
    for item in text.split(","):
        kind, workers, threads = item.split(":")
        out.append((kind, int(workers), int(threads)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-admin-url", default=h.os.environ.get("BENCH_PG_ADMIN_URL"))
    parser.add_argument("--redis-url", default=h.os.environ.get("BENCH_REDIS_URL", ""))
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--sign-seconds", type=float, default=60)
    parser.add_argument("--read-seconds", type=float, default=20)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--drain-seconds", type=float, default=300)
    parser.add_argument("--converge-seconds", type=float, default=30)
    # The recommended production server (docs/benchmarks.md, "Choosing the server").
    parser.add_argument("--server", default="granian",
                        choices=["gunicorn-sync", "gunicorn-gthread", "granian"])  # fmt: skip
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    # Two, as docs/deploy.md advises for redundancy; both yield the CPU to signing.
    parser.add_argument("--bench-workers", type=int, default=2,
                        help="chorus_worker processes beside the server")  # fmt: skip
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--only",
        choices=["pg", "sqlite"],
        help="only Chorus's sign run on this database (no ceilings, no page)",
    )
    parser.add_argument("--profile", action="store_true",
                        help="py-spy the server and workers during Chorus's sign run")  # fmt: skip
    parser.add_argument("--compare-servers", action="store_true")
    parser.add_argument(
        "--candidates",
        type=candidates,
        default=candidates(
            "gunicorn-sync:3:1,gunicorn-sync:5:1,gunicorn-gthread:2:8,gunicorn-gthread:4:4,"
            "granian:2:8,granian:4:4"
        ),
    )
    parser.add_argument("--command", default="bash bench/run.sh", help="printed to reproduce")
    args = parser.parse_args()
    if not args.pg_admin_url:
        parser.error("no PostgreSQL: run through bench/run.sh, or pass --pg-admin-url")
    # bench/run.sh stops us with SIGTERM; exit through the finally that stops servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench = Bench(args)
    started = time.monotonic()
    try:
        if args.compare_servers:
            bench.compare_servers()
        else:
            bench.run()
    finally:
        bench.procs.stop_all()
    bench.results["wall_seconds"] = round(time.monotonic() - started)
    bench.results["machine"] = machine()
    out = h.BENCH / "results"
    out.mkdir(exist_ok=True)
    path = (
        out / f"{time.strftime('%Y%m%d-%H%M%S')}{'-servers' if args.compare_servers else ''}.json"
    )
    path.write_text(json.dumps(bench.results, indent=2, default=str))
    if not args.compare_servers:
        report(bench.results, args.command)
    else:
        print(f"\nReproduce: {args.command}")
    say(f"results in {path.relative_to(h.ROOT)}; whole run {bench.results['wall_seconds']} s")


if __name__ == "__main__":
    main()
