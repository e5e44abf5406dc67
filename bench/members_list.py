"""How the workspace's member list answers on a large register (PostgreSQL).

Seeds N members set-wise (default 1,000,000) into the database of DATABASE_URL if it has
fewer, then times each search and filter of the list (the first page and the next) and
prints the plan of the slowest. Run with the services up:

    eval "$(scripts/services.sh env)"; .venv/bin/python manage.py migrate
    .venv/bin/python manage.py shell -c "import bench.members_list as b; b.main()"
"""

import time
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.models import Member
from members.selectors import MemberFilters, members_page
from orgs.models import Organisation

CASES = {
    "newest first": MemberFilters(),
    "email": MemberFilters(email_key="m777777@example.org"),
    "name prefix 'gra'": MemberFilters(name="gra"),
    "name 'grace1 hop'": MemberFilters(name="grace1 hop"),
    "rare name": MemberFilters(name="zzz"),
    "status complained": MemberFilters(status="complained"),
    "country AT + pending": MemberFilters(country="AT", status="pending"),
    "joined a year ago (one day)": None,  # filled in main(): needs the clock
}


def seed(organisation, count: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO members_member (organisation_id, email, email_key, first_name,
              last_name, country, postcode, language, status, status_reason, created_at,
              updated_at)
            SELECT %s, 'm'||g||'@example.org', 'm'||g||'@example.org',
              (ARRAY['Ada','Grace','Leila','Jamal','Noor'])[1+g%%5] || (g%%997),
              (ARRAY['Lovelace','Hopper','Garcia','Okafor','Haddad'])[1+(g/5)%%5] || (g%%991),
              (ARRAY['GB','DE','FR','US','AT','NL','IT','ES','KE','IN'])[1+(g/7)%%10], '', 'en',
              (ARRAY['subscribed','none','none','subscribed','unsubscribed','pending',
                     'subscribed','none','bounced','complained'])[1+(g/3)%%10], '',
              now() - ((%s-g) || ' minutes')::interval, now()
            FROM generate_series(1, %s) g
            """,
            [organisation.pk, count, count],
        )
        cursor.execute("ANALYZE members_member")


def main(count: int = 1_000_000) -> None:
    organisation = Organisation.objects.current()
    have = Member.objects.filter(organisation=organisation).count()
    if have < count:
        seed(organisation, count - have)
    day = timezone.now() - timedelta(days=365)
    CASES["joined a year ago (one day)"] = MemberFilters(
        joined_from=day, joined_before=day + timedelta(days=1)
    )
    slowest = (0.0, "", "")
    for name, filters in CASES.items():
        timings = []
        older = None
        for _ in range(2):  # the first page, then the next
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                page = members_page(
                    organisation_id=organisation.pk, filters=filters, older_than=older
                )
                timings.append((time.perf_counter() - started) * 1000)
            older = page.older_than
            ids_sql = next(q["sql"] for q in queries if 'AS "id" FROM' in q["sql"])
            if timings[-1] > slowest[0]:
                slowest = (timings[-1], name, ids_sql)
            if older is None:
                break
        shown = ", ".join(f"{t:.1f} ms" for t in timings)
        print(f"{name:32} {len(page.rows):3} rows  {shown}")
    print(f"\nslowest: {slowest[1]} ({slowest[0]:.1f} ms)")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest[2])
        print("\n".join(row[0] for row in cursor.fetchall()))
