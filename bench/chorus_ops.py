"""Chorus-side steps of the benchmark and the drill, run with the same environment as
the server under test (DATABASE_URL or the SQLite default). Each prints one JSON line.

    python bench/chorus_ops.py petition --slug bench-instant --no-confirmation
    python bench/chorus_ops.py confirm-all --slug stop-face-scraping
    python bench/chorus_ops.py state --slug stop-face-scraping
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from jobs.models import Job  # noqa: E402
from petitions.counting import petition_count  # noqa: E402
from petitions.models import Petition, Signature  # noqa: E402
from petitions.services import petition_publish  # noqa: E402

DEMO_SLUG = "stop-face-scraping"


def petition_ensure(slug: str, require_confirmation: bool) -> dict:
    """A published copy of the demo petition under another slug (for the drill)."""
    demo = Petition.objects.get(slug=DEMO_SLUG)
    petition, _ = Petition.objects.get_or_create(
        slug=slug,
        defaults={
            "organisation": demo.organisation,
            "title": f"{demo.title} (bench)",
            "target": demo.target,
            "summary": demo.summary,
            "story": demo.story,
            "require_confirmation": require_confirmation,
        },
    )
    if petition.status != Petition.Status.OPEN:
        petition_publish(petition=petition)
    return {"slug": petition.slug, "id": petition.pk, "require_confirmation": require_confirmation}


def confirm_all(slug: str) -> dict:
    """Confirm every pending signature at once, as if each signer clicked their link.

    The same row change as `signature_confirm` (state, time, spent token, dirty for the
    count fold), set-wise; the SignatureEvent and member jobs are skipped because the
    benchmark measures the count fold, not member records.
    """
    changed = Signature.objects.filter(petition__slug=slug, state=Signature.State.PENDING).update(
        state=Signature.State.CONFIRMED,
        confirmed_at=timezone.now(),
        token_hash="",
        token_expires_at=None,
        count_dirty=True,
    )
    return {"confirmed_now": changed}


def state(slug: str) -> dict:
    petition = Petition.objects.get(slug=slug)
    rows = dict(
        Signature.objects.filter(petition=petition)
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    jobs = {
        f"{kind}:{job_state}": n
        for kind, job_state, n in Job.objects.values_list("kind", "state")
        .annotate(n=Count("id"))
        .order_by()
    }
    return {
        "signatures_by_state": rows,
        "count_total": petition_count(petition),
        "count_dirty": Signature.objects.filter(petition=petition, count_dirty=True).count(),
        "jobs": jobs,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("petition")
    p.add_argument("--slug", required=True)
    p.add_argument("--no-confirmation", action="store_true")
    for name in ("confirm-all", "state"):
        sub.add_parser(name).add_argument("--slug", required=True)
    args = parser.parse_args()
    if args.command == "petition":
        result = petition_ensure(args.slug, require_confirmation=not args.no_confirmation)
    elif args.command == "confirm-all":
        result = confirm_all(args.slug)
    else:
        result = state(args.slug)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
