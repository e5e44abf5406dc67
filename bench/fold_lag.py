"""Does sending mail stall the count fold in the same worker? (issue 8, item 3)

One chorus_worker on SQLite with a backlog of confirmation emails to send, both cores
kept busy by stand-ins for web processes (plain busy loops at normal priority), and
signatures that count at once arriving at a steady rate. It samples how far the
shown count trails the signatures stored, and how many emails went out meanwhile.

    .venv/bin/python bench/fold_lag.py                   # job threads at equal priority
    .venv/bin/python bench/fold_lag.py --idle-cpu        # job threads on SCHED_IDLE
    .venv/bin/python bench/fold_lag.py --seconds 20 --rate 100 --backlog 3000

Prints one JSON line; docs/benchmarks.md has the figures.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

SEED = """
import sys
from petitions.models import Petition
from petitions.services import signature_create
petition = Petition.objects.get(slug="stop-face-scraping")
for n in range(int(sys.argv[1])):
    meta = {"REMOTE_ADDR": f"10.{n // 250 % 250}.{n % 250}.1"}
    data = {"first_name": "Backlog", "last_name": "Load", "email": f"backlog{n}@example.org",
            "country": "GB"}
    signature_create(petition=petition, request_meta=meta, data=data)
"""

WRITE_AND_SAMPLE = """
import json, sys, time
from petitions.counting import petition_count
from petitions.models import Petition
from petitions.services import signature_create
petition = Petition.objects.get(slug="bench-instant")
seconds, rate = float(sys.argv[1]), float(sys.argv[2])
started = time.monotonic(); stored = 0; samples = []
while time.monotonic() - started < seconds:
    due = int((time.monotonic() - started) * rate)
    while stored < due:
        data = {"first_name": "Now", "last_name": "Counted", "email": f"now{stored}@example.org",
                "country": "GB"}
        signature_create(petition=petition, request_meta={"REMOTE_ADDR": "10.9.9.9"}, data=data)
        stored += 1
    samples.append(stored - petition_count(petition))
    time.sleep(0.1)
print(json.dumps({"stored": stored, "lag_samples": samples}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def django_run(env: dict, code: str, *args: str, timeout: float = 600) -> str:
    prelude = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'chorus.settings'); "
        "django.setup()\n"
    )
    done = subprocess.run(
        [h.PY, "-c", prelude + code, *args], env=env, cwd=h.ROOT, check=True,
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle-cpu", action="store_true")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--backlog", type=int, default=3000)
    parser.add_argument("--hogs", type=int, default=2)
    args = parser.parse_args()
    # Stopped from outside, still stop what it started (the busy loops above all).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    work = h.ROOT / ".tmp" / "fold-lag"
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob("*.sqlite3*"):
        old.unlink()
    mail_log = work / "mail.log"
    mail_log.unlink(missing_ok=True)
    port = free_port()
    env = h.chorus_env(data_dir=work, smtp_port=port)
    h.manage(env, "migrate", "--noinput")
    h.manage(env, "chorus_demo")
    subprocess.run(
        [h.PY, "bench/chorus_ops.py", "petition", "--slug", "bench-instant", "--no-confirmation"],
        env=env, cwd=h.ROOT, check=True, capture_output=True,
    )  # fmt: skip
    django_run(env, SEED, str(args.backlog))

    started = []
    try:
        sink = [h.PY, "bench/smtp_sink.py", "--port", str(port), "--log", str(mail_log)]
        started.append(subprocess.Popen(sink, cwd=h.ROOT))
        time.sleep(1)
        for _ in range(args.hogs):
            started.append(subprocess.Popen([h.PY, "-c", "while True: pass"]))
        worker = ["manage.py", "chorus_worker"] + (["--idle-cpu"] if args.idle_cpu else [])
        started.append(subprocess.Popen([h.PY, *worker], env=env, cwd=h.ROOT))
        time.sleep(2)
        mails_before = sum(1 for _ in mail_log.open()) if mail_log.exists() else 0
        try:
            sampled = django_run(
                env, WRITE_AND_SAMPLE, str(args.seconds), str(args.rate), timeout=args.seconds * 6
            )
        except subprocess.TimeoutExpired:
            # The writer itself stalled: the worker held what signing needs.
            print(json.dumps({"idle_cpu": args.idle_cpu, "stalled": True}))
            return
        result = json.loads(sampled)
        mails = sum(1 for _ in mail_log.open()) - mails_before
    finally:
        for process in reversed(started):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    lags = sorted(result["lag_samples"])
    print(
        json.dumps(
            {
                "idle_cpu": args.idle_cpu,
                "rate_per_s": args.rate,
                "stored": result["stored"],
                "lag_signatures_median": lags[len(lags) // 2],
                "lag_signatures_p95": lags[int(len(lags) * 0.95)],
                "lag_signatures_max": lags[-1],
                "lag_seconds_p95": round(lags[int(len(lags) * 0.95)] / args.rate, 2),
                "mails_sent_during_run": mails,
                "load_average": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    main()
