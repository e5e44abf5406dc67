"""The delivery pack at scale (issue 12, item 2): the CSV and the PDF of a petition with
100,000 or 1,000,000 confirmed signatures, on PostgreSQL, with time and peak memory.

Seeds, set-wise (INSERT ... SELECT generate_series), one petition with N confirmed
signatures over 90 days from ten countries, every 50th showing its name with a comment
(so 20,000 public comments at 1,000,000: far more than the PDF's DELIVERY_PDF_COMMENTS),
folds the counts, then makes one pack in this process as chorus_worker would run its
ledger jobs: the CSV batch after batch to the end, then the PDF. It prints each phase's
time and the process's peak resident memory (getrusage's high-water mark) after it, and
the peak of Python's own allocations in each phase (tracemalloc, with --tracemalloc; it
slows the run about twofold). Run it once per size, each in a fresh process, so one
size's peak does not hide the other's:

    export CHORUS_SERVICES_DIR=$PWD/.tmp/services PG_PORT=55452 REDIS_PORT=56452
    scripts/services.sh start
    DATABASE_URL=postgres://postgres@127.0.0.1:55452/chorus_deliverybench \\
        .venv/bin/python bench/delivery_pack.py --signatures 100000
    DATABASE_URL=... .venv/bin/python bench/delivery_pack.py --signatures 1000000

The database is created if missing and migrated; each size's seed is kept between runs
(its own petition, reused when it has the asked size). docs/benchmarks.md has figures.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
ORGANISATION = "Delivery bench"


def setup():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database this benchmark may fill.")
    _database_ensure(url)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
    os.environ.setdefault("SECRET_KEY", "delivery-bench-secret-key-for-loopback-only-0123456789")
    os.environ.setdefault("IP_HASH_KEY", "delivery-bench-ip-hash-key-for-loopback-only")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="chorus-deliverybench-"))
    os.environ.setdefault("EMAIL_URL", "dummymail://")
    os.environ["REDIS_URL"] = os.environ.get("REDIS_URL", "")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _database_ensure(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}", file=sys.stderr)


SIGNATURES_SQL = """
INSERT INTO petitions_signature (petition_id, code, state, email, email_key, first_name,
  last_name, country, postcode, comment, show_name, opt_in, opt_in_wording_version,
  language, channel, ip_hash, ip_prefix, token_nonce, token_hash,
  created_at, confirmed_at, counted, count_dirty, comment_hidden, flag_reason)
SELECT %(petition)s, substr(md5(g::text), 1, 16), 'confirmed',
  's'||g||'@example.org', 's'||g||'@example.org',
  (ARRAY['Ada','Grace','Zoë','Jamal','Noor'])[1+g%%5],
  (ARRAY['Lovelace','Hopper','Ñúñez','Okafor','Haddad'])[1+(g/5)%%5],
  (ARRAY['GB','GB','GB','DE','DE','FR','US','AT','NL','IT'])[1+(g/7)%%10],
  'N1 '||(g%%9)||'AA',
  CASE WHEN g %% 50 = 0 THEN 'Signed because our faces are ours, not raw material '||g ELSE '' END,
  g %% 50 = 0, false, '', 'en', 'web', '', '10.0.0.0/24', '', '',
  t, t, false, true, false, ''
FROM (
  SELECT g, now() - interval '90 days' + interval '89 days' * g / %(n)s AS t
  FROM generate_series(1, %(n)s) g
) s
"""


def seed(signatures: int):
    from django.db import connection

    from orgs.models import Organisation
    from petitions.counting import counts_fold_all
    from petitions.models import Petition, Signature

    slug = f"deliverybench-{signatures}"
    petition = Petition.objects.filter(slug=slug).first()
    if petition and Signature.objects.filter(petition=petition).count() == signatures:
        print(f"reusing the seeded petition ({signatures:,} signatures)")
        return petition
    started = time.perf_counter()
    organisation = Organisation.objects.filter(name=ORGANISATION).first()
    if petition:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM petitions_signature WHERE petition_id = %s", [petition.pk])
        petition.delete()
    organisation = organisation or Organisation.objects.create(
        name=ORGANISATION, postal_address="1 Bench Street", privacy_email="p@bench.example"
    )
    petition = Petition.objects.create(
        organisation=organisation,
        slug=slug,
        title="Stop the scraping of our faces",
        target="PhotoCircle, the social network",
        summary="A bench petition.",
        story="Our faces are **not** raw material.\n\nStop scraping them.",
        status=Petition.Status.OPEN,
        delivery_fields=["name", "country", "postcode", "comment"],
    )
    with connection.cursor() as cursor:
        cursor.execute(SIGNATURES_SQL, {"petition": petition.pk, "n": signatures})
        cursor.execute("VACUUM ANALYZE petitions_signature")
    print(f"seeded {signatures:,} signatures in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    counts_fold_all()
    print(f"folded them in {time.perf_counter() - started:.0f} s")
    return petition


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def phase(label: str, func, trace: bool):
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - started
    traced = ""
    if trace:
        traced = (
            f", Python allocations peaked at {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MB"
        )
        tracemalloc.stop()
    print(f"{label:<28} {seconds:8.1f} s; peak RSS so far {peak_rss_mb():7.1f} MB{traced}")
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--signatures", type=int, default=100_000)
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    setup()
    from django.contrib.auth.models import User

    from delivery.models import DeliveryPack
    from delivery.packs import _batch_write, _finish, pack_path, pack_start

    petition = seed(args.signatures)
    by, _ = User.objects.get_or_create(username="delivery-bench", defaults={"is_staff": True})
    # Warm up: imports, the first queries, WeasyPrint's fonts; counted in no phase.
    import weasyprint  # noqa: F401

    print(f"peak RSS after start-up and seeding: {peak_rss_mb():.1f} MB")
    pack = pack_start(petition=petition, by=by)

    def csv_phase():
        while _batch_write(pack.pk, 5000):
            pass

    phase(f"CSV, {args.signatures:,} rows", csv_phase, args.tracemalloc)
    phase("PDF", lambda: _finish(pack.pk), args.tracemalloc)
    pack = DeliveryPack.objects.get(pk=pack.pk)
    csv_size = pack_path(pack, "csv").stat().st_size
    pdf_size = pack_path(pack, "pdf").stat().st_size
    print(
        f"pack {pack.pk}: {pack.state}, {pack.rows_done:,} rows, CSV {csv_size / 2**20:.1f} MB, "
        f"PDF {pdf_size / 2**20:.2f} MB with {pack.comments:,} comments "
        f"(total {pack.confirmed_total:,})"
    )
    pack_path(pack, "csv").unlink()
    pack_path(pack, "pdf").unlink()
    DeliveryPack.objects.filter(pk=pack.pk).update(state="deleted")


if __name__ == "__main__":
    main()
