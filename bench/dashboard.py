"""How fast a petition's dashboard opens when the petition has a million signatures.

Seeds the petition as bench/workspace_pages.py does (1,000,000 signatures set-wise on
PostgreSQL, mixed states, 40 countries, every channel, 60 days; petition_recount then
builds the folded counts, with the day and hour series), adds a few partners' counts,
then loads the dashboard tab as a signed-in owner through Django's test client (the
whole request: middleware, session, permission check, queries, templates, the SVG) N
times, and prints the median and 95th percentile. The target is under 1 second.

    scripts/services.sh start             # or any PostgreSQL 15 you may fill
    DATABASE_URL=postgres://postgres@127.0.0.1:55432/chorus_dashbench \\
        .venv/bin/python bench/dashboard.py [--rows 1000000] [-n 30] [--reseed]

The seed is kept between runs (see workspace_pages.py); --reseed redoes it.
"""

import argparse
import os
import statistics
import sys

from harness import say
from workspace_pages import measure, owner_client, seed, setup

TARGET_MS = 1000
PARTNERS = 5


def partner_counts(petition) -> None:
    """Some signatures credited to partners, as the fold keeps them, so the source table
    names partners too (the seed itself has none)."""
    from partners.models import Partner
    from petitions.models import PetitionCount

    for n in range(PARTNERS):
        partner, _ = Partner.objects.get_or_create(
            slug=f"bench-partner-{n}",
            defaults={"organisation": petition.organisation, "name": f"Bench partner {n}"},
        )
        PetitionCount.objects.update_or_create(
            petition=petition,
            dimension="partner",
            value=str(partner.pk),
            defaults={"count": 1000 * (n + 1)},
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("-n", type=int, default=30, help="loads (after 2 warm-up)")
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from petitions.models import PetitionCount

    petition = seed(args.rows, args.reseed)
    partner_counts(petition)
    client = owner_client()
    url = f"/staff/petitions/{petition.pk}/dashboard/"
    counts = PetitionCount.objects.filter(petition=petition)
    say(
        f"{counts.get(dimension='total').count:,} confirmed; {counts.count():,} count rows "
        f"({counts.filter(dimension='hour').count():,} hours, "
        f"{counts.filter(dimension='day').count():,} days)"
    )
    timings = sorted(measure(client, url, args.n))
    median = statistics.median(timings)
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    with CaptureQueriesContext(connection) as captured:
        size = len(client.get(url).content)
    print(f"\n{os.cpu_count()} cores; {args.n} loads of {url}; target < {TARGET_MS} ms")
    print(f"{'median ms':>10} {'p95 ms':>8} {'queries':>8} {'kB':>6}")
    print(f"{median:>10.1f} {p95:>8.1f} {len(captured.captured_queries):>8} {size / 1024:>6.0f}")
    print("under target" if p95 < TARGET_MS else "OVER TARGET")
    return 0 if p95 < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
