"""What the fraud limits add to a signature: microseconds per check, in one process.

Times petitions.services.limits.signature_flag_reason (the counters and the disposable
lookup every sign POST runs) with the defaults (network and domain limits, disposable
domains) and with every limit on, plus its parts: the canonical key and the disposable
lookup. The cache is the embedded one unless REDIS_URL is set:

    .venv/bin/python bench/fraud_limits.py [--signatures 20000]
    export CHORUS_SERVICES_DIR=$PWD/.tmp/services PG_PORT=55441 REDIS_PORT=56441
    scripts/services.sh start; eval "$(scripts/services.sh env)"
    .venv/bin/python bench/fraud_limits.py

No database is touched: the checks read and write the cache only. The full sign bench
(bench/bench.py) measures them inside a whole request.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
    os.environ.setdefault("SECRET_KEY", "fraud-bench-secret-key-for-loopback-only-0123456789")
    os.environ.setdefault("IP_HASH_KEY", "fraud-bench-ip-hash-key-for-loopback-only")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="chorus-fraudbench-"))
    import django

    django.setup()


def per_call_us(function, arguments: list, rounds: int = 3) -> float:
    """The best of `rounds` passes over the arguments, in microseconds per call."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for args in arguments:
            function(*args)
        best = min(best, time.perf_counter() - start)
    return best / len(arguments) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signatures", type=int, default=20000)
    options = parser.parse_args()
    setup()
    from django.conf import settings
    from django.core.cache import cache

    from lib.addresses import normalised_email_key
    from lib.disposable import is_disposable
    from petitions.services.limits import signature_flag_reason
    from petitions.services.signing import network_key

    n = options.signatures
    domains = ["gmail.com", "example.org", "mailinator.com", "bücher.example", "outlook.com"]
    emails = [f"Signer.{i}+x@{domains[i % len(domains)]}" for i in range(n)]
    keys = [normalised_email_key(email) for email in emails]
    networks = [network_key(f"198.51.{i % 250}.0/24") for i in range(n)]
    backend = "Redis" if settings.REDIS_URL else "the embedded cache (LocMemCache)"
    print(f"{n} signatures, {backend}, Python {sys.version.split()[0]}")

    def check(petition_id, key, network):
        signature_flag_reason(petition_id=petition_id, email_key=key, network=network)

    calls = [(i % 7, keys[i], networks[i]) for i in range(n)]
    rows = [
        ("canonical key (normalised_email_key)", normalised_email_key, [(e,) for e in emails]),
        (
            "disposable lookup (is_disposable)",
            is_disposable,
            [(k.rpartition("@")[2],) for k in keys],
        ),
    ]
    for label, function, arguments in rows:
        print(f"  {label:<52} {per_call_us(function, arguments):7.1f} µs")
    for label, values in [
        ("all checks, defaults (network, domain, disposable)", {}),
        ("all checks, every limit on (+ petition ceiling)", {"SIGN_LIMIT_PETITION": 10**9}),
        (
            "all checks, every limit off",
            {
                "SIGN_LIMIT_NETWORK": 0,
                "SIGN_LIMIT_DOMAIN": 0,
                "DISPOSABLE_DOMAINS": "off",
            },
        ),
    ]:
        saved = {name: getattr(settings, name) for name in values}
        for name, value in values.items():
            setattr(settings, name, value)
        cache.clear()
        print(f"  {label:<52} {per_call_us(check, calls):7.1f} µs")
        for name, value in saved.items():
            setattr(settings, name, value)
    cache.clear()


if __name__ == "__main__":
    main()
