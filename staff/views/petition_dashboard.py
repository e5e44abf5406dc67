"""One petition's dashboard: its signatures over time, by country and by source, the
confirmation rate and the progress to the goal, each as a chart with a table beside it.

Every figure comes from the folded counts (PetitionCount: total, country, channel,
partner, day, hour) and one bounded read of pending signatures, never from a scan of
the signatures, so a petition with a million signatures opens as fast as one with ten
(bench/dashboard.py measures it).
"""

from django.shortcuts import render
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django_countries import countries

from lib.charts import WORLD_TILES, bar_chart, column_chart, line_chart, tile_map
from lib.replica import lagging_view
from partners.models import Partner
from petitions.models import Channel, Petition
from petitions.selectors import pending_count, petition_counts
from petitions.series import daily_series, hourly_series, running_total
from petitions.visits import petition_visits
from staff.access import staff_view
from staff.views.petition_tabs import channel_label, petition_for, tab_context

TOP_COUNTRIES = 15
# Channels that only partners bring: their signatures are shown per partner instead.
PARTNER_CHANNELS = {Channel.WIDGET.value, Channel.PARTNER.value}


# A phone gets charts drawn for its width, so their text stays readable when scaled to
# fit: a wide chart shrunk to 375 px would bring 12-unit text down to about 6 px.
NARROW = {
    column_chart: {"width": 360, "height": 220, "most_labels": 4},
    line_chart: {"width": 360, "height": 220, "most_labels": 4},
    bar_chart: {"width": 360, "label_width": 170},
}
WIDE = {column_chart: {"most_labels": 6}, line_chart: {"most_labels": 6}, bar_chart: {}}


def both_sizes(chart, points, *, chart_id: str, **options) -> dict:
    """The chart drawn wide and narrow; the page shows the one that fits (staff.css)."""
    return {
        "wide": chart(points, chart_id=chart_id, **WIDE[chart], **options),
        "narrow": chart(points, chart_id=f"{chart_id}-narrow", **NARROW[chart], **options),
    }


@staff_view("petitions.view_petition")
@require_safe
@lagging_view  # folded counts, seconds old anyway: the replica while it keeps up
def petition_dashboard(request, pk: int):
    petition = petition_for(pk)
    counts = petition_counts(petition_id=petition.pk)
    confirmed = counts["total"].get("", 0)
    context = tab_context(
        petition,
        "dashboard",
        confirmed=confirmed,
        goal=_goal(petition, confirmed),
        confirmation=_confirmation(petition, confirmed),
        hours=_hours(petition),
        days=_days(petition),
        countries=_countries(counts["country"], confirmed),
        sources=_sources(counts["channel"], counts["partner"], confirmed, petition),
    )
    return render(request, "staff/petition_tabs/dashboard.html", context)


