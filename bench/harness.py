"""Shared parts of the benchmark and the drill: processes, servers, wrk, the databases.

Everything listens on 127.0.0.1. Every process started here is in its own session, so
`Processes.stop_all()` (called in a `finally`) ends it with its children.
"""

import contextlib
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = sys.executable
SECRET_KEY = "bench-secret-key-only-for-loopback-benchmarks-0123456789abcdef"
IP_HASH_KEY = "bench-ip-hash-key-only-for-loopback-benchmarks"
DEMO_SLUG = "stop-face-scraping"
CHORUS_FORM = "first_name=Bench&last_name=Load&country=GB"
CEILING_FORM = "name=Bench+Load&country=GB"
ACCEPTED = {301, 302, 303}


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# Processes ----------------------------------------------------------------------------


class Processes:
    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], env: dict, cwd: Path = ROOT):
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.running[name] = process
        return process

    def stop(self, name: str, timeout: float = 15) -> None:
        process = self.running.pop(name, None)
        if process is None:
            return
        _signal_group(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
        _signal_group(process.pid, signal.SIGKILL)  # leftovers: task workers, gunicorn children
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def cpu_by_command() -> Counter:
    """CPU seconds used so far by every live process, summed per command name."""
    ticks = os.sysconf("SC_CLK_TCK")
    used: Counter = Counter()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        name = head.split("(", 1)[1]
        if name == "python":  # which one: the worker, the task worker, the benchmark
            try:
                argv = (stat.parent / "cmdline").read_bytes().split(b"\0")
                name = " ".join(a.decode() for a in argv[1:3] if a).removeprefix("manage.py ")
            except OSError:
                pass
        fields = tail.split()
        used[name] += (int(fields[11]) + int(fields[12])) / ticks
    return used


def wait_settled(names: tuple[str, ...], timeout: float = 20) -> None:
    """Wait until the named processes have finished starting (their CPU use drops).

    Workers import Django and their task worker for a second or two of CPU; measured
    runs should not pay for that.
    """
    deadline = time.monotonic() + timeout
    last = sum(v for k, v in cpu_by_command().items() if k.startswith(names))
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = sum(v for k, v in cpu_by_command().items() if k.startswith(names))
        if now - last < 0.05:  # under a tenth of a core
            return
        last = now


def cpu_split(before: Counter, after: Counter, seconds: float) -> dict[str, float]:
    """Cores used per command name over a run (2.0 is both cores of this machine)."""
    split = {name: (after[name] - before.get(name, 0)) / seconds for name in after}
    return {name: round(cores, 3) for name, cores in sorted(split.items(), key=lambda i: -i[1])
            if cores >= 0.01}  # fmt: skip


# Environments and servers -------------------------------------------------------------


def chorus_env(*, database_url: str = "", redis_url: str = "", data_dir: Path, smtp_port: int):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DEBUG="0",
        SECRET_KEY=SECRET_KEY,
        IP_HASH_KEY=IP_HASH_KEY,
        BASE_URL="http://127.0.0.1:8000",
        DATA_DIR=str(data_dir),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        LOG_LEVEL="WARNING",
        CHORUS_TESTING="0",
        PYTHONUNBUFFERED="1",
        # Every signature comes from 127.0.0.1: the per-network mail limit would hold
        # back all but the first hundred confirmation emails the bench counts.
        UNVERIFIED_MAIL_PER_NETWORK_HOUR="0",
        # ... and from one domain: the fraud limits would flag them (docs/trust.md). Counted
        # as always, so their cost is in the figures, but never over.
        SIGN_LIMIT_NETWORK="1000000000",
        SIGN_LIMIT_DOMAIN="1000000000",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def ceiling_env(*, database_url: str = "", sqlite_path: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CEILING_")}
    env.update(DJANGO_SETTINGS_MODULE="ceiling.settings", PYTHONPATH=str(BENCH))
    if database_url:
        env["CEILING_DATABASE_URL"] = database_url
    else:
        env["CEILING_SQLITE"] = str(sqlite_path)
    return env


@dataclass(frozen=True)
class Server:
    """How the application server runs: the same for Chorus and the ceiling."""

    kind: str = "granian"  # gunicorn-sync | gunicorn-gthread | granian
    workers: int = 2
    threads: int = 8

    def label(self) -> str:
        threads = f" x {self.threads} threads" if self.kind != "gunicorn-sync" else ""
        return f"{self.kind}, {self.workers} workers{threads}"

    def command(self, app: str, port: int) -> tuple[list[str], Path]:
        module, cwd = {
            "chorus": ("chorus.wsgi:application", ROOT),
            "ceiling": ("ceiling.wsgi:application", BENCH),
        }[app]
        if self.kind == "granian":
            return [
                str(Path(PY).parent / "granian"),
                "--interface", "wsgi",
                "--host", "127.0.0.1",
                "--port", str(port),
                "--workers", str(self.workers),
                "--blocking-threads", str(self.threads),
                "--no-ws",
                # Without this a worker that dies takes the whole server down with it.
                "--respawn-failed-workers",
                "--respawn-interval", "1",
                "--log-level", "warning",
                module,
            ], cwd  # fmt: skip
        command = [PY, "-m", "gunicorn"]
        if (ROOT / "chorus/gunicorn.conf.py").exists():
            command += ["-c", str(ROOT / "chorus/gunicorn.conf.py")]
        command += [
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(self.workers),
            "--worker-class", self.kind.removeprefix("gunicorn-"),
            "--threads", str(self.threads),
            "--log-level", "warning",
            "--chdir", str(cwd),
            module,
        ]  # fmt: skip
        return command, cwd


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
                if response.status < 500:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def fetch_csrf(url: str) -> tuple[str, str]:
    """The form token and the Cookie header from a JSON endpoint that returns {"csrf": ...}."""
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        token = json.loads(response.read())["csrf"]
        cookie = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie.load(header)
    return token, f"csrftoken={cookie['csrftoken'].value}"


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


# wrk ----------------------------------------------------------------------------------


@dataclass
class SignRun:
    summary: dict
    statuses: Counter
    accepted: set[str]
    answered: set[str]
    sent: int
    responses: list[tuple[float, int, str]] = field(repr=False, default_factory=list)

    @property
    def seconds(self) -> float:
        return self.summary["duration_us"] / 1e6

    @property
    def errors(self) -> int:
        s = self.summary
        socket_errors = s["connect_errors"] + s["read_errors"] + s["write_errors"] + s["timeouts"]
        return socket_errors + sum(n for code, n in self.statuses.items() if code not in ACCEPTED)


def wrk_sign(
    *,
    base: str,
    path: str,
    csrf: tuple[str, str],
    form: str,
    prefix: str,
    clients: int,
    seconds: float,
    log_dir: Path,
    timeout: int = 10,
    delay_ms: int = 0,
) -> SignRun:
    """Sign with one unique email per request; one wrk thread per client (see sign.lua)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("thread-*.log"):
        old.unlink()
    summary_path = log_dir / "summary.json"
    env = dict(
        os.environ,
        BENCH_PATH=path,
        BENCH_CSRF=csrf[0],
        BENCH_COOKIE=csrf[1],
        BENCH_FORM=form,
        BENCH_PREFIX=prefix,
        BENCH_LOGDIR=str(log_dir),
        BENCH_SUMMARY=str(summary_path),
    )
    if delay_ms:
        env["BENCH_DELAY_MS"] = str(delay_ms)
    command = [
        "wrk", "-t", str(clients), "-c", str(clients), "-d", f"{seconds:g}s",
        "--timeout", f"{timeout}s", "-s", str(BENCH / "wrk/sign.lua"), base,
    ]  # fmt: skip
    cpu_before = cpu_by_command()
    summary = _run_wrk(command, env, summary_path)
    summary["cpu_cores"] = cpu_split(cpu_before, cpu_by_command(), summary["duration_us"] / 1e6)
    statuses: Counter = Counter()
    accepted, answered, responses = set(), set(), []
    for thread_log in log_dir.glob("thread-*.log"):
        for line in thread_log.read_text().splitlines():
            stamp, status, email = line.split()
            status = int(status)
            statuses[status] += 1
            answered.add(email)
            responses.append((float(stamp), status, email))
            if status in ACCEPTED:
                accepted.add(email)
    responses.sort()
    sent = sum(summary["sent"].values())
    return SignRun(summary, statuses, accepted, answered, sent, responses)


def wrk_read(*, url: str, clients: int, seconds: float, log_dir: Path, threads: int = 2) -> dict:
    log_dir.mkdir(parents=True, exist_ok=True)
    summary_path = log_dir / "read-summary.json"
    env = dict(os.environ, BENCH_SUMMARY=str(summary_path))
    command = [
        "wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds:g}s",
        "--timeout", "10s", "-s", str(BENCH / "wrk/read.lua"), url,
    ]  # fmt: skip
    summary = _run_wrk(command, env, summary_path)
    summary["rps"] = summary["requests"] / (summary["duration_us"] / 1e6)
    summary["errors"] = sum(
        summary[k]
        for k in ("connect_errors", "read_errors", "write_errors", "timeouts", "non_2xx_3xx")
    )
    return summary


def _run_wrk(command: list[str], env: dict, summary_path: Path) -> dict:
    """Run wrk; its summary, with the CPU seconds wrk itself used (it shares the cores)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = json.loads(summary_path.read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary["loadgen_cpu_share"] = cpu / (summary["duration_us"] / 1e6) / (os.cpu_count() or 1)
    return summary


# Databases ----------------------------------------------------------------------------


class Db:
    """Plain SQL on PostgreSQL (a URL) or SQLite (a path), %s placeholders for both."""

    def __init__(self, target: str):
        self.target = target
        self.postgres = target.startswith("postgres")

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.target, autocommit=True, connect_timeout=5) as conn:
                return conn.execute(sql, params).fetchall()
        conn = sqlite3.connect(self.target, timeout=20)
        try:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()
        finally:
            conn.close()

    def scalar(self, sql: str, params: tuple = ()):
        return self.query(sql, params)[0][0]


def postgres_database_create(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def compare(accepted: set[str], answered: set[str], stored_rows: list[str]) -> dict:
    """None lost (every accepted email stored) and none doubled."""
    stored = set(stored_rows)
    lost = sorted(accepted - stored)
    extra = stored - accepted
    return {
        "accepted": len(accepted),
        "stored": len(stored_rows),
        "lost": len(lost),
        "lost_examples": lost[:5],
        "doubled": len(stored_rows) - len(stored),
        # Stored though the client never heard success: cut off by the end of the run,
        # a killed process or a dropped connection. Not lost; a retry says "already signed".
        "stored_without_answer": len(extra - answered),
        "stored_but_answered_error": len(extra & answered),
    }


def chorus_stored(db: Db, slug: str, prefix: str) -> list[str]:
    rows = db.query(
        "SELECT s.email FROM petitions_signature s JOIN petitions_petition p "
        "ON p.id = s.petition_id WHERE p.slug = %s AND s.email LIKE %s",
        (slug, f"{prefix}-%"),
    )
    return [email for (email,) in rows]


def jobs_due(db: Db) -> int:
    return db.scalar("SELECT count(*) FROM jobs_job WHERE state = 'due'")


def confirmed_rows(db: Db, slug: str) -> int:
    return db.scalar(
        "SELECT count(*) FROM petitions_signature s JOIN petitions_petition p "
        "ON p.id = s.petition_id WHERE p.slug = %s AND s.state = 'confirmed'",
        (slug,),
    )


def count_total(db: Db, slug: str) -> int:
    rows = db.query(
        "SELECT c.count FROM petitions_petitioncount c JOIN petitions_petition p "
        "ON p.id = c.petition_id WHERE p.slug = %s AND c.dimension = 'total'",
        (slug,),
    )
    return rows[0][0] if rows else 0


def mail_counts(mail_log: Path, prefix: str) -> Counter:
    counts: Counter = Counter()
    if mail_log.exists():
        for line in mail_log.read_text().splitlines():
            address = line.split(" ", 1)[1]
            if address.startswith(f"{prefix}-"):
                counts[address] += 1
    return counts


def manage(env: dict, *args: str, quiet: bool = True) -> str:
    result = subprocess.run(
        [PY, "manage.py", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def chorus_ops(env: dict, *args: str) -> dict:
    result = subprocess.run(
        [PY, str(BENCH / "chorus_ops.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"chorus_ops {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def log_mentions(log_dir: Path, needle: str, names: list[str]) -> int:
    total = 0
    for name in names:
        path = log_dir / f"{name}.log"
        if path.exists():
            total += path.read_text(errors="replace").count(needle)
    return total
