"""How fast segments count on 1,000,000 members (PostgreSQL).

Seeds, set-wise (INSERT ... SELECT generate_series), an organisation of its own with N
members (default 1,000,000: ten countries, five languages, every subscription status,
three years of join dates), four petitions they signed (400,000, 100,000, 10,000 and 1,000
signatures; mixed states, a year of dates), two sent mailings (600,000 and 200,000
recipients, 5 % of them clicked) and 10,000 suppressed addresses. Then it counts each kind
of condition, a few negations, and combined definitions through mailings.segments (the
same calls the builder's live count makes), three times each, and prints the median, the
command that reproduces the figures, and EXPLAIN (ANALYZE, BUFFERS) of the slowest count.
With --sign-cost it also times a signature's insert and its member's linking with and
without the segment indexes on signatures (they must not slow signing).

    export CHORUS_SERVICES_DIR=$PWD/.tmp/services PG_PORT=55442 REDIS_PORT=56389
    scripts/services.sh start
    DATABASE_URL=postgres://postgres@127.0.0.1:55442/chorus_segbench \\
        .venv/bin/python bench/segments.py [--members 1000000] [--reseed] [--sign-cost]

The database is created if missing and migrated; the seed is kept between runs (reused
when it has the asked number of members; --reseed redoes it).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
ORGANISATION = "Segments bench"
RUNS = 3


def setup():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database this benchmark may fill.")
    _database_ensure(url)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
    os.environ.setdefault("SECRET_KEY", "segments-bench-secret-key-for-loopback-only-0123456789")
    os.environ.setdefault("IP_HASH_KEY", "segments-bench-ip-hash-key-for-loopback-only")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="chorus-segbench-"))
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


MEMBERS_SQL = """
INSERT INTO members_member (organisation_id, email, email_key, first_name, last_name,
  country, postcode, language, status, status_reason, created_at, updated_at)
SELECT %(org)s, 'm'||g||'@segbench.example', '1:m'||g||'@segbench.example',
  (ARRAY['Ada','Grace','Leila','Jamal','Noor'])[1+g%%5],
  (ARRAY['Lovelace','Hopper','Garcia','Okafor','Haddad'])[1+(g/5)%%5],
  (ARRAY['GB','GB','GB','DE','DE','FR','US','AT','NL','IT'])[1+(g/7)%%10], '',
  (ARRAY['en','en','en','de','fr'])[1+(g/11)%%5],
  (ARRAY['subscribed','subscribed','subscribed','subscribed','subscribed','subscribed',
         'none','unsubscribed','pending','bounced'])[1+(g/3)%%10], '',
  now() - interval '1095 days' * (%(n)s - g)::float / %(n)s, now()
FROM generate_series(1, %(n)s) g
"""

# Member number g (its rank by id) signs petition p when g %% modulus = remainder.
PETITIONS = [("A", 5, (0, 1)), ("B", 10, (2,)), ("C", 100, (3,)), ("D", 1000, (4,))]

SIGNATURES_SQL = """
INSERT INTO petitions_signature (petition_id, code, state, email, email_key, first_name,
  last_name, country, postcode, comment, show_name, opt_in, opt_in_wording_version,
  language, channel, ip_hash, ip_prefix, member_id, token_nonce, token_hash,
  created_at, confirmed_at, counted, count_dirty, comment_hidden)
SELECT %(petition)s, substr(md5(m.id::text || %(petition)s), 1, 16),
  CASE WHEN m.g %% 20 = 0 THEN 'invalidated' WHEN m.g %% 20 = 1 THEN 'pending'
       ELSE 'confirmed' END,
  m.email, m.email_key, m.first_name, m.last_name, m.country, '', '', false, true, '',
  m.language, '', '', '', m.id, '', '',
  now() - interval '365 days' * ((m.g * 7919) %% 1000) / 1000.0,
  now() - interval '365 days' * ((m.g * 7919) %% 1000) / 1000.0, false, false, false
