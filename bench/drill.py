"""The fault drill (issue 3 item 9). Start it through bench/drill.sh.

While wrk signs two petitions (one that asks for email confirmation, one that counts at
once), it kills -9 a web worker and a chorus_worker, and stops PostgreSQL with
`pg_ctl stop -m immediate`, then starts it again. Afterwards it checks:
  * no accepted signature is lost and none is doubled;
  * every confirmed signature is counted once (PetitionCount total = confirmed rows);
  * every signature needing confirmation got its email (and how many got it twice);
  * while the database was down, clients got 503 "please try again", never 500 or a
    false success.
Exit status 0 only if all hold.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter

import harness as h
from harness import Db, Processes, Server, say

PORT = 18561
SMTP_PORT = 18563
INSTANT_SLUG = "drill-counts-at-once"


def services(action: str) -> None:
    """pg_ctl on the drill's cluster: kill (immediate stop) or start."""
    if action == "start" and (h.ROOT / "scripts/services.sh").exists():
        script = "bash scripts/services.sh start"
    else:
        script = f". bench/services.sh && bench_pg_ctl {action}"
    subprocess.run(["bash", "-c", script], cwd=h.ROOT, check=True, capture_output=True)


def post_during_outage(base: str, csrf: tuple[str, str]) -> tuple[int, bool]:
    """One signature while the database is down: the status and whether it says try again."""
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": csrf[0],
            "first_name": "Outage",
            "last_name": "Probe",
            "country": "GB",
            "email": f"outage-probe-{time.time():.0f}@bench.example.org",
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}/p/{h.DEMO_SLUG}/sign/", data=body, headers={"Cookie": csrf[1]}
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, False
    except urllib.error.HTTPError as error:
        text = error.read().decode(errors="replace").lower()
        return error.code, "try again" in text
    except (urllib.error.URLError, OSError):
        return 0, False  # no answer at all: the server itself is down


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-admin-url", default=os.environ.get("BENCH_PG_ADMIN_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", ""))
    parser.add_argument("--clients", type=int, default=32, help="per petition")
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--outage-seconds", type=float, default=6)
    parser.add_argument("--server", default="granian",
                        choices=["gunicorn-sync", "gunicorn-gthread", "granian"])  # fmt: skip
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--drain-seconds", type=float, default=400)
    parser.add_argument("--command", default="bash bench/drill.sh")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = h.ROOT / ".tmp/drill"
    (work / "logs").mkdir(parents=True, exist_ok=True)
    procs = Processes(work / "logs")
    try:
        ok = drill(args, work, procs)
    finally:
        procs.stop_all()
    print(f"\nReproduce: {args.command}")
    sys.exit(0 if ok else 1)


def drill(args, work, procs: Processes) -> bool:
    pg_url = args.pg_admin_url.rsplit("/", 1)[0] + "/chorus_drill"
    h.postgres_database_create(args.pg_admin_url, "chorus_drill")
    env = h.chorus_env(
        database_url=pg_url, redis_url=args.redis_url, data_dir=work / "data", smtp_port=SMTP_PORT
    )
    say("preparing the database, the demo petition and one that counts at once")
    h.manage(env, "migrate", "--noinput")
    h.manage(env, "chorus_demo")
    h.manage(env, "collectstatic", "--noinput")
    h.chorus_ops(env, "petition", "--slug", INSTANT_SLUG, "--no-confirmation")
    mail_log = work / "mail.log"
    mail_log.unlink(missing_ok=True)
    procs.start(
        "smtp-sink",
        [h.PY, str(h.BENCH / "smtp_sink.py"), "--port", str(SMTP_PORT), "--log", str(mail_log)],
        env=dict(os.environ),
    )
    server = Server(args.server, args.workers, args.threads)
    command, cwd = server.command("chorus", PORT)
    web = procs.start("web", command, env, cwd)
    workers = [
        procs.start(f"worker{n}", [h.PY, "manage.py", "chorus_worker"], env) for n in range(2)
    ]
    base = f"http://127.0.0.1:{PORT}"
    h.wait_http(f"{base}/p/{h.DEMO_SLUG}/count.json")
    csrf = h.fetch_csrf(f"{base}/p/{h.DEMO_SLUG}/me.json")
    run_id = time.strftime("d%H%M%S")
    runs: dict = {}
    threads = []
    for slug, key in ((h.DEMO_SLUG, "confirm"), (INSTANT_SLUG, "instant")):

        def load(slug=slug, key=key):
            runs[key] = h.wrk_sign(
                base=base, path=f"/p/{slug}/sign/", csrf=csrf, form=h.CHORUS_FORM,
                prefix=f"{run_id}{key}", clients=args.clients, seconds=args.seconds,
                log_dir=work / "wrk" / key, timeout=30,
            )  # fmt: skip

        thread = threading.Thread(target=load)
        thread.start()
        threads.append(thread)
    started = time.time()
    events = {}

    def at(offset: float) -> None:
        time.sleep(max(0.0, started + offset - time.time()))

    at(args.seconds * 0.2)
    victim = h.children(web.pid)[0]
    os.kill(victim, signal.SIGKILL)
    events["web_worker_killed"] = (time.time(), victim)
    say(f"kill -9 web worker {victim}")
    at(args.seconds * 0.3)
    os.kill(workers[0].pid, signal.SIGKILL)
    events["chorus_worker_killed"] = (time.time(), workers[0].pid)
    say(f"kill -9 chorus_worker {workers[0].pid} (its leased jobs return after the lease)")
    at(args.seconds * 0.4)
    services("kill")
    outage_start = time.time()
    say("PostgreSQL stopped with -m immediate")
    time.sleep(1.5)
    probe_status, probe_says_try_again = post_during_outage(base, csrf)
    say(
        f"a signature during the outage got {probe_status} "
        f"(says try again: {probe_says_try_again})"
    )
    time.sleep(max(0.0, outage_start + args.outage_seconds - time.time()))
    services("start")
    outage_end = time.time()
    say(f"PostgreSQL started again after {outage_end - outage_start:.1f} s")
    procs.start("worker-restarted", [h.PY, "manage.py", "chorus_worker"], env)
    for thread in threads:
        thread.join()
    say("load finished; waiting for the job ledger to drain and the counts to fold")

    db = Db(pg_url)
    deadline = time.monotonic() + args.drain_seconds
    while time.monotonic() < deadline:
        dirty = db.scalar("SELECT count(*) FROM petitions_signature WHERE count_dirty")
        if h.jobs_due(db) == 0 and dirty == 0:
            break
        time.sleep(2)
    drained_after = round(time.monotonic() - deadline + args.drain_seconds)
    jobs_left = h.jobs_due(db)
    failed_jobs = db.scalar("SELECT count(*) FROM jobs_job WHERE state = 'failed'")
    return verdict(
        args=args, db=db, runs=runs, run_id=run_id, mail_log=mail_log,
        outage=(outage_start, outage_end), probe=(probe_status, probe_says_try_again),
        drained_after=drained_after, jobs_left=jobs_left, failed_jobs=failed_jobs, events=events,
    )  # fmt: skip


