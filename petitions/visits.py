"""Petition page views by source: the periodic fold from the shared cache (lib.visits)
into PetitionVisits, and the read the dashboard makes."""

from datetime import datetime

from django.db import transaction
from django.db.models import F

from lib.visits import visits_take
from partners.models import Partner
from petitions.models import Channel, Petition, PetitionVisits

# Sources a view can carry: the share tags signing accepts (any other counts as direct,
# as signing drops it too), "widget" and, per active partner, "widget:<its slug>".
SOURCES = list(Channel.values)


def visits_fold() -> int:
    """Moves the views gathered in the cache into the table, for every public petition."""
    folded = 0
    widgets = {}
    for organisation_id, slug in Partner.objects.filter(active=True).values_list(
        "organisation_id", "slug"
    ):
        widgets.setdefault(organisation_id, []).append(f"widget:{slug}")
    petitions = Petition.objects.public().values_list("pk", "slug", "organisation_id")
    for petition_id, slug, organisation_id in petitions:
        sources = SOURCES + widgets.get(organisation_id, [])
        for source, count in visits_take(slug, sources).items():
            _add(petition_id, source, count)
            folded += count
    return folded


def _add(petition_id: int, source: str, count: int) -> None:
    with transaction.atomic():
        updated = PetitionVisits.objects.filter(petition_id=petition_id, source=source).update(
            count=F("count") + count
        )
        if not updated:
            PetitionVisits.objects.create(petition_id=petition_id, source=source, count=count)


def petition_visits(*, petition_id: int) -> tuple[dict[str, int], datetime | None]:
    """Views of the petition's page by source as folded so far, and since when."""
    by_source, since = {}, None
    rows = PetitionVisits.objects.filter(petition_id=petition_id)
    for source, count, first in rows.values_list("source", "count", "since"):
        by_source[source] = count
        since = first if since is None else min(since, first)
    return by_source, since