FROM (SELECT id, email, email_key, first_name, last_name, country, language,
             row_number() OVER (ORDER BY id) AS g
      FROM members_member WHERE organisation_id = %(org)s) m
WHERE m.g %% %(modulus)s = ANY(%(remainders)s)
"""

RECIPIENTS_SQL = """
INSERT INTO mailings_recipient (mailing_id, member_id, state, run_after, attempts,
  last_error, provider, sent_at, first_clicked_at, clicks, bounce_kind)
SELECT %(mailing)s, m.id, CASE WHEN m.g %% 33 = 0 THEN 'failed' ELSE 'done' END,
  now() - interval '30 days', 1, '', 'other', now() - interval '30 days',
  CASE WHEN m.g %% 20 = 3 THEN now() - interval '29 days' END,
  CASE WHEN m.g %% 20 = 3 THEN 1 ELSE 0 END, ''
FROM (SELECT id, row_number() OVER (ORDER BY id) AS g
      FROM members_member WHERE organisation_id = %(org)s) m
WHERE m.g %% 10 < %(tenths)s
"""


def seed(members: int, reseed: bool):
    from django.db import connection

    from mailings.models import Mailing, Segment
    from members.models import Member, Suppression
    from orgs.models import Organisation
    from petitions.models import Petition

    organisation = Organisation.objects.filter(name=ORGANISATION).first()
    have = Member.objects.filter(organisation=organisation).count() if organisation else 0
    if organisation and not reseed and have == members:
        print(f"reusing the seeded organisation ({members:,} members)")
        return organisation
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if organisation:
            org = organisation.pk
            cursor.execute(
                "DELETE FROM mailings_recipient WHERE mailing_id IN "
                "(SELECT id FROM mailings_mailing WHERE organisation_id = %s)",
                [org],
            )
            Mailing.objects.filter(organisation=organisation).delete()
            Segment.objects.filter(organisation=organisation).delete()
            cursor.execute(
                "DELETE FROM petitions_signature WHERE petition_id IN "
                "(SELECT id FROM petitions_petition WHERE organisation_id = %s)",
                [org],
            )
            cursor.execute("DELETE FROM petitions_petition WHERE organisation_id = %s", [org])
            cursor.execute("DELETE FROM members_member WHERE organisation_id = %s", [org])
            Suppression.objects.filter(organisation=organisation).delete()
            organisation.delete()
    organisation = Organisation.objects.create(
        name=ORGANISATION, postal_address="1 Bench Street", privacy_email="p@bench.example"
    )
    with connection.cursor() as cursor:
        cursor.execute(MEMBERS_SQL, {"org": organisation.pk, "n": members})
        print(f"seeded {members:,} members in {time.perf_counter() - started:.0f} s")
        for letter, modulus, remainders in PETITIONS:
            petition = Petition.objects.create(
                organisation=organisation,
                slug=f"segbench-{letter.lower()}-{organisation.pk}",
                title=f"Petition {letter}",
                target="Someone",
                summary="A bench petition.",
                story="Bench.",
                status=Petition.Status.OPEN,
            )
            cursor.execute(
                SIGNATURES_SQL,
                {
                    "org": organisation.pk,
                    "petition": petition.pk,
                    "modulus": modulus,
                    "remainders": list(remainders),
                },
            )
        print(f"seeded signatures at {time.perf_counter() - started:.0f} s")
        for name, tenths in (("Mailing one", 6), ("Mailing two", 2)):
            mailing = Mailing.objects.create(
                organisation=organisation,
                name=name,
                subject=name,
                from_name="Bench",
                from_address="bench@bench.example",
                body="Hello",
                state=Mailing.State.SENT,
            )
            cursor.execute(
                RECIPIENTS_SQL, {"org": organisation.pk, "mailing": mailing.pk, "tenths": tenths}
            )
        print(f"seeded recipients at {time.perf_counter() - started:.0f} s")
        cursor.execute(
            "INSERT INTO members_suppression (organisation_id, email_key, reason, at, note)"
            " SELECT organisation_id, email_key, 'staff', now(), '' FROM members_member"
            " WHERE organisation_id = %s AND id %% 100 = 0",
            [organisation.pk],
        )
        for table in (
            "members_member",
            "petitions_signature",
            "mailings_recipient",
            "members_suppression",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"seeded and analysed in {time.perf_counter() - started:.0f} s")
    return organisation


def cases(organisation) -> dict:
    from django.utils import timezone

    from mailings.models import Mailing
    from petitions.models import Petition

    petitions = dict(Petition.objects.filter(organisation=organisation).values_list("title", "pk"))
    mailings = dict(Mailing.objects.filter(organisation=organisation).values_list("name", "pk"))
    a, b, c = petitions["Petition A"], petitions["Petition B"], petitions["Petition C"]
    one = mailings["Mailing one"]
    year_ago = (timezone.now() - timedelta(days=365)).date()

    def single(**condition):
        return {"match": "all", "conditions": [condition]}

    combined = {
        "match": "all",
        "conditions": [
            {"kind": "signed", "petition": a},
            {"kind": "signed", "petition": b, "negate": True},
            {"kind": "country_in", "countries": ["DE", "AT", "FR"]},
            {"kind": "received_mailing", "mailing": one},
            {"kind": "clicked_mailing", "mailing": one, "negate": True},
            {"kind": "joined_between", "from": (year_ago - timedelta(days=365)).isoformat()},
        ],
    }
    any_of = {
        "match": "any",
        "conditions": [
            {"kind": "signed", "petition": c},
            {"kind": "clicked_mailing", "mailing": one},
            {"kind": "language", "languages": ["fr"]},
        ],
    }
    return {
        "every member (no condition)": {"match": "all", "conditions": []},
        "signed A (400,000 signers)": single(kind="signed", petition=a),
        "signed C (10,000 signers)": single(kind="signed", petition=c),
        "did not sign A": single(kind="signed", petition=a, negate=True),
        "country in DE, AT": single(kind="country_in", countries=["DE", "AT"]),
        "language de": single(kind="language", languages=["de"]),
        "status subscribed": single(kind="status", statuses=["subscribed"]),
        "joined in one month a year ago": single(
            kind="joined_between",
            **{"from": year_ago.isoformat(), "to": (year_ago + timedelta(days=30)).isoformat()},
        ),
        "received mailing one (600,000)": single(kind="received_mailing", mailing=one),
        "clicked mailing one": single(kind="clicked_mailing", mailing=one),
        "did not click mailing one": single(kind="clicked_mailing", mailing=one, negate=True),
        "signed in the last 30 days": single(kind="signed_recent", days=30),
        "combined: 6 conditions, all": combined,
        "combined: 3 conditions, any": any_of,
    }


SIGN_INDEXES = ("segment_signature_petition", "segment_signature_recent")
SIGN_INSERT = """
INSERT INTO petitions_signature (petition_id, code, state, email, email_key, first_name,
  last_name, country, postcode, comment, show_name, opt_in, opt_in_wording_version,
  language, channel, ip_hash, ip_prefix, member_id, token_nonce, token_hash, created_at,
  counted, count_dirty, comment_hidden)