def verdict(
    *, args, db, runs, run_id, mail_log, outage, probe, drained_after, jobs_left, failed_jobs,
    events,
) -> bool:  # fmt: skip
    checks = []
    report: dict = {"events": events, "outage_seconds": round(outage[1] - outage[0], 1)}
    for key, slug in (("confirm", h.DEMO_SLUG), ("instant", INSTANT_SLUG)):
        run = runs[key]
        stored = h.chorus_stored(db, slug, f"{run_id}{key}")
        check = h.compare(run.accepted, run.answered, stored)
        in_outage = Counter(
            status for stamp, status, _ in run.responses if outage[0] <= stamp <= outage[1]
        )
        report[key] = {
            **check,
            "statuses": dict(run.statuses),
            "statuses_during_outage": in_outage,
        }
        say(
            f"{slug}: statuses {dict(run.statuses)}; during the outage {dict(in_outage)}; "
            f"accepted {check['accepted']}, stored {check['stored']}, lost {check['lost']}, "
            f"doubled {check['doubled']}, stored without an answer "
            f"{check['stored_without_answer']}, stored but answered with an error "
            f"{check['stored_but_answered_error']}; socket errors "
            f"{ {k: run.summary[k] for k in ('connect_errors', 'read_errors', 'timeouts')} }"
        )
        checks.append((f"{slug}: no accepted signature lost", check["lost"] == 0))
        checks.append((f"{slug}: none doubled", check["doubled"] == 0))
        checks.append(
            (f"{slug}: no 500 answers", not any(s >= 500 and s != 503 for s in run.statuses))
        )
        false_success = sum(n for s, n in in_outage.items() if s in h.ACCEPTED)
        report[key]["accepted_during_outage"] = false_success
    confirmed = h.confirmed_rows(db, INSTANT_SLUG)
    counted = h.count_total(db, INSTANT_SLUG)
    checks.append(
        (f"counted once: PetitionCount total {counted} = confirmed rows {confirmed}",
         counted == confirmed)
    )  # fmt: skip
    demo_confirmed = h.confirmed_rows(db, h.DEMO_SLUG)
    demo_counted = h.count_total(db, h.DEMO_SLUG)
    checks.append(
        (f"demo petition: counted {demo_counted} = confirmed {demo_confirmed}",
         demo_counted == demo_confirmed)
    )  # fmt: skip
    pending = [
        email
        for (email,) in db.query(
            "SELECT s.email FROM petitions_signature s JOIN petitions_petition p "
            "ON p.id = s.petition_id WHERE p.slug = %s AND s.email LIKE %s",
            (h.DEMO_SLUG, f"{run_id}confirm-%"),
        )
    ]
    mails = h.mail_counts(mail_log, f"{run_id}confirm")
    unmailed = [email for email in pending if mails[email] == 0]
    repeats = {email: n for email, n in mails.items() if n > 1}
    report["mail"] = {
        "signatures_needing_mail": len(pending),
        "messages": sum(mails.values()),
        "without_mail": len(unmailed),
        "without_mail_examples": unmailed[:5],
        "addresses_mailed_twice_or_more": len(repeats),
        "repeat_messages": sum(n - 1 for n in repeats.values()),
        "jobs_left": jobs_left,
        "failed_jobs": failed_jobs,
        "drained_after_s": drained_after,
    }
    say(
        f"mail: {len(pending)} signatures needing confirmation, {sum(mails.values())} messages, "
        f"{len(unmailed)} without mail, {len(repeats)} addresses got a repeat "
        f"({report['mail']['repeat_messages']} extra messages); jobs left {jobs_left}, "
        f"failed {failed_jobs}"
    )
    checks.append(("every signature got its confirmation email", not unmailed))
    checks.append(("job ledger drained, nothing failed", jobs_left == 0 and failed_jobs == 0))
    checks.append(
        (f"during the outage a signature got 503 'please try again' (got {probe[0]})",
         probe[0] == 503 and probe[1])
    )  # fmt: skip
    print("\n=== Fault drill ===")
    for label, ok in checks:
        print(f"  [{'ok' if ok else 'FAILED'}] {label}")
    out = h.BENCH / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{time.strftime('%Y%m%d-%H%M%S')}-drill.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    say(f"details in {path.relative_to(h.ROOT)}")
    return all(ok for _, ok in checks)


if __name__ == "__main__":
    main()
