"""Does the time a sign (or resend) request takes tell whether the address had signed?

Posts signatures for fresh addresses ("new") and for addresses that have signed
already ("repeat"), interleaved in random order so drift (a checkpoint, a busy
neighbour) hits both alike, and compares the two latency distributions; then the
same for the resend form with a pending address ("known") against one that never
signed ("unknown"). It prints percentiles, the difference of the medians with a
bootstrap 95% interval, and the probability that a random repeat took longer than a
random new signature (0.5: the two cannot be told apart). It also checks that the
answers are byte for byte the same, Date and Expires aside.

    # in process, straight into the WSGI application, SQLite in a scratch directory:
    .venv/bin/python bench/oracle.py
    # in process on PostgreSQL (an empty database it may migrate):
    DATABASE_URL=postgres://... .venv/bin/python bench/oracle.py
    # against a running server on loopback (make run; the demo petition):
    .venv/bin/python bench/oracle.py --url http://127.0.0.1:8000

Options: -n N requests of each kind (default 1000), --seconds S to stop early
(default 120), --seed for the order. Nothing leaves 127.0.0.1.
"""

import argparse
import http.client
import json
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

SLUG = "stop-face-scraping"
SIGN, RESEND, VISITOR = f"/p/{SLUG}/sign/", f"/p/{SLUG}/resend/", f"/p/{SLUG}/me.json"
FORM = "first_name=Oracle&last_name=Check&country=GB"


class InProcess:
    """Requests straight into Chorus's WSGI application, as sign_profile.py does."""

    def __init__(self):
        import os

        import sign_profile

        # The resend page links static files; without collected ones, plain storage.
        os.environ.setdefault("CHORUS_TESTING", "1")

        self.application, *_ = sign_profile.setup("chorus")
        self._call = sign_profile.call
        self.where = "in process (WSGI), " + self._database()

    @staticmethod
    def _database() -> str:
        from django.db import connection

        return connection.vendor

    def request(self, method, path, body=b"", cookie=""):
        status, headers, content = self._call(self.application, method, path, body, cookie)
        return int(status.split()[0]), headers, content


