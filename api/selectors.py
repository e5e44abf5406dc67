"""What the public API reads: published petitions and their folded counts, nothing else."""

from django.conf import settings

from partners.models import Partner
from petitions.models import Petition, PetitionCount

API_STATUSES = (Petition.Status.OPEN, Petition.Status.CLOSED, Petition.Status.WON)
LIST_FIELDS = (
    "pk",
    "slug",
    "title",
    "target",
    "summary",
    "status",
    "language",
    "goal",
    "goal_mode",
    "published_at",
    "closed_at",
)


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def petition_summary(petition: Petition, count: int) -> dict:
    return {
        "slug": petition.slug,
        "title": petition.title,
        "target": petition.target,
        "summary": petition.summary,
        "status": petition.status,
        "language": petition.language,
        "url": f"{settings.BASE_URL}{petition.get_absolute_url()}",
        "count": count,
        "goal": petition.goal_at(count),
        "published_at": _iso(petition.published_at),
        "closed_at": _iso(petition.closed_at),
    }


def petitions_page(*, status: str, page: int) -> tuple[list[dict], bool]:
    """One page of published petitions, newest first, and whether another page follows."""
    size = settings.API_PAGE_SIZE
    petitions = Petition.objects.public().only(*LIST_FIELDS).order_by("-published_at", "-pk")
    if status:
        petitions = petitions.filter(status=status)
    start = (page - 1) * size
    rows = list(petitions[start : start + size + 1])
    shown = rows[:size]
    totals = dict(
        PetitionCount.objects.filter(
            petition_id__in=[p.pk for p in shown], dimension=PetitionCount.Dimension.TOTAL
        ).values_list("petition_id", "count")
    )
    return [petition_summary(p, totals.get(p.pk, 0)) for p in shown], len(rows) > size


def petition_detail(petition: Petition) -> dict:
    """A petition with its counts by country, by day and by partner, from PetitionCount."""
    rows = PetitionCount.objects.filter(
        petition=petition,
        dimension__in=[
            PetitionCount.Dimension.TOTAL,
            PetitionCount.Dimension.COUNTRY,
            PetitionCount.Dimension.DAY,
            PetitionCount.Dimension.PARTNER,
        ],
        count__gt=0,
    ).values_list("dimension", "value", "count")
    total, countries, days, partner_ids = 0, {}, {}, {}
    for dimension, value, count in rows:
        if dimension == PetitionCount.Dimension.TOTAL:
            total = count
        elif dimension == PetitionCount.Dimension.COUNTRY:
            countries[value or "unknown"] = count
        elif dimension == PetitionCount.Dimension.DAY:
            days[value] = count
        elif value.isdigit():
            partner_ids[int(value)] = count
    slugs = dict(Partner.objects.filter(pk__in=partner_ids).values_list("pk", "slug"))
    return {
        **petition_summary(petition, total),
        "countries": dict(sorted(countries.items(), key=lambda item: (-item[1], item[0]))),
        "daily": [{"date": day, "count": days[day]} for day in sorted(days)],
        "partners": {slugs[pk]: n for pk, n in sorted(partner_ids.items()) if pk in slugs},
    }


def petition_count_body(petition: Petition) -> dict:
    count = (
        PetitionCount.objects.filter(petition=petition, dimension=PetitionCount.Dimension.TOTAL)
        .values_list("count", flat=True)
        .first()
        or 0
    )
    return {"slug": petition.slug, "count": count, "goal": petition.goal_at(count)}


def example_slug() -> str:
    """A real slug for the docs page's examples, when there is one."""
    slug = Petition.objects.public().order_by("-published_at").values_list("slug", flat=True)
    return slug.first() or "save-the-library"