VALUES (%s, substr(md5(random()::text), 1, 16), 'pending', 'x@signcost.example', %s, 'A',
  'B', 'GB', '', '', false, true, '', 'en', '', '', '', NULL, '', '', now(), false, false,
  false)
RETURNING id
"""


def sign_cost(organisation, rows: int = 3000, rounds: int = 3) -> None:
    """What the segment indexes on signatures cost: a signature inserted as the sign path
    writes it (pending, no member yet), then its member linked as petitions.jobs does,
    one statement each in autocommit, with the indexes and without, alternately."""
    from django.db import connection

    from petitions.models import Petition

    petition = Petition.objects.filter(organisation=organisation, title="Petition D").first()
    member = organisation.member_set.order_by("id").values_list("id", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
            [list(SIGN_INDEXES)],
        )
        definitions = dict(cursor.fetchall())
    print(f"\nsign path cost of the segment indexes on signatures ({rows:,} rows a run)")
    for round_ in range(rounds):
        for present in (True, False):
            with connection.cursor() as cursor:
                for name, definition in definitions.items():
                    if present:
                        cursor.execute(
                            definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS")
                        )
                    else:
                        cursor.execute(f"DROP INDEX IF EXISTS {name}")
                inserts, links, ids = [], [], []
                for number in range(rows):
                    started = time.perf_counter()
                    cursor.execute(SIGN_INSERT, [petition.pk, f"1:signcost-{round_}-{number}"])
                    ids.append(cursor.fetchone()[0])
                    inserts.append(time.perf_counter() - started)
                for number, signature in enumerate(ids):
                    started = time.perf_counter()
                    cursor.execute(
                        "UPDATE petitions_signature SET state = 'confirmed', member_id = %s "
                        "WHERE id = %s",
                        [member + number, signature],
                    )
                    links.append(time.perf_counter() - started)
                cursor.execute("DELETE FROM petitions_signature WHERE id = ANY(%s)", [ids])
            label = "with the indexes" if present else "without them"
            print(
                f"  round {round_ + 1}, {label:17} insert median "
                f"{statistics.median(inserts) * 1e6:4.0f} µs, p95 "
                f"{sorted(inserts)[int(rows * 0.95)] * 1e6:4.0f} µs; member linked median "
                f"{statistics.median(links) * 1e6:4.0f} µs"
            )
    with connection.cursor() as cursor:
        for definition in definitions.values():
            cursor.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS"))


def timed(function) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(RUNS):
        started = time.perf_counter()
        result = function()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument(
        "--sign-cost", action="store_true", help="also time signing with and without the indexes"
    )
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from mailings.segments import segment_count, segment_counts, segment_mailable

    organisation = seed(args.members, args.reseed)
    print(f"\nsegment counts on {args.members:,} members, median of {RUNS} (warm cache)\n")
    print(f"{'definition':34} {'members':>10} {'count':>9} {'mailable':>10} {'both (live)':>12}")
    slowest = (0.0, "", "")
    for name, definition in cases(organisation).items():
        with CaptureQueriesContext(connection) as queries:
            took, members = timed(
                lambda d=definition: segment_count(organisation=organisation, definition=d)
            )
        sql = next(q["sql"] for q in reversed(queries.captured_queries) if "COUNT(" in q["sql"])
        mailable_took, _ = timed(
            lambda d=definition: segment_mailable(organisation=organisation, definition=d).count()
        )
        both_took, _ = timed(
            lambda d=definition: segment_counts(organisation=organisation, definition=d)
        )
        print(
            f"{name:34} {members:>10,} {took:>6.0f} ms {mailable_took:>7.0f} ms "
            f"{both_took:>9.0f} ms"
        )
        if took > slowest[0] and "combined" not in name and "no condition" not in name:
            slowest = (took, name, sql)
    print(f"\nslowest single condition: {slowest[1]} ({slowest[0]:.0f} ms)\n")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest[2])
        print("\n".join(row[0] for row in cursor.fetchall()))
    if args.sign_cost:
        sign_cost(organisation)
    database = urlsplit(os.environ["DATABASE_URL"])._replace(netloc="…").geturl()
    print(
        f"\nreproduce: DATABASE_URL=<{database}> .venv/bin/python bench/segments.py "
        f"--members {args.members}{' --sign-cost' if args.sign_cost else ''}"
    )


if __name__ == "__main__":
    main()
