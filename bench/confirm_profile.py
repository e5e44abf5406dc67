"""Where one confirmation email's CPU goes: the worker's job path run in process.

Signs N times straight into the WSGI application (as bench/sign_profile.py does, on SQLite
in a scratch directory unless DATABASE_URL is set), then runs the confirmation jobs in
this one thread under cProfile, sending to an SMTP sink it starts on a loopback port. Prints
the CPU milliseconds per job and the functions that took the most CPU (cumulative). The
capacity benchmark (bench/capacity.py) measured a confirmation at about six times a
mailing email's worker CPU; this says why.

    python bench/confirm_profile.py            # N = 1500
    python bench/confirm_profile.py -n 500 --top 60
"""

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SMTP_PORT = 18499


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=1500)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    sink_log = Path(tempfile.mkdtemp(prefix="chorus-confirm-profile-")) / "mail.log"
    sink = subprocess.Popen(
        [sys.executable, str(BENCH / "smtp_sink.py"), "--port", str(SMTP_PORT),
         "--log", str(sink_log)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        profile(args.n, args.top)
        print(f"the sink received {len(sink_log.read_text().splitlines())} messages")
    finally:
        sink.terminate()
        sink.wait(timeout=10)


def profile(count: int, top: int) -> None:
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{SMTP_PORT}"
    # One client address for every signature: the per-network mail ceiling would hold
    # back all but the first hundred (the load benchmark lifts it the same way).
    os.environ["UNVERIFIED_MAIL_PER_NETWORK_HOUR"] = "0"
    sys.path.insert(0, str(BENCH))
    import sign_profile

    application, path, csrf_path, form = sign_profile.setup("chorus")
    _, headers, body = sign_profile.call(application, "GET", csrf_path)
    token = json.loads(body)["csrf"]
    cookie = "; ".join(v.split(";")[0] for k, v in headers if k.lower() == "set-cookie")
    for n in range(count):
        data = f"{form}&email=confirm{n}%40example.org&csrfmiddlewaretoken={token}"
        sign_profile.call(application, "POST", path, data.encode(), cookie)

    from jobs.services import jobs_drain

    jobs_drain(limit=50, budget_seconds=1)  # warm: templates, the kept SMTP connection
    started = time.process_time()
    # CPU time, not wall time: waiting for the sink or the database is not the cost here.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    done = jobs_drain(limit=50, budget_seconds=600)
    profiler.disable()
    cpu = time.process_time() - started
    print(f"{done} confirmation jobs, {1000 * cpu / max(1, done):.2f} ms of CPU each "
          "(under cProfile, which adds its own)")  # fmt: skip
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)


if __name__ == "__main__":
    main()
