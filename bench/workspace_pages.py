"""How fast the workspace answers for a petition with a million signatures.

Seeds one petition with 1,000,000 signatures set-wise (PostgreSQL's INSERT ... SELECT
generate_series: mixed states, 40 countries, every channel, 60 days of dates), rebuilds
its folded counts with petition_recount, then asks for every workspace page of that
petition as a signed-in owner through Django's test client (the whole request: middleware,
session, permission check, queries, template) N times each, and prints the median and
95th percentile per page. The target is under 500 ms for every page.

    scripts/services.sh start             # or any PostgreSQL 15 you may fill
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/chorus_wsbench \\
        .venv/bin/python bench/workspace_pages.py [--rows 1000000] [-n 20] [--explain]

The database is created if missing and migrated; the seed is kept between runs (a petition
with the slug "workspace-bench" and the asked number of rows is reused; --reseed redoes
it). --explain prints EXPLAIN ANALYZE of the slowest query of each page.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SLUG = "workspace-bench"
TARGET_MS = 500


def _words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = _words(
    "Ada Grace Alan Edsger Barbara Donald Frances Katherine Margaret John Mary Ann Hedy "
    "Radia Sophie Tim Linus Guido Bjarne Dennis Ken Niklaus Leslie Tony Shafi Whitfield "
    "Martin Zoë Chloé José Søren Ingrid Åsa Björn Małgorzata Łukasz Olga Yusuf Amara "
    "Kwame Ngozi Aiko Hiro Mei Wei Priya Arjun Fatima Omar Lucía"
)
LAST_NAMES = _words(
    "Lovelace Hopper Turing Dijkstra Liskov Knuth Allen Johnson Hamilton McCarthy Keller "
    "Lamarr Perlman Wilson Berners-Lee Torvalds Rossum Stroustrup Ritchie Thompson Wirth "
    "Lamport Hoare Goldwasser Diffie Hellman Fowler Müller Schmidt Schneider Fischer Weber "
    "Meyer Wagner Becker Schulz Hoffmann Dubois Durand Lefèvre Moreau Laurent Simon Michel "
    "García Fernández González Rodríguez López Martínez Sánchez Pérez Rossi Russo Ferrari "
    "Esposito Bianchi Romano Colombo Jensen Nielsen Hansen Pedersen Andersen Kowalski "
    "Nowak Wiśniewski Wójcik Kamiński Novák Svoboda Dvořák Nagy Horváth Kovács Popescu "
    "Ionescu Papadopoulos Yilmaz Kaya Demir Okafor Mensah Nakamura Tanaka Suzuki Chen Wang "
    "Li Zhang Kumar Singh Patel Khan Ahmed Hassan O'Brien Murphy Kelly Walsh Smith Jones"
)
# Forty countries, the first ones far more common (a signer's country is skewed in life too).
COUNTRIES = _words(
    "GB GB GB GB GB GB DE DE DE DE FR FR FR NL NL ES ES IT IT IE BE PL SE DK AT CH PT CZ FI NO "
    "GR HU RO US CA AU NZ IN BR MX ZA JP KR TR UA LU IS MT EE LV LT SI SK HR CY"
)
CHANNELS = ["", "", "", "facebook", "x", "whatsapp", "telegram", "email", "link", "mailing"]


def setup():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database this benchmark may fill.")
    _database_ensure(url)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
    os.environ.setdefault("SECRET_KEY", "workspace-bench-secret-key-for-loopback-only-0123456789")
    os.environ.setdefault("IP_HASH_KEY", "workspace-bench-ip-hash-key-for-loopback-only")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="chorus-wsbench-"))
    os.environ.setdefault("EMAIL_URL", "dummymail://")
    os.environ["REDIS_URL"] = os.environ.get("REDIS_URL", "")
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    # Static file names without collectstatic's manifest: the pages are what is measured.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
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


def seed(rows: int, reseed: bool):
    from django.db import connection

    from orgs.models import Organisation
    from petitions.counting import petition_recount
    from petitions.models import Petition, PetitionCount, Signature

    organisation = Organisation.objects.first() or Organisation.objects.create(
        name="Bench Alliance", postal_address="1 Bench Street", privacy_email="p@bench.example"
    )
    petition = Petition.objects.filter(slug=SLUG).first()
    total = PetitionCount.objects.filter(petition=petition, dimension="total").first()
    if petition and not reseed and petition.signatures.exists():
        last = petition.signatures.order_by("-id").values_list("email", flat=True).first()
        if last == f"signer{rows}@bench.example":
            print(f"reusing the seeded petition ({total.count if total else 0:,} confirmed)")
            return petition
    if petition:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM petitions_signatureevent")
            cursor.execute("DELETE FROM petitions_signature WHERE petition_id = %s", [petition.pk])
        petition.delete()
    petition = Petition.objects.create(
        organisation=organisation,
        slug=SLUG,
        title="Stop the scraping of our photos",
        target="PhotoCircle, the social network",
        summary="A million people ask one network to stop.",
        story="Our faces are **not** raw material.",
        status=Petition.Status.OPEN,
    )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(SEED_SQL, _seed_params(petition.pk, rows))
        cursor.execute(
            "INSERT INTO petitions_signatureevent (signature_id, from_state, to_state, at, note)"
            " SELECT id, 'confirmed', state, confirmed_at + interval '1 day', 'bench'"
            " FROM petitions_signature WHERE petition_id = %s"
            " AND state IN ('invalidated', 'fraudulent')",
            [petition.pk],
        )
    print(f"seeded {rows:,} signatures in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    petition_recount(petition=petition)
    print(f"recounted in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE petitions_signature")
        cursor.execute("VACUUM ANALYZE petitions_petitioncount")
    assert Signature.objects.filter(petition=petition).exists()
    return petition


def _seed_params(petition_id: int, rows: int) -> dict:
    return {
        "petition": petition_id,
        "rows": rows,
        "first": FIRST_NAMES,
        "last": LAST_NAMES,
        "countries": COUNTRIES,
        "channels": CHANNELS,
    }


# Row i was signed at now - 60 days * (rows - i) / rows, so ids rise with time as in life;
# its state: 80 % confirmed, 12 % pending, 5 % invalidated, 3 % fraudulent.
SEED_SQL = """
INSERT INTO petitions_signature (
    petition_id, code, state, email, email_key, first_name, last_name, country, postcode,
    comment, show_name, opt_in, opt_in_wording_version, language, channel, ip_hash,
    ip_prefix, member_id, token_nonce, token_hash, token_expires_at, created_at,
    confirmed_at, counted, count_dirty, comment_hidden, flag_reason
)
SELECT
    %(petition)s,
    substr(md5(i::text), 1, 16),
    s.state,
    'signer' || i || '@bench.example',
    '1:signer' || i || '@bench.example',
    (%(first)s::text[])[1 + (i * 7) %% cardinality(%(first)s::text[])],
    (%(last)s::text[])[1 + (i * 13) %% cardinality(%(last)s::text[])],
    (%(countries)s::text[])[1 + (i * 31 + i / 7) %% cardinality(%(countries)s::text[])],
    'N1 0AA',
    CASE WHEN i %% 5 = 0 THEN 'Because it matters to me.' ELSE '' END,
    i %% 3 = 0,
    i %% 2 = 0,
    CASE WHEN i %% 2 = 0 THEN '2026-01' ELSE '' END,
    'en',
    (%(channels)s::text[])[1 + (i * 17 + i / 3) %% cardinality(%(channels)s::text[])],
    md5('ip' || (i %% 50000)::text),
    '203.0.113.0/24',
    NULL,
    md5('nonce' || i::text),
    md5('token' || i::text),
    NULL,
    s.created_at,
    CASE WHEN s.state = 'pending' THEN NULL ELSE s.created_at + interval '5 minutes' END,
    s.state = 'confirmed',
    false,
    false,
    ''
