"""The mailing benchmark: `bash bench/run.sh --only mail` (also part of `make bench`).

Seeds N members set-wise (one INSERT ... SELECT over generate_series), schedules one
personalised mailing to all of them, and lets the real worker processes
(`manage.py chorus_worker`) send it to a local SMTP sink (bench/smtp_sink.py). Prints
messages/s, the peak resident memory of each sending process, and a ceiling: a bare loop
sending pre-rendered messages to the same sink over one reused connection per thread, in
as many processes and threads as the workers. Then the ledger's row count and the
duplicates the sink saw. The last line:

    mail: <rate> msg/s, <share> % of ceiling, peak <MB> MB, sent <n> of <N>, duplicates <d>

    bash bench/run.sh --only mail                      # N = 200,000 (and 50,000 first)
    bash bench/run.sh --only mail --members 20000 --also 0
"""

import argparse
import json
import os
import signal
import smtplib
import sys
import threading
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

SMTP_PORT = 18473
TARGETS = {"rate": 1000, "share": 0.50, "peak_mb": 250}


# ---- In Chorus's environment (a child process with Django set up) ------------------------


def seed(members: int) -> None:
    """Members, set-wise, and one mailing scheduled far ahead; prints the mailing's id."""
    sys.path.insert(0, str(BENCH.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
    import django

    django.setup()
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from mailings.models import Mailing
    from members.models import Member
    from petitions.models import Petition

    petition = Petition.objects.select_related("organisation").first()
    organisation = petition.organisation
    Member.objects.all().delete()
    domains = "ARRAY['gmail.com','outlook.com','yahoo.com','example.org','example.net']"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO members_member (organisation_id, email, email_key, first_name, "
            "last_name, country, postcode, language, status, status_reason, created_at, "
            "updated_at) "
            "SELECT %s, e, e, 'Name' || g, 'Bench', 'GB', '', 'en', 'subscribed', '', "
            "now(), now() "
            f"FROM (SELECT g, 'm' || g || '@' || ({domains})[1 + g %% 5] AS e "
            "FROM generate_series(1, %s) AS g) AS s",
            [organisation.pk, members],
        )
        cursor.execute("ANALYZE members_member")
    mailing = Mailing.objects.create(
        organisation=organisation,
        name="Bench mailing",
        subject="{{first_name|Friend}}, they are scraping our photos",
        preheader="Read this before you post again",
        from_name="Open Faces",
        from_address=os.environ.get("BENCH_FROM", "petitions@chorus.invalid"),
        body=(
            "Hello {{first_name|friend}},\n\nEvery photo you post can end up in a face "
            "database. **Sign the petition** to stop it:\n\n"
            "[Sign now]({{petition_link}})\n\nRead [how scraping works]"
            "(https://openfaces.example/scraping) and share it.\n\nThank you."
        ),
        petition=petition,
        state=Mailing.State.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(days=365),
    )
    print(json.dumps({"mailing": mailing.pk, "members": Member.objects.count()}))


def seed_confirmations(count: int) -> None:
    """A spike's backlog: `count` new pending signatures of the demo petition, each with the
    job signing records, as the sign path writes them (signature and job in bulk, not
    signed one by one), the jobs held back until the bench lets them go. Prints the count.
    """
    sys.path.insert(0, str(BENCH.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
    import django

    django.setup()
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from jobs.models import Job
    from petitions.links import new_link
    from petitions.models import Petition, Signature, new_public_code
    from petitions.services.signing import SIGNATURE_SUBMITTED

    petition = Petition.objects.first()
    domains = ["gmail.com", "outlook.com", "yahoo.com", "example.org", "example.net"]
    held = timezone.now() + timedelta(days=365)
    made = 0
    for start in range(0, count, 2000):
        with transaction.atomic():
            signatures = Signature.objects.bulk_create(
                [
                    Signature(
                        petition=petition,
                        code=new_public_code(),
                        email=f"s{n}@{domains[n % 5]}",
                        email_key=f"s{n}@{domains[n % 5]}",
                        first_name=f"Signer{n}",
                        last_name="Bench",
                        country="GB",
                        language="en",
                        state=Signature.State.PENDING,
                        created_at=timezone.now(),
                        **new_link(),
                    )
                    for n in range(start, min(start + 2000, count))
                ]
            )
            # Many client networks, as in a real spike (one network is held by the
            # ceiling after UNVERIFIED_MAIL_PER_NETWORK_HOUR).
            Job.objects.bulk_create(
                [
                    Job(
                        kind=SIGNATURE_SUBMITTED,
                        payload={"signature": s.pk, "created": True, "net": f"n{s.pk % 20000}"},
                        run_after=held,
                    )
                    for s in signatures
                ]
            )
        made += len(signatures)
    print(json.dumps({"signatures": made}))


def sample_message() -> None:
    """One rendered message as bytes (base64 on stdout): what the ceiling sends."""
    sys.path.insert(0, str(BENCH.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
    import base64

    import django

    django.setup()
    from mailings.message import message_bytes
    from mailings.models import Mailing
    from mailings.render import mailing_compile
    from members.models import Member

    # The demo has a draft mailing of its own: the bench's is the one seed() made.
    mailing = Mailing.objects.select_related("organisation", "petition").get(name="Bench mailing")
    member = Member.objects.first()
    rendered = mailing_compile(mailing).personalise(member, 1)
    sender, data = message_bytes(
        mailing=mailing, to=member.email, recipient_id=1, rendered=rendered
    )
    print(json.dumps({"from": sender, "data": base64.b64encode(data).decode()}))


def ceiling_child(count: int, threads: int, offset: int, sample: str) -> None:
    """Send `count` pre-rendered messages over one kept connection per thread."""
    spec = json.loads(Path(sample).read_text())
    import base64

    data = base64.b64decode(spec["data"])
    per = count // threads

    def run(t: int):
        smtp = smtplib.SMTP("127.0.0.1", SMTP_PORT)
        start = offset + t * per
        for n in range(start, start + per):
            smtp.sendmail(spec["from"], [f"c{n}@example.org"], data)
        smtp.quit()

    pool = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()


# ---- The orchestration ------------------------------------------------------------------


def peak_rss_mb(pid: int) -> float:
    """The peak resident set (VmHWM) of a process, in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def execute(url: str, sql: str, *params) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql, params)


def sink_lines(log: Path, prefix: str) -> Counter:
    counts: Counter = Counter()
    if not log.exists():
        return counts
    with log.open() as lines:
        for line in lines:
            address = line.split(" ", 1)[1].strip()
            if address.startswith(prefix):
                counts[address] += 1
    return counts


class MailBench:
    def __init__(self, args):
        import harness as h

        self.h = h
        self.args = args
        self.work = h.ROOT / ".tmp/bench-mail"
        self.work.mkdir(parents=True, exist_ok=True)
        self.logs = self.work / "logs"
        self.logs.mkdir(exist_ok=True)
        self.procs = h.Processes(self.logs)
        self.admin_url = args.pg_admin_url
        self.pg_url = self.admin_url.rsplit("/", 1)[0] + "/chorus_mail_bench"
        self.mail_log = self.work / "mail.log"
        self.results: dict = {"processes": args.processes, "threads": args.threads}

    def env(self) -> dict:
        env = self.h.chorus_env(
            database_url=self.pg_url,
            redis_url=self.args.redis_url,
            data_dir=self.work / "data",
            smtp_port=SMTP_PORT,
        )
        env.update(MAILING_BATCH=str(self.args.batch), MAILING_RATE_PER_SECOND="0")
        if self.args.mark_every:
            env["MAILING_MARK_EVERY"] = str(self.args.mark_every)
        return env

    def child(self, *args: str) -> dict:
        result = self.h.subprocess.run(
            [self.h.PY, str(BENCH / "mail.py"), *args],
            env=self.env(),
            cwd=self.h.ROOT,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise RuntimeError(f"mail.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def prepare(self) -> None:
        h = self.h
        h.say("mail: preparing a fresh database, the demo petition and the SMTP sink")
        h.postgres_database_create(self.admin_url, "chorus_mail_bench")
        h.manage(self.env(), "migrate", "--noinput")
        h.manage(self.env(), "chorus_demo")
        self.mail_log.unlink(missing_ok=True)
        self.procs.start(
            "smtp-sink",
            [h.PY, str(BENCH / "smtp_sink.py"), "--port", str(SMTP_PORT), "--log",
             str(self.mail_log)],
            env=dict(os.environ),
        )  # fmt: skip
        time.sleep(1.0)

    def workers_start(self, tag: str) -> list:
        """The sending workers, as many processes and threads as asked, at nice 0."""
        h = self.h
        command = [h.PY, "manage.py", "chorus_worker", "--threads", str(self.args.threads),
                   "--idle-sleep", "0.1", "--nice", "0"]  # fmt: skip
        return [
            self.procs.start(f"worker{n}-{tag}", command, self.env(), h.ROOT)
            for n in range(self.args.processes)
        ]

    def workers_stop(self, tag: str) -> None:
        for n in range(self.args.processes):
            self.procs.stop(f"worker{n}-{tag}")

    def profile(self, worker, output: str, *, seconds: int, rate: int, gil: bool = False):
        """py-spy on one worker while it sends; with `gil`, only the threads holding the GIL
        (its CPU), else every thread, waiting on the sink and the database included."""
        h = self.h
        command = [str(Path(h.PY).parent / "py-spy"), "record", "--pid", str(worker.pid),
                   "--duration", str(seconds), "--rate", str(rate), "--format", "raw",
                   "--output", str(self.work / output), "--nonblocking"]  # fmt: skip
        if gil:
            command.append("--gil")
        return h.subprocess.Popen(
            command, stdout=h.subprocess.DEVNULL, stderr=h.subprocess.DEVNULL
        )

    def run_size(self, members: int) -> dict:
        h = self.h
        db = h.Db(self.pg_url)
        started = time.monotonic()
        seeded = self.child("seed", "--members", str(members))
        mailing = seeded["mailing"]
        h.say(f"mail: seeded {seeded['members']} members in {time.monotonic() - started:.1f} s")
        workers = self.workers_start(str(members))
        time.sleep(3.0)  # imports done, threads idle
        go = "UPDATE mailings_mailing SET scheduled_at = now() WHERE id = %s"
        cpu_before = self.cpu_by_group(db, workers)
        execute(self.pg_url, go, mailing)
        profiler = None
        if self.args.profile and members == self.args.members:
            profiler = self.profile(workers[0], "worker.pyspy.txt", seconds=20, rate=50)
        clock = time.monotonic()
        deadline = clock + self.args.timeout
        state = ""
        while time.monotonic() < deadline:
            state = db.scalar("SELECT state FROM mailings_mailing WHERE id = %s", (mailing,))
            if state == "sent":
                break
            time.sleep(0.5)
        wall = time.monotonic() - clock
        started_at, finished_at = db.query(
            "SELECT started_at, finished_at FROM mailings_mailing WHERE id = %s", (mailing,)
        )[0]
        peaks = [round(peak_rss_mb(w.pid), 1) for w in workers]
        cpu = {}
        for group, now in self.cpu_by_group(db, workers).items():
            spent = sum(seconds - cpu_before[group].get(pid, 0.0) for pid, seconds in now.items())
            cpu[group] = round(spent, 1)
        self.workers_stop(str(members))
        if profiler is not None:
            profiler.wait(timeout=60)
        time.sleep(1.0)  # the sink's last lines
        rows = db.scalar(
            "SELECT count(*) FROM mailings_recipient WHERE mailing_id = %s", (mailing,)
        )
        done = db.scalar(
            "SELECT count(*) FROM mailings_recipient WHERE mailing_id = %s AND state = 'done'",
            (mailing,),
        )
        ledger_dupes = db.scalar(
            "SELECT count(*) FROM (SELECT member_id FROM mailings_recipient WHERE mailing_id = %s "
            "GROUP BY member_id HAVING count(*) > 1) AS d",
            (mailing,),
        )
        received = sink_lines(self.mail_log, "m")
        sent_seconds = (
            (finished_at - started_at).total_seconds() if finished_at and started_at else wall
        )
        figures = {
            "members": members,
            "state": state,
            "seconds": round(sent_seconds, 2),
            "rate": round(done / sent_seconds, 1) if sent_seconds else 0,
            "peak_mb": peaks,
            "ledger_rows": rows,
            "done": done,
            "ledger_duplicates": ledger_dupes,
            "received": sum(received.values()),
            "addresses": len(received),
            "duplicates": sum(n - 1 for n in received.values()),
            "cpu_seconds": cpu,
        }
        h.say(
            f"mail N={members}: {state} in {figures['seconds']} s = {figures['rate']} msg/s; "
            f"peak RSS per worker process {peaks} MB; ledger {rows} rows, {done} done, "
            f"{ledger_dupes} duplicate rows; sink got {figures['received']} messages to "
            f"{figures['addresses']} addresses, {figures['duplicates']} duplicates; CPU seconds "
            f"while sending: {', '.join(f'{k} {v}' for k, v in cpu.items())} "
            f"(of {2 * sent_seconds:.0f} on 2 cores)"
        )
        if members == self.args.members:
            (self.work / "sample.json").write_text(json.dumps(self.child("sample")))
        self.mail_log.unlink(missing_ok=True)  # the next size counts afresh
        self.procs.stop("smtp-sink")
        self.procs.start(
            "smtp-sink",
            [h.PY, str(BENCH / "smtp_sink.py"), "--port", str(SMTP_PORT), "--log",
             str(self.mail_log)],
            env=dict(os.environ),
        )  # fmt: skip
        time.sleep(1.0)
        # Raw SQL does not cascade: the demo's draft mailing has variants and events too.
        for table in ["click", "recipient", "mailingevent"]:
            execute(self.pg_url, f"DELETE FROM mailings_{table}")
        execute(self.pg_url, "UPDATE mailings_mailing SET winner_id = NULL")
        execute(self.pg_url, "DELETE FROM mailings_variant")
        execute(self.pg_url, "DELETE FROM mailings_mailing")
        return figures

    def run_confirmations(self, count: int) -> dict:
        """A spike's confirmation backlog sent by the same workers: emails/s, as the mailing."""
        h = self.h
        db = h.Db(self.pg_url)
        started = time.monotonic()
        seeded = self.child("seed-confirmations", "--count", str(count))["signatures"]
        h.say(f"confirmations: seeded {seeded} pending signatures in "
              f"{time.monotonic() - started:.1f} s")  # fmt: skip
        workers = self.workers_start("confirm")
        time.sleep(3.0)  # imports done, threads idle
        cpu_before = self.cpu_by_group(db, workers)
        profiler = None
        if self.args.profile:
            profiler = self.profile(
                workers[0], "confirm.pyspy.txt", seconds=15, rate=100, gil=True
            )
        due = "SELECT count(*) FROM jobs_job WHERE kind = 'signature_submitted' AND state = 'due'"
        go_at = db.scalar(
            "WITH go AS (UPDATE jobs_job SET run_after = now() "
            "WHERE kind = 'signature_submitted' AND state = 'due' RETURNING 1) SELECT now()"
        )
        deadline = time.monotonic() + self.args.timeout
        left = seeded
        while left and time.monotonic() < deadline:
            time.sleep(0.2)
            left = db.scalar(due)
        last_done = db.scalar(
            "SELECT max(done_at) FROM jobs_job WHERE kind = 'signature_submitted'"
        )
        cpu = {}
        for group, now in self.cpu_by_group(db, workers).items():
            spent = sum(seconds - cpu_before[group].get(pid, 0.0) for pid, seconds in now.items())
            cpu[group] = round(spent, 1)
        peaks = [round(peak_rss_mb(w.pid), 1) for w in workers]
        self.workers_stop("confirm")
        if profiler is not None:
            profiler.wait(timeout=60)
        time.sleep(1.0)  # the sink's last lines
        received = sink_lines(self.mail_log, "s")
        seconds = (last_done - go_at).total_seconds() if last_done and not left else None
        figures = {
            "signatures": seeded,
            "left": left,
            "seconds": round(seconds, 2) if seconds else None,
            "rate": round(seeded / seconds, 1) if seconds else 0,
            "peak_mb": peaks,
            "received": sum(received.values()),
            "addresses": len(received),
            "duplicates": sum(n - 1 for n in received.values()),
            "cpu_seconds": cpu,
        }
        drained = f"drained in {figures['seconds']} s" if seconds else f"{left} NOT drained"
        h.say(
            f"confirmations N={seeded}: {drained} = {figures['rate']} emails/s; sink got "
            f"{figures['received']} to {figures['addresses']} addresses, "
            f"{figures['duplicates']} duplicates; peak RSS {peaks} MB; CPU seconds: "
            f"{', '.join(f'{k} {v}' for k, v in cpu.items())}"
        )
        execute(self.pg_url, "DELETE FROM jobs_job WHERE kind = 'signature_submitted'")
        return figures

    def cpu_by_group(self, db, workers) -> dict[str, dict[int, float]]:
        """CPU seconds so far of the worker processes, the sink and the database's backends.

        Client backends only: an autovacuum worker that happened to be alive at the end
        counted its whole life against the send, and swung the figure two-fold.
        """
        backends = db.query(
            "SELECT pid FROM pg_stat_activity WHERE datname = 'chorus_mail_bench' "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        groups = {
            "workers": [w.pid for w in workers],
            "sink": [self.procs.running["smtp-sink"].pid],
            "postgres": [row[0] for row in backends],
        }
        return {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in groups.items()}

    def ceiling(self, count: int) -> dict:
        h = self.h
        sample = self.work / "sample.json"
        per_process = count // self.args.processes
        clock = time.monotonic()
        children = [
            h.subprocess.Popen(
                [
                    h.PY,
                    str(BENCH / "mail.py"),
                    "ceiling",
                    "--count",
                    str(per_process),
                    "--threads",
                    str(self.args.threads),
                    "--offset",
                    str(n * per_process),
                    "--sample",
                    str(sample),
                ],
                cwd=h.ROOT,
            )  # fmt: skip
            for n in range(self.args.processes)
        ]
        sink = self.procs.running["smtp-sink"].pid
        sink_before = cpu_seconds(sink)
        peak = 0.0
        used = {}
        while any(c.poll() is None for c in children):
            peak = max([peak] + [peak_rss_mb(c.pid) for c in children])
            used.update({c.pid: cpu_seconds(c.pid) for c in children if c.poll() is None})
            time.sleep(0.2)
        seconds = time.monotonic() - clock
        cpu = {
            "senders": round(sum(used.values()), 1),
            "sink": round(cpu_seconds(sink) - sink_before, 1),
        }
        sent = per_process * self.args.processes
        figures = {"sent": sent, "seconds": round(seconds, 2), "rate": round(sent / seconds, 1)}
        figures["peak_mb"] = round(peak, 1)
        figures["cpu_seconds"] = cpu
        h.say(
            f"mail ceiling: {sent} pre-rendered messages in {figures['seconds']} s = "
            f"{figures['rate']} msg/s ({self.args.processes} processes x {self.args.threads} "
            f"threads, one kept connection each; peak {figures['peak_mb']} MB; CPU seconds: "
            f"senders {cpu['senders']} (sampled), sink {cpu['sink']})"
        )
        return figures

    def run(self) -> None:
        self.prepare()
        sizes = [n for n in (self.args.also, self.args.members) if n]
        for members in sizes:
            self.results[f"n{members}"] = self.run_size(members)
        if self.args.confirmations:
            self.results["confirmations"] = self.run_confirmations(self.args.confirmations)
        self.results["ceiling"] = self.ceiling(min(self.args.members, self.args.ceiling_count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="mode")
    seeding = sub.add_parser("seed")
    seeding.add_argument("--members", type=int, required=True)
    sub.add_parser("sample")
    confirming = sub.add_parser("seed-confirmations")
    confirming.add_argument("--count", type=int, required=True)
    ceiling = sub.add_parser("ceiling")
    ceiling.add_argument("--count", type=int, required=True)
    ceiling.add_argument("--threads", type=int, required=True)
    ceiling.add_argument("--offset", type=int, default=0)
    ceiling.add_argument("--sample", required=True)
    parser.add_argument("--pg-admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", ""))
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--also", type=int, default=50_000,
                        help="a smaller N first, to show memory flat in N (0: skip)")  # fmt: skip
    parser.add_argument("--processes", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=4, help="job threads per worker")
    parser.add_argument("--batch", type=int, default=100, help="MAILING_BATCH")
    parser.add_argument("--mark-every", type=int, default=0,
                        help="MAILING_MARK_EVERY (0: Chorus's default)")  # fmt: skip
    parser.add_argument("--ceiling-count", type=int, default=50_000)
    parser.add_argument("--confirmations", type=int, default=50_000,
                        help="a confirmation backlog the workers drain (0: skip)")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--profile", action="store_true", help="py-spy one worker for 30 s")
    parser.add_argument("--command", default="bash bench/run.sh --only mail")
    args = parser.parse_args()
    if args.mode == "seed":
        return seed(args.members)
    if args.mode == "seed-confirmations":
        return seed_confirmations(args.count)
    if args.mode == "sample":
        return sample_message()
    if args.mode == "ceiling":
        return ceiling_child(args.count, args.threads, args.offset, args.sample)
    if not args.pg_admin_url:
        parser.error("no PostgreSQL: run through bench/run.sh --only mail")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench = MailBench(args)
    try:
        bench.run()
    finally:
        bench.procs.stop_all()
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{time.strftime('%Y%m%d-%H%M%S')}-mail.json"
    path.write_text(json.dumps(bench.results, indent=2, default=str))
    main_run = bench.results[f"n{args.members}"]
    ceiling_rate = bench.results["ceiling"]["rate"]
    share = 100 * main_run["rate"] / ceiling_rate if ceiling_rate else 0
    peak = max(main_run["peak_mb"] or [0])
    print(f"\nReproduce: {args.command}  (results in {path.relative_to(BENCH.parent)})")
    if args.also and f"n{args.also}" in bench.results:
        small = bench.results[f"n{args.also}"]
        print(
            f"peak RSS per worker process: N={args.also}: {max(small['peak_mb'] or [0])} MB, "
            f"N={args.members}: {peak} MB"
        )
    print(
        f"targets: >= {TARGETS['rate']} msg/s, >= {TARGETS['share']:.0%} of ceiling, "
        f"<= {TARGETS['peak_mb']} MB, flat in N"
    )
    confirmations = bench.results.get("confirmations")
    if confirmations:
        print(
            f"confirmations: {confirmations['rate']:.0f} emails/s drained, "
            f"{100 * confirmations['rate'] / main_run['rate']:.0f} % of the mailing's rate, "
            f"sent {confirmations['received'] - confirmations['duplicates']} of "
            f"{confirmations['signatures']}, duplicates {confirmations['duplicates']}"
        )
    print(
        f"mail: {main_run['rate']:.0f} msg/s, {share:.0f} % of ceiling, peak {peak:.0f} MB, "
        f"sent {main_run['done']} of {args.members}, duplicates {main_run['duplicates']}"
    )


if __name__ == "__main__":
    main()