def _goal(petition: Petition, confirmed: int) -> dict:
    goal = petition.goal
    return {
        "goal": goal,
        "percent": min(100, confirmed * 100 // goal) if goal else 0,
        "left": max(0, goal - confirmed),
    }


def _confirmation(petition: Petition, confirmed: int) -> dict:
    """confirmed / (confirmed + pending). Pending rows are read up to a bound, so past it the
    rate is an upper limit; a petition that asks no confirmation has no rate."""
    if not petition.require_confirmation:
        return {"applies": False}
    pending, more = pending_count(petition_id=petition.pk)
    asked = confirmed + pending
    return {
        "applies": True,
        "pending": pending,
        "pending_more": more,
        "rate": confirmed * 100 / asked if asked else None,
    }


def _hours(petition: Petition) -> dict:
    series = hourly_series(petition_id=petition.pk)
    # The day's name in the page's language ("Mon 14:00", "Mo 14:00").
    points = [(date_format(start, "D H:00"), count) for start, count in series]
    return {
        "rows": series,
        "total": sum(count for _, count in series),
        "chart": both_sizes(
            column_chart,
            points,
            chart_id="chart-hours",
            title=_("Confirmed signatures per hour, last 72 hours (UTC)"),
        ),
    }


def _days(petition: Petition) -> dict:
    since = petition.published_at.date() if petition.published_at else None
    series = daily_series(petition_id=petition.pk, since=since)
    running = running_total(series)
    label = "d M"  # "05 Dec", with the month named in the page's language
    return {
        "rows": [
            {"day": day, "count": count, "running": total}
            for (day, count), (_day, total) in zip(series, running, strict=True)
        ],
        "chart": both_sizes(
            column_chart,
            [(date_format(day, label), count) for day, count in series],
            chart_id="chart-days",
            title=_("Confirmed signatures per day (UTC)"),
        ),
        "running_chart": both_sizes(
            line_chart,
            [(date_format(day, label), total) for day, total in running],
            chart_id="chart-running",
            title=_("Running total against the goal"),
            goal=petition.goal,
        ),
    }


def country_name(code: str) -> str:
    return countries.name(code) or code or _("Unknown")


def _countries(by_country: dict[str, int], confirmed: int) -> dict:
    rows = sorted(
        (
            {
                "code": code,
                "label": country_name(code),
                "count": count,
                "percent": count * 100 / confirmed if confirmed else 0,
                "on_map": code in WORLD_TILES,
            }
            for code, count in by_country.items()
            if count > 0
        ),
        key=lambda row: (-row["count"], row["label"]),
    )
    bars = [(row["label"], row["count"]) for row in rows[:TOP_COUNTRIES]]
    rest = sum(row["count"] for row in rows[TOP_COUNTRIES:])
    if rest:
        bars.append((_("Other (%(n)d countries)") % {"n": len(rows) - TOP_COUNTRIES}, rest))
    names = {code: country_name(code) for code in WORLD_TILES}
    return {
        "rows": rows,
        "top": TOP_COUNTRIES,
        "chart": both_sizes(bar_chart, bars, chart_id="chart-countries", title=_("Country")),
        "map": tile_map(
            {row["code"]: row["count"] for row in rows},
            chart_id="chart-map",
            title=_("Confirmed signatures on a world map"),
            names=names,
        ),
        "off_map": [row for row in rows if not row["on_map"]],
    }


def _sources(
    by_channel: dict[str, int], by_partner: dict[str, int], confirmed: int, petition: Petition
) -> dict:
    """Share channels, mailings and direct by channel; partners' signatures by partner.

    Where the petition page's views by source are known (petitions.visits), a row says how
    many visitors that source brought and what share of them signed.
    """
    visits, visits_since = petition_visits(petition_id=petition.pk)
    rows = []
    for value, count in by_channel.items():
        if count > 0 and value not in PARTNER_CHANNELS:
            label = str(channel_label(value))
            visitors = visits.get(value, 0)
            rate = count * 100 / visitors if visitors else None
            rows.append({"label": label, "count": count, "visitors": visitors, "visit_rate": rate})
    partner_ids = {int(value) for value in by_partner if value.isdigit()}
    partners = {
        pk: (name, slug)
        for pk, name, slug in Partner.objects.filter(pk__in=partner_ids).values_list(
            "pk", "name", "slug"
        )
    }
    for value, count in by_partner.items():
        if count > 0:
            name, slug = partners.get(int(value) if value.isdigit() else 0, (None, None))
            # Views of the partner's widget; its API brings signatures with no page view.
            visitors = visits.get(f"widget:{slug}", 0) if slug else 0
            rows.append(
                {
                    "label": _("Partner: %(name)s") % {"name": name or value},
                    "count": count,
                    "visitors": visitors,
                    "visit_rate": count * 100 / visitors if visitors else None,
                }
            )
    through_partners = sum(by_channel.get(value, 0) for value in PARTNER_CHANNELS)
    unnamed = through_partners - sum(count for count in by_partner.values() if count > 0)
    if unnamed > 0:
        rows.append({"label": _("Partner not recorded"), "count": unnamed})
    for row in rows:
        row["percent"] = row["count"] * 100 / confirmed if confirmed else 0
    rows.sort(key=lambda row: (-row["count"], row["label"]))
    return {
        "rows": rows,
        "visits_since": visits_since,
        "chart": both_sizes(
            bar_chart,
            [(row["label"], row["count"]) for row in rows],
            chart_id="chart-sources",
            title=_("Source"),
        ),
    }