class OverHttp:
    """Requests to a running server on loopback, over one kept-alive connection."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("--url must be on loopback")
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=30)
        self.where = f"over HTTP to {url}"

    def request(self, method, path, body=b"", cookie=""):
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        self.connection.request(method, path, body=body or None, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.getheaders(), response.read()


def percentile(sorted_values: list[float], share: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


def slower_share(a: list[float], b: list[float]) -> float:
    """P(a random `a` takes longer than a random `b`), ties counting half (Mann-Whitney)."""
    ranked = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    rank_sum_a, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + j + 1) / 2  # ranks are 1-based
        rank_sum_a += mean_rank * sum(1 for k in range(i, j) if ranked[k][1] == 0)
        i = j
    u = rank_sum_a - len(a) * (len(a) + 1) / 2
    return u / (len(a) * len(b))


def median_gap(a: list[float], b: list[float], rng: random.Random) -> tuple[float, float, float]:
    """The median of `a` minus that of `b`, with a bootstrap 95% interval."""
    gaps = sorted(
        statistics.median(rng.choices(a, k=len(a))) - statistics.median(rng.choices(b, k=len(b)))
        for _ in range(500)
    )
    return statistics.median(a) - statistics.median(b), gaps[12], gaps[487]


def report(name_a: str, a: list[float], name_b: str, b: list[float], rng) -> None:
    print(
        f"  {'ms':<10}"
        + "".join(f"{p:>9}" for p in ("p10", "p25", "p50", "p75", "p90", "p99", "mean"))
    )
    for name, values in ((name_a, a), (name_b, b)):
        ordered = sorted(values)
        cells = [percentile(ordered, s) for s in (0.10, 0.25, 0.50, 0.75, 0.90, 0.99)]
        cells.append(statistics.fmean(values))
        print(f"  {name:<10}" + "".join(f"{v * 1000:9.3f}" for v in cells) + f"   n={len(values)}")
    gap, low, high = median_gap(a, b, rng)
    print(
        f"  median {name_a} - {name_b}: {gap * 1000:+.3f} ms (95% interval {low * 1000:+.3f} "
        f"to {high * 1000:+.3f}); P({name_a} slower than {name_b}) = {slower_share(a, b):.3f}"
    )


def comparable(status, headers, body) -> tuple:
    return (
        status,
        tuple(sorted((k.lower(), v) for k, v in headers if k.lower() not in ("date", "expires"))),
        body,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=1000, help="requests of each kind")
    parser.add_argument("--url", help="a running server on loopback instead of in process")
    parser.add_argument("--seconds", type=float, default=120.0, help="stop measuring after this")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    client = OverHttp(args.url) if args.url else InProcess()

    status, headers, body = client.request("GET", VISITOR)
    token = json.loads(body)["csrf"]
    cookie = "; ".join(
        v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie" and "csrftoken" in v
    )
    run = f"oracle{int(time.time())}"

    def post(path: str, fields: str):
        data = f"csrfmiddlewaretoken={token}&{fields}".encode()
        started = time.perf_counter()
        answer = client.request("POST", path, data, cookie)
        return time.perf_counter() - started, answer

    def sign(address: str, first_name: str = "Oracle"):
        return post(SIGN, f"{FORM.replace('Oracle', first_name)}&email={address}")

    known = [f"{run}-known-{i}%40oracle.example.org" for i in range(min(args.n, 500))]
    for address in known:  # the addresses that have signed, and a warm-up
        sign(address)
    for i in range(50):
        sign(f"{run}-warm-{i}%40oracle.example.org")
        post(RESEND, f"email={rng.choice(known)}")

    plan = [("new", i) for i in range(args.n)] + [("repeat", i) for i in range(args.n)]
    plan += [("known", i) for i in range(args.n)] + [("unknown", i) for i in range(args.n)]
    rng.shuffle(plan)
    times: dict[str, list[float]] = {"new": [], "repeat": [], "known": [], "unknown": []}
    answers: dict[str, set] = {"sign": set(), "resend": set()}
    deadline = time.monotonic() + args.seconds
    for kind, i in plan:
        if time.monotonic() > deadline:
            break
        if kind == "new":
            took, answer = sign(f"{run}-new-{i}%40oracle.example.org")
        elif kind == "repeat":
            took, answer = sign(rng.choice(known), first_name="Mallory")
        elif kind == "known":
            took, answer = post(RESEND, f"email={rng.choice(known)}")
        else:
            took, answer = post(RESEND, f"email={run}-unknown-{i}%40oracle.example.org")
        if answer[0] >= 500:
            raise SystemExit(f"{kind} {i} answered {answer[0]}")
        times[kind].append(took)
        body = answer[2].replace(b"%40", b"@")
        for address in (*known, f"{run}-unknown-{i}%40oracle.example.org"):
            body = body.replace(address.replace("%40", "@").encode(), b"")
        answers["sign" if kind in ("new", "repeat") else "resend"].add(
            comparable(answer[0], answer[1], body)
        )

    print(f"Membership oracle check, {client.where}, seed {args.seed}")
    print("Sign: a fresh address (new) against one that signed already (repeat)")
    report("new", times["new"], "repeat", times["repeat"], rng)
    print("Resend: a pending address (known) against one that never signed (unknown)")
    report("known", times["known"], "unknown", times["unknown"], rng)
    same = {name: len(kinds) == 1 for name, kinds in answers.items()}
    print(
        "Answers byte for byte the same, Date and Expires aside: "
        f"sign {same['sign']}, resend {same['resend']}"
    )
    command = "DATABASE_URL=... " if not args.url and "postgres" in client.where else ""
    url = f" --url {args.url}" if args.url else ""
    print(
        f"Reproduce: {command}.venv/bin/python bench/oracle.py -n {args.n}{url} --seed {args.seed}"
    )
    if not all(same.values()):
        for name, kinds in answers.items():
            if len(kinds) > 1:
                first, *others = sorted(kinds, key=repr)
                for other in others:
                    print(f"{name} answers differ: {first[:2]} / {other[:2]}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