FROM generate_series(1, %(rows)s) AS i
CROSS JOIN LATERAL (
    SELECT
        CASE
            WHEN i %% 100 < 80 THEN 'confirmed'
            WHEN i %% 100 < 92 THEN 'pending'
            WHEN i %% 100 < 97 THEN 'invalidated'
            ELSE 'fraudulent'
        END AS state,
        now() - interval '60 days' * (%(rows)s - i)::float / %(rows)s AS created_at
) AS s
ORDER BY i
"""


def owner_client():
    from django.contrib.auth.models import Group, User
    from django.http import HttpRequest
    from django.test import Client
    from django_otp import login as otp_login
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from orgs.roles import roles_ensure

    roles_ensure()
    user, _ = User.objects.get_or_create(
        username="bench-owner", defaults={"is_staff": True, "email": "owner@bench.example"}
    )
    user.groups.add(Group.objects.get(name="Owner"))
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    otp_login(request, device)
    request.session.save()
    return client


def pages(petition, client) -> list[tuple[str, str]]:
    from django.utils import timezone

    from petitions.models import Update

    base = f"/staff/petitions/{petition.pk}/"
    if not petition.updates.exists():
        for n in range(3):
            Update.objects.create(
                petition=petition, title=f"Update {n}", body="News.", published_at=timezone.now()
            )
    signatures = petition.signatures.order_by("id")
    middle = signatures.values_list("id", flat=True)[500_000 if _rows(petition) > 500_000 else 0]
    someone = signatures.filter(id__gte=middle).values_list("email", "id").first()
    day = timezone.now().date()
    page_two = _older_link(client, base + "signatures/")
    return [
        ("overview", base),
        ("signatures, page 1", base + "signatures/"),
        ("signatures, page 2 (keyset link)", base + "signatures/" + page_two),
        ("signatures, a page in the middle", base + f"signatures/?older={middle}"),
        ("search: email", base + f"signatures/?q={someone[0]}"),
        ("search: name prefix 'hop'", base + "signatures/?q=hop"),
        ("search: name prefix 'a' (common)", base + "signatures/?q=a"),
        ("search: first and last 'grace lov'", base + "signatures/?q=grace+lov"),
        ("search: no such name", base + "signatures/?q=zzzz"),
        ("filter: state fraudulent", base + "signatures/?state=fraudulent"),
        ("filter: state pending", base + "signatures/?state=pending"),
        ("filter: channel whatsapp", base + "signatures/?channel=whatsapp"),
        ("filter: country Portugal", base + "signatures/?country=Portugal"),
        ("filter: country with no signer", base + "signatures/?country=Tuvalu"),
        (
            "filter: 2 days, 30 days ago",
            base + f"signatures/?date_from={day - timezone.timedelta(days=31)}"
            f"&date_to={day - timezone.timedelta(days=30)}",
        ),
        (
            "filter: dates before any signature",
            base + "signatures/?date_from=2020-01-01&date_to=2020-01-31",
        ),
        (
            "filter: confirmed, DE, x, name 'm'",
            base + "signatures/?state=confirmed&country=DE&channel=x&q=m",
        ),
        ("signature detail", base + f"signatures/{someone[1]}/"),
        ("updates", base + "updates/"),
        ("export page", base + "export/"),
    ]


def _rows(petition) -> int:
    last = petition.signatures.order_by("-id").values_list("email", flat=True).first() or ""
    return int(last.removeprefix("signer").split("@")[0] or 0)


def _older_link(client, url: str) -> str:
    import re

    body = client.get(url).content.decode()
    found = re.search(r'href="(\?[^"]*older=\d+[^"]*)"', body)
    assert found, "page 1 has no Older link"
    return found.group(1).replace("&amp;", "&")


def measure(client, url: str, n: int) -> list[float]:
    timings = []
    for attempt in range(n + 2):
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, (url, response.status_code)
        if attempt >= 2:  # two warm-up requests: first use of a template, a plan
            timings.append(elapsed)
    return timings


def explain_slowest(client, url: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
    print(f"    slowest query ({float(slowest['time']) * 1000:.1f} ms):")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
        for (line,) in cursor.fetchall():
            print("      " + line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("-n", type=int, default=20, help="requests per page (after 2 warm-up)")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--only", default="", help="only the pages whose name contains this")
    args = parser.parse_args()
    setup()
    petition = seed(args.rows, args.reseed)
    client = owner_client()
    print(f"\n{os.cpu_count()} cores; {args.n} requests per page; target < {TARGET_MS} ms\n")
    print(f"{'page':<40} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    slow = []
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for name, url in pages(petition, client):
        if args.only not in name:
            continue
        timings = sorted(measure(client, url, args.n))
        median = statistics.median(timings)
        p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        print(f"{name:<40} {median:>10.1f} {p95:>8.1f} {len(captured.captured_queries):>8}")
        if p95 >= TARGET_MS:
            slow.append(name)
        if args.explain:
            explain_slowest(client, url)
    print("\nevery page under target" if not slow else f"\nOVER TARGET: {', '.join(slow)}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
