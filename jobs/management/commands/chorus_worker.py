"""The background worker: runs due ledger jobs and every registered periodic loop.

Start as many as you like, on as many machines as you like: jobs are claimed under
leases, and a loop that must run alone (the count fold) takes its own lock. What
runs is whatever the apps registered in their jobs.py (jobs.registry): this
command knows no app.
"""

import contextlib
import os
import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from jobs.registry import LOOPS
from jobs.services import drainers_run, jobs_drain
from lib.mail import mail_connection_close


def lower_priority(nice: int) -> None:
    """Yield the CPU to web processes; threads inherit it.

    With the kernel's autogroup scheduling on (the default on most distributions),
    niceness only ranks threads within one session, and the CPU is first shared fairly
    between sessions. A worker that leads its own session (started with setsid, as by
    a supervisor or the benchmark) would so get as much CPU as all web processes
    together; its autogroup is its own, so it is lowered as well.
    """
    os.nice(nice)
    if os.getsid(0) == os.getpid():
        try:
            with open("/proc/self/autogroup", "w") as autogroup:
                autogroup.write(str(nice))
        except OSError:  # no autogroup support, or not allowed: plain niceness it is
            pass


def use_idle_cpu_only() -> None:
    """Run this thread only on CPU time nothing else wants (Linux's SCHED_IDLE).

    Niceness still gives a busy worker a tenth of a contended core; under a spike the
    web processes need all of it, and the emails can wait until it passes.
    """
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        # Not allowed here: niceness alone it is.
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def loops_run_due(last_run: dict[str, float]) -> int:
    """Run each registered loop whose interval has passed; how much they did."""
    worked = 0
    for loop in LOOPS.values():
        if time.monotonic() - last_run.get(loop.name, float("-inf")) >= loop.interval():
            worked += loop.run() or 0
            last_run[loop.name] = time.monotonic()
    return worked


class Command(BaseCommand):
    help = "Run background jobs and the periodic loops the apps registered."

    def add_arguments(self, parser):
        parser.add_argument(
            "--idle-sleep",
            type=float,
            default=0.25,
            help="Seconds an idle job thread waits before asking the ledger again.",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=4,
            help="Threads running jobs; sending mail mostly waits, so a few help.",
        )
        parser.add_argument(
            "--nice",
            type=int,
            default=10,
            help="Scheduling niceness: on a machine shared with web processes, people "
            "signing come first (0 to turn off).",
        )
        parser.add_argument(
            "--idle-cpu",
            action="store_true",
            help="Run the job threads only on CPU time nothing else wants (SCHED_IDLE). "
            "Off by default: under load it starved the emails and, through the threads' "
            "share of the GIL and the write turn, the count fold too (docs/benchmarks.md).",
        )
        parser.add_argument(
            "--only",
            choices=["jobs", "loops"],
            help="Run only the job threads, or only the periodic loops (the count fold). "
            "Two processes, `--only loops` and `--only jobs --idle-cpu`, let the emails wait "
            "for idle CPU during a spike without stalling the fold, which shares the GIL "
            "with job threads in one process (docs/architecture.md).",
        )
        parser.add_argument(
            "--once", action="store_true", help="Run every loop, drain the ledger, exit."
        )

    def handle(self, *args, idle_sleep, threads, nice, idle_cpu, only, once, **options):
        if nice > 0:
            lower_priority(nice)
        if once:
            jobs_drain(budget_seconds=3600)
            loops_run_due({})
            while drainers_run():
                pass
            return
        self.running = True
        self.stopping = threading.Event()
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        job_threads = 0 if only == "loops" else max(1, threads)
        runners = [
            threading.Thread(target=self._run_jobs, args=(idle_sleep, idle_cpu), daemon=True)
            for _ in range(job_threads)
        ]
        for runner in runners:
            runner.start()
        try:
            if only == "jobs":
                self.stopping.wait()
            else:
                self._run_loops(idle_sleep)
        finally:
            for runner in runners:
                runner.join(timeout=30)

    def _run_loops(self, idle_sleep: float) -> None:
        last_run: dict[str, float] = {}
        while self.running:
            close_old_connections()
            try:
                worked = loops_run_due(last_run)
            except Exception as exc:  # database gone: wait and try again
                self.stderr.write(f"worker: {exc.__class__.__name__}: {exc}")
                self.stopping.wait(1.0)
                continue
            if not worked:
                self.stopping.wait(idle_sleep)

    def _run_jobs(self, idle_sleep: float, idle_cpu: bool) -> None:
        if idle_cpu:
            use_idle_cpu_only()
        while self.running:
            close_old_connections()
            try:
                # The ledger first (confirmations and other transactional mail); one
                # batch of the drainers' (a mailing's recipients) only when it is empty.
                worked = jobs_drain(budget_seconds=2.0) or drainers_run()
            except Exception as exc:  # database gone: wait and try again
                self.stderr.write(f"worker: {exc.__class__.__name__}: {exc}")
                self.stopping.wait(1.0)
                continue
            if not worked:
                mail_connection_close()
                self.stopping.wait(idle_sleep)
        mail_connection_close()
        close_old_connections()

    def _stop(self, signum, frame):
        self.running = False
        self.stopping.set()
