"""Bulk invalidation at scale (issue 11, item 3): 100,000 matching signatures invalidated
and the action reversed, on PostgreSQL, and the fraud report on the same petition.

Seeds, set-wise (INSERT ... SELECT generate_series), one petition with N signatures
(default 1,000,000 over 90 days, most of them confirmed, from 5,000 networks and a few
domains) of which M (default 100,000) came from one network in one day. Then, in this
process, as chorus_worker would run the ledger job:

* the preview (how many would change),
* the bulk invalidation of those M signatures, batch after batch, to the end,
* the count fold that follows (the folded count checked against a recount),
* the reversal, to the end, and its fold,
* the fraud report (last 24 hours, last 7 days) on the petition, with EXPLAIN of its
  slowest statement.

    export CHORUS_SERVICES_DIR=$PWD/.tmp/services PG_PORT=55442 REDIS_PORT=56442
    scripts/services.sh start
    DATABASE_URL=postgres://postgres@127.0.0.1:55442/chorus_invbench \\
        .venv/bin/python bench/invalidate.py [--signatures 1000000] [--matching 100000]

The database is created if missing and migrated; the seed is kept between runs (reused
when it has the asked size; --reseed redoes it). docs/benchmarks.md has the figures.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
ORGANISATION = "Invalidation bench"
BAD_NET = "203.0.113.0/24"


def setup():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database this benchmark may fill.")
    _database_ensure(url)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
    os.environ.setdefault("SECRET_KEY", "invalidate-bench-secret-key-for-loopback-only-0123456789")
    os.environ.setdefault("IP_HASH_KEY", "invalidate-bench-ip-hash-key-for-loopback-only")
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="chorus-invbench-"))
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


# Signature g: the last `matching` of them came from BAD_NET within one day, yesterday;
# the others from one of 5,000 networks over 90 days. Every 20th is pending.
SIGNATURES_SQL = """
INSERT INTO petitions_signature (petition_id, code, state, email, email_key, first_name,
  last_name, country, postcode, comment, show_name, opt_in, opt_in_wording_version,
  language, channel, ip_hash, ip_prefix, token_nonce, token_hash,
  created_at, confirmed_at, counted, count_dirty, comment_hidden)
SELECT %(petition)s, substr(md5(g::text), 1, 16),
  CASE WHEN g %% 20 = 1 THEN 'pending' ELSE 'confirmed' END,
  's'||g||'@'||d, 's'||g||'@'||d,
  (ARRAY['Ada','Grace','Leila','Jamal','Noor'])[1+g%%5],
  (ARRAY['Lovelace','Hopper','Garcia','Okafor','Haddad'])[1+(g/5)%%5],
  (ARRAY['GB','GB','GB','DE','DE','FR','US','AT','NL','IT'])[1+(g/7)%%10], '', '', false,
  false, '', 'en', '', '',
  CASE WHEN g > %(n)s - %(m)s THEN %(bad)s
       ELSE '10.'||(g%%5000/250)||'.'||(g%%250)||'.0/24' END, '', '',
  t, CASE WHEN g %% 20 = 1 THEN NULL ELSE t END, false, true, false
FROM (
  SELECT g,
    (ARRAY['example.org','example.net','mail.example','post.example'])[1+g%%4] AS d,
    CASE WHEN g > %(n)s - %(m)s
         THEN now() - interval '1 day' + interval '20 hours' * (g - (%(n)s - %(m)s)) / %(m)s
         ELSE now() - interval '90 days' + interval '88 days' * g / %(n)s END AS t
  FROM generate_series(1, %(n)s) g
) s
"""


def seed(signatures: int, matching: int, reseed: bool):
    from django.db import connection

    from orgs.models import Organisation
    from petitions.counting import counts_fold_all
    from petitions.models import BulkAction, Petition, Signature, SignatureEvent

    petition = Petition.objects.filter(slug="invbench").first()
    if petition and not reseed:
        have = Signature.objects.filter(petition=petition).count()
        bad = Signature.objects.filter(petition=petition, ip_prefix=BAD_NET).count()
        if (have, bad) == (signatures, matching) and _reusable(petition):
            print(f"reusing the seeded petition ({signatures:,} signatures)")
            _clean(petition)
            return petition
    started = time.perf_counter()
    if petition:
        SignatureEvent.objects.filter(signature__petition=petition).delete()
        BulkAction.objects.filter(petition=petition).update(reverses=None)
        BulkAction.objects.filter(petition=petition).delete()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM petitions_signature WHERE petition_id = %s", [petition.pk])
        organisation = petition.organisation
        petition.delete()
    else:
        organisation = Organisation.objects.filter(name=ORGANISATION).first()
    organisation = organisation or Organisation.objects.create(
        name=ORGANISATION, postal_address="1 Bench Street", privacy_email="p@bench.example"
    )
    petition = Petition.objects.create(
        organisation=organisation,
        slug="invbench",
        title="The invalidation bench",
        target="Someone",
        summary="A bench petition.",
        story="Bench.",
        status=Petition.Status.OPEN,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            SIGNATURES_SQL,
            {"petition": petition.pk, "n": signatures, "m": matching, "bad": BAD_NET},
        )
        cursor.execute("VACUUM ANALYZE petitions_signature")
    print(f"seeded {signatures:,} signatures in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    counts_fold_all()
    print(f"folded them in {time.perf_counter() - started:.0f} s")
    return petition


def _reusable(petition) -> bool:
    """An earlier run left the signatures as seeded when every action it ran was reversed
    to the end; an interrupted run did not, and the petition is seeded again."""
    from petitions.models import BulkAction

    actions = BulkAction.objects.filter(petition=petition)
    reversed_ = actions.filter(kind="reverse", state="done").count()
    return actions.exclude(state="done").count() == 0 and reversed_ * 2 == actions.count()


def _clean(petition) -> None:
    """Forget an earlier run's events and bulk actions (its changes were all reversed)."""
    from petitions.models import BulkAction, SignatureEvent

    SignatureEvent.objects.filter(bulk_action__petition=petition).delete()
    BulkAction.objects.filter(petition=petition).update(reverses=None)
    BulkAction.objects.filter(petition=petition).delete()


