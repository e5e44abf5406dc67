"""The background worker: runs due ledger jobs and folds counts, forever.

Start as many as you like, on as many machines as you like: jobs are claimed
under leases, and the count fold takes a lock so only one runs at a time.
Alongside, it runs the task backend's own worker for queued tasks.
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from jobs.services import jobs_drain, jobs_prune
from jobs.tasks import WORKER_PID_ENV
from lib.mail import mail_connection_close
from petitions.counting import counts_fold_all
from petitions.services import mail_allowances_prune

PRUNE_INTERVAL = 3600.0


def lower_priority(nice: int) -> None:
    """Yield the CPU to web processes; threads and the task worker child inherit it.

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
    web processes need all of it, and the emails can wait until it passes. The count
    fold stays in the main thread at plain lowered priority, so counts keep moving.
    """
    if hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        # Not allowed here: niceness alone it is.
        with contextlib.suppress(OSError):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


class Command(BaseCommand):
    help = "Run background jobs and the periodic count fold."

    def add_arguments(self, parser):
        parser.add_argument(
            "--idle-sleep",
            type=float,
            default=1.0,
            help="Seconds an idle job thread waits before looking again, unless woken "
            "by the task queue (signing wakes it at once).",
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
            help="Scheduling niceness; above 0 the job threads also run only on CPU time "
            "nothing else wants (SCHED_IDLE): on a machine shared with web processes, "
            "people signing come first and emails catch up after the spike (0 to turn off).",
        )
        parser.add_argument("--once", action="store_true", help="Drain everything, then exit.")
        parser.add_argument(
            "--no-task-worker",
            action="store_true",
            help="Do not start the task backend's worker beside this one.",
        )

    def handle(self, *args, idle_sleep, threads, nice, once, no_task_worker, **options):
        if nice > 0:
            lower_priority(nice)
        if once:
            jobs_drain(budget_seconds=3600)
            counts_fold_all()
            return
        self.running = True
        self.wake = threading.Event()
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGUSR1, lambda *_: self.wake.set())
        child = None if no_task_worker else self._start_task_worker()
        runners = [
            threading.Thread(target=self._run_jobs, args=(idle_sleep, nice > 0), daemon=True)
            for _ in range(max(1, threads))
        ]
        for runner in runners:
            runner.start()
        last_fold = last_prune = 0.0
        try:
            while self.running:
                close_old_connections()
                try:
                    worked = 0
                    if time.monotonic() - last_fold >= settings.COUNT_FOLD_INTERVAL:
                        worked += counts_fold_all()
                        last_fold = time.monotonic()
                    if time.monotonic() - last_prune >= PRUNE_INTERVAL:
                        jobs_prune()
                        mail_allowances_prune()
                        last_prune = time.monotonic()
                except Exception as exc:  # database gone: wait and try again
                    self.stderr.write(f"worker: {exc.__class__.__name__}: {exc}")
                    time.sleep(1.0)
                    continue
                if not worked:
                    time.sleep(min(idle_sleep, settings.COUNT_FOLD_INTERVAL))
        finally:
            for runner in runners:
                runner.join(timeout=30)
            if child is not None:
                child.terminate()
                child.wait(timeout=10)

    def _run_jobs(self, idle_sleep: float, idle_class: bool) -> None:
        if idle_class:
            use_idle_cpu_only()
        while self.running:
            close_old_connections()
            try:
                worked = jobs_drain(budget_seconds=2.0)
            except Exception as exc:  # database gone: wait and try again
                self.stderr.write(f"worker: {exc.__class__.__name__}: {exc}")
                time.sleep(1.0)
                continue
            if not worked:
                mail_connection_close()
                if self.wake.wait(idle_sleep):
                    self.wake.clear()
        mail_connection_close()
        close_old_connections()

    def _stop(self, signum, frame):
        self.running = False
        self.wake.set()

    def _start_task_worker(self):
        if settings.REDIS_URL:
            # SimpleWorker runs each task in this process: the default forks a copy of
            # Django per task, which under a spike of wake-ups cost more than the work.
            command = [
                "rqworker", "default", "--job-class", "django_tasks_rq.Job",
                "--worker-class", "rq.worker.SimpleWorker",
            ]  # fmt: skip
        else:
            command = ["db_worker", "--interval", "1"]
        env = {**os.environ, WORKER_PID_ENV: str(os.getpid())}
        return subprocess.Popen([sys.executable, sys.argv[0], *command], env=env)
