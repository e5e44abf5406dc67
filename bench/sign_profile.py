"""Where one sign request's CPU goes: Chorus's sign path (or the ceiling's) run in process.

One thread posts N signatures straight into the WSGI application (no server, no network
client), each with a unique email, and prints the CPU and wall milliseconds per request
and the functions that took the most CPU (cProfile, cumulative and own time). Comparing
Chorus with the ceiling this way is free of the noise of a loaded machine.

    # Chorus on SQLite in a scratch directory (migrates and loads the demo itself):
    python bench/sign_profile.py chorus
    # on PostgreSQL (an empty database it may migrate):
    DATABASE_URL=postgres://... python bench/sign_profile.py chorus
    # the ceiling's minimal sign view:
    CEILING_DATABASE_URL=postgres://... python bench/sign_profile.py ceiling

Options: -n N requests (default 2000), --top K rows, --no-profile for timings only.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(app: str):
    if app == "chorus":
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
        os.environ.setdefault("SECRET_KEY", "profile-secret-key-for-loopback-only-0123456789")
        os.environ.setdefault("IP_HASH_KEY", "profile-ip-hash-key-for-loopback-only")
        os.environ.setdefault("DEBUG", "0")
        os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="chorus-profile-"))
        os.environ.setdefault("EMAIL_URL", "dummymail://")
        # Every signature from one address and domain: counted by the fraud limits, never over.
        os.environ.setdefault("SIGN_LIMIT_NETWORK", "1000000000")
        os.environ.setdefault("SIGN_LIMIT_DOMAIN", "1000000000")
        path, csrf_path = "/p/stop-face-scraping/sign/", "/p/stop-face-scraping/me.json"
        form = "first_name=Profile&last_name=Run&country=GB"
    else:
        sys.path.insert(0, str(ROOT / "bench"))
        os.environ["DJANGO_SETTINGS_MODULE"] = "ceiling.settings"
        if not os.environ.get("CEILING_DATABASE_URL"):
            scratch = tempfile.mkdtemp(prefix="ceiling-profile-")
            os.environ.setdefault("CEILING_SQLITE", f"{scratch}/ceiling.sqlite3")
        path, csrf_path, form = "/sign/", "/csrf.json", "name=Profile+Run&country=GB"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    if app == "chorus":
        call_command("chorus_demo", verbosity=0)
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application(), path, csrf_path, form


def call(application, method: str, path: str, body: bytes = b"", cookie: str = ""):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_COOKIE": cookie,
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = status
        seen["headers"] = headers

    body = b"".join(application(environ, start_response))
    return seen["status"], seen["headers"], body


def server_cpu() -> float:
    """CPU seconds used so far by this machine's PostgreSQL processes (if it is local)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, tail = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        if head.split("(", 1)[1] == "postgres":
            fields = tail.split()
            used += (int(fields[11]) + int(fields[12])) / ticks
    return used


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("app", choices=["chorus", "ceiling"])
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    application, path, csrf_path, form = setup(args.app)

    import json

    status, headers, body = call(application, "GET", csrf_path)
    token = json.loads(body)["csrf"]
    cookie = "; ".join(
        value.split(";", 1)[0] for name, value in headers if name.lower() == "set-cookie"
    )
    run = f"prof{int(time.time())}"

    def post(i: int) -> None:
        data = f"csrfmiddlewaretoken={token}&{form}&email={run}-{i}%40profile.example.org"
        status, _, _ = call(application, "POST", path, data.encode(), cookie)
        if not status.startswith("302"):
            raise SystemExit(f"request {i} answered {status}")

    for i in range(50):  # warm up: imports, caches, the connection
        post(-i - 1)
    server_before = server_cpu()
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(args.n):
        post(i)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    server = server_cpu() - server_before
    print(
        f"{args.app}: {args.n} signatures in one thread, "
        f"{cpu / args.n * 1000:.3f} ms CPU and {wall / args.n * 1000:.3f} ms wall per request"
        + (f"; PostgreSQL used {server / args.n * 1000:.3f} ms CPU per request" if server else "")
    )
    if args.no_profile:
        return
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(args.n, args.n + min(args.n, 1000)):
        post(i)
    profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
        text = out.getvalue()
        print(text[text.find("   ncalls") :])
    print(f"Reproduce: python bench/sign_profile.py {args.app} -n {args.n}")


if __name__ == "__main__":
    main()