def timed(label: str, func):
    started = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - started
    print(f"{label:<44} {seconds:8.2f} s")
    return result, seconds


def run_to_end(action) -> None:
    from petitions.services.bulk import bulk_action_run

    while bulk_action_run(action_pk=action.pk):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--signatures", type=int, default=1_000_000)
    parser.add_argument("--matching", type=int, default=100_000)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    setup()
    from django.contrib.auth.models import User
    from django.utils import timezone

    from petitions.counting import counts_fold_all, petition_count
    from petitions.fraud import fraud_report
    from petitions.models import Signature
    from petitions.services.bulk import (
        BulkFilters,
        bulk_action_reverse,
        bulk_action_start,
        bulk_preview,
    )

    petition = seed(args.signatures, args.matching, args.reseed)
    by, _ = User.objects.get_or_create(username="invbench")
    filters = BulkFilters(network=BAD_NET)
    confirmed = Signature.objects.filter(petition=petition, state="confirmed").count()
    print(f"petition {petition.pk}: {args.signatures:,} signatures, {confirmed:,} confirmed")

    preview, _ = timed(
        "preview (count and sample)",
        lambda: bulk_preview(petition=petition, kind="invalidate", filters=filters),
    )
    action, start_s = timed(
        "start (count, record, audit, job)",
        lambda: bulk_action_start(
            petition=petition, kind="invalidate", filters=filters, reason="bench", by=by
        ),
    )
    _, run_s = timed(
        f"invalidate {preview.would_change:,} (batches to the end)", lambda: run_to_end(action)
    )
    action.refresh_from_db()
    rate = action.changed / run_s if run_s else 0
    print(f"  changed {action.changed:,}, skipped {action.skipped:,}: {rate:,.0f} a second")
    _, fold_s = timed("count fold after it", counts_fold_all)
    after = Signature.objects.filter(petition=petition, state="confirmed").count()
    assert petition_count(petition) == after, (petition_count(petition), after)
    print(f"  folded count {petition_count(petition):,} = recount {after:,}")

    reversal, _ = timed(
        "start the reversal",
        lambda: bulk_action_reverse(action=action, reason="bench", by=by),
    )
    _, reverse_s = timed("reverse (batches to the end)", lambda: run_to_end(reversal))
    reversal.refresh_from_db()
    print(
        f"  changed {reversal.changed:,}, skipped {reversal.skipped:,}: "
        f"{reversal.changed / reverse_s:,.0f} a second"
    )
    _, _ = timed("count fold after it", counts_fold_all)
    assert petition_count(petition) == confirmed, (petition_count(petition), confirmed)
    print(f"  folded count {petition_count(petition):,} = the count before")

    now = timezone.now()
    for label, span in (("24 hours", timedelta(hours=24)), ("7 days", timedelta(days=7))):
        for _ in range(2):  # the second read is the warm one
            report, _ = timed(
                f"fraud report, last {label}",
                lambda span=span: fraud_report(petition_id=petition.pk, start=now - span, end=now),
            )
        top = report.ranked["network"][0]
        print(f"  top network {top.value}: {top.count:,}, rising={top.rising}, burst={top.burst}")
    # The report's window read by network over 7 days, as petitions.fraud makes it.
    from django.db.models import Count

    from petitions.fraud import _column
    from petitions.selectors import SignatureFilters, _within_ids_of_dates

    start = now - timedelta(days=7)
    window = Signature.objects.filter(petition=petition, created_at__gte=start).order_by()
    window = _within_ids_of_dates(
        window, petition.pk, SignatureFilters(created_from=start, created_before=now)
    )
    ranked = _column(window, "network").values("value").annotate(n=Count("id"))
    print(ranked.order_by("-n")[:20].explain(analyze=True, buffers=True))
    print(
        f"\nsummary: invalidated {action.changed:,} in {start_s + run_s:.1f} s "
        f"({action.changed / (start_s + run_s):,.0f}/s), fold {fold_s:.1f} s; "
        f"reversed {reversal.changed:,} in {reverse_s:.1f} s"
    )


if __name__ == "__main__":
    main()
